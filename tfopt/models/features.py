"""FeatureModel: one forward pass that returns the activations an objective asks for.

Every input-optimization recipe needs some inner activations (a conv layer for style,
the penultimate layer for inversion) and, for classifiers, the logits. Attacks on a
softmax output are silently weak (the gradient vanishes once the softmax saturates), so
where a model ends in a softmax the *pre*-softmax logits are exposed as ``"logits"``.
"""
import keras

from tfopt.core.errors import InputError

__all__ = ["FeatureModel", "LOGITS", "PROBS", "logits_tensor", "receptive_field",
           "receptive_fields"]

LOGITS = "logits"
PROBS = "probs"


def _is_softmax_activation(layer):
    act = getattr(layer, "activation", None)
    return act is not None and getattr(act, "__name__", "") == "softmax"


def logits_tensor(model):
    """The symbolic pre-softmax logits of a functional classifier.

    Args:
        model: a functional Keras model whose last layer is a ``Softmax`` layer, an
            ``Activation("softmax")`` layer, a ``Dense`` with softmax activation, or
            anything else (then its output is taken to be logits already).

    Returns:
        A KerasTensor connected to ``model.inputs``.
    """
    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax) or (
        isinstance(last, keras.layers.Activation) and _is_softmax_activation(last)
    ):
        return last.input
    if isinstance(last, keras.layers.Dense) and _is_softmax_activation(last):
        # Same weights, no softmax. A copy is fine: the network is fixed while inputs
        # are optimized, and the FeatureModel is rebuilt for every optimization.
        head = keras.layers.Dense(last.units, use_bias=last.use_bias, name=f"{last.name}_logits")
        out = head(last.input)
        head.set_weights(last.get_weights())
        return out
    return model.outputs[0]


class FeatureModel:
    """Maps a batch of inputs to ``{layer name: activation}`` in one forward pass.

    ``"logits"`` and ``"probs"`` are always available names for classifiers (a model
    whose output is not 4-D); inner layers are addressed by their Keras names.

    Args:
        model: a functional Keras model taking the images being optimized.
        layers: names of the layers whose outputs are wanted.

    Example:
        fm = FeatureModel(vgg, ["block5_conv2", "logits"])
        acts = fm(images)          # {"block5_conv2": ..., "logits": ...}
    """

    def __init__(self, model, layers=()):
        if not hasattr(model, "inputs") or not model.inputs:
            raise InputError(
                f"expected a functional Keras model with known inputs; received: {type(model).__name__}")
        self.model = model
        self.layers = tuple(dict.fromkeys(layers))
        valid = [layer.name for layer in model.layers]
        names = list(dict.fromkeys([LOGITS, PROBS] + valid))
        outputs = {}
        logits = None
        for name in self.layers:
            if name in (LOGITS, PROBS):
                logits = logits_tensor(model) if logits is None else logits
                outputs[name] = logits if name == LOGITS else keras.layers.Softmax(name="fm_probs")(logits)
            elif name in valid:
                outputs[name] = model.get_layer(name).output
            else:
                raise InputError(
                    f"expected a layer of {model.name} ({', '.join(names)}); received: {name!r}")
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        self._fm = keras.Model(inputs, outputs) if outputs else None

    @property
    def input_shape(self):
        """The model's input shape, batch dimension included."""
        return tuple(self.model.inputs[0].shape)

    def __call__(self, images):
        """Runs the network in inference mode and returns ``{name: activation}``."""
        if self._fm is None:
            return {}
        return self._fm(images, training=False)


def receptive_fields(model):
    """Every layer of ``model`` in order, with its receptive field and stride in input pixels.

    Walks ``model.layers`` in order, composing every convolution's (dilated) kernel and
    every pooling window with their strides. Exact for chains of layers such as VGG; for
    networks with branches it counts every branch in series, an upper bound.

    Args:
        model: a Keras model.

    Returns:
        A list of ``(layer, size, stride)``: each feature of ``layer`` sees ``size`` x
        ``size`` pixels, and neighbouring features are ``stride`` pixels apart.
    """
    out, size, stride = [], 1, 1
    for lyr in model.layers:
        kernel = getattr(lyr, "kernel_size", None) or getattr(lyr, "pool_size", None)
        if kernel is not None:
            dilation = getattr(lyr, "dilation_rate", (1,))[0]
            size += dilation * (kernel[0] - 1) * stride
            stride *= lyr.strides[0]
        out.append((lyr, size, stride))
    return out


def receptive_field(model, layer):
    """Receptive field and stride, in input pixels, of a layer's features (see :func:`receptive_fields`).

    Args:
        model: a Keras model.
        layer: a layer name of ``model``.

    Returns:
        ``(size, stride)``.
    """
    for lyr, size, stride in receptive_fields(model):
        if lyr.name == layer:
            return size, stride
    raise InputError(f"expected a layer of {model.name}; received: {layer!r}")
