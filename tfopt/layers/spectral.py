"""Spectral normalization (Miyato et al. 2018) with one power iteration per training step, not per call.

A spectrally normalized layer computes with ``W / sigma(W)``, where ``sigma`` is the
largest singular value estimated as ``u^T W v`` from a persistent vector ``u``; the
gradient flows through ``sigma`` (``u`` and ``v`` are constants of the step, as in the
paper). ``keras.layers.SpectralNormalization`` instead runs a power iteration on every
``training=True`` call (a GAN's discriminator is called on real, generated and
interpolated images: three iterations a step) and assigns ``W / sigma`` into the
wrapped kernel.

Here ``u`` moves only in :meth:`per_step_update`, which :class:`tfopt.gan.GAN` calls
once at the start of each step of the network being trained (and after each EMA
average, for the EMA copy). ``u`` is a non-trainable variable with
``aggregation="only_first_replica"``: every replica computes the same update from the
same mirrored weights, and an assignment in replica context is then allowed under
``MirroredStrategy`` (with the default aggregation it fails: tensorflow #37834, #41216).

Example:
    h = SpectralConv2D(64, 3, padding="same")(x)
    d = keras.Model(x, SpectralDense(1)(keras.layers.Flatten()(h)))
    update_spectral_norms(d)              # once per training step
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["SpectralConv2D", "SpectralDense", "spectral_layers", "update_spectral_norms", "spectral_normalize"]


def _l2_normalize(x, epsilon=1e-12):
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x)), epsilon))


def _power_vectors(w, u):
    """``(u', v)`` after one power iteration on the matrix ``w [fan_in, units]`` from ``u [1, units]``."""
    v = _l2_normalize(ops.matmul(u, ops.transpose(w)))
    return _l2_normalize(ops.matmul(v, w)), v


def spectral_normalize(weight, u):
    """``weight / sigma`` with ``sigma = u^T W v``, ``v = normalize(u W^T)`` (``u``, ``v`` constant).

    Args:
        weight: a kernel of any rank, read as a matrix ``[-1, units]`` (units: its last axis).
        u: ``[1, units]`` the current left singular vector estimate.

    Returns:
        The normalized weight, same shape.
    """
    w = ops.reshape(weight, (-1, weight.shape[-1]))
    u = ops.stop_gradient(_l2_normalize(u))  # unit length even before the first update
    v = ops.stop_gradient(_l2_normalize(ops.matmul(u, ops.transpose(w))))
    sigma = ops.sum(ops.matmul(v, w) * u)
    return weight / sigma


class _Spectral:
    """Mixin: a persistent ``u`` for the matrix returned by ``_spectral_source()``, updated per step."""

    def _build_u(self, units):
        self.sn_u = self.add_weight(shape=(1, int(units)), initializer=keras.initializers.RandomNormal(),
                                    trainable=False, aggregation="only_first_replica", name="sn_u")

    def per_step_update(self):
        """One power iteration: moves ``u`` towards the top singular vector of the current weight."""
        weight = self._spectral_source()
        u, _ = _power_vectors(ops.reshape(weight, (-1, weight.shape[-1])), self.sn_u)
        self.sn_u.assign(u)

    def sigma(self):
        """The current estimate of the largest singular value (a scalar tensor)."""
        weight = self._spectral_source()
        w = ops.reshape(weight, (-1, weight.shape[-1]))
        u = _l2_normalize(self.sn_u)
        v = _l2_normalize(ops.matmul(u, ops.transpose(w)))
        return ops.sum(ops.matmul(v, w) * u)


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Expected {name} to be a positive integer. Received: {name}={value!r}")


@serializable
class SpectralConv2D(_Spectral, keras.layers.Layer):
    """A 2-D convolution computing with its spectrally normalized kernel.

    Written out rather than subclassing ``keras.layers.Conv2D``: Conv2D saves whatever
    its ``kernel`` property returns, so a normalized property would be saved in place
    of the weights.

    Args:
        filters: output channels.
        kernel_size: square kernel side.
        strides: square stride.
        padding: ``"same"`` or ``"valid"``.
        use_bias: add a bias.
        kernel_initializer: initializer of the raw kernel (BigGAN: orthogonal).
        **kwargs: base ``Layer`` arguments.

    Example:
        y = SpectralConv2D(32, 3)(x)          # [B, H, W, C] -> [B, H, W, 32]
    """

    def __init__(self, filters, kernel_size=3, strides=1, padding="same", use_bias=True,
                 kernel_initializer="orthogonal", **kwargs):
        super().__init__(**kwargs)
        for name, value in (("filters", filters), ("kernel_size", kernel_size), ("strides", strides)):
            _check_positive(name, value)
        if padding not in ("same", "valid"):
            raise ValueError(f"Expected padding 'same' or 'valid'. Received: padding={padding!r}")
        self.filters, self.kernel_size, self.strides, self.padding = filters, kernel_size, strides, padding
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        shape = (self.kernel_size, self.kernel_size, int(input_shape[-1]), self.filters)
        self.kernel = self.add_weight(shape=shape, initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias") if self.use_bias else None
        self._build_u(self.filters)

    def _spectral_source(self):
        return self.kernel

    def call(self, inputs):
        y = ops.conv(inputs, spectral_normalize(self.kernel, self.sn_u), strides=self.strides, padding=self.padding)
        return y + self.bias if self.bias is not None else y

    def compute_output_shape(self, input_shape):
        size = [None if s is None else (s + self.strides - 1) // self.strides if self.padding == "same"
                else (s - self.kernel_size) // self.strides + 1 for s in input_shape[1:3]]
        return (input_shape[0], *size, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides, padding=self.padding,
                      use_bias=self.use_bias, kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config


@serializable
class SpectralDense(_Spectral, keras.layers.Layer):
    """A fully connected layer computing with its spectrally normalized kernel.

    Args:
        units: outputs.
        use_bias: add a bias.
        kernel_initializer: initializer of the raw kernel (BigGAN: orthogonal).
        **kwargs: base ``Layer`` arguments.

    Example:
        logit = SpectralDense(1)(h)
    """

    def __init__(self, units, use_bias=True, kernel_initializer="orthogonal", **kwargs):
        super().__init__(**kwargs)
        _check_positive("units", units)
        self.units = units
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(int(input_shape[-1]), self.units), initializer=self.kernel_initializer,
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias") if self.use_bias else None
        self._build_u(self.units)

    def _spectral_source(self):
        return self.kernel

    def call(self, inputs):
        y = ops.matmul(inputs, spectral_normalize(self.kernel, self.sn_u))
        return y + self.bias if self.bias is not None else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, use_bias=self.use_bias,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config


def spectral_layers(model):
    """The layers of ``model`` (nested ones included) that hold a per-step spectral update."""
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, _Spectral) and getattr(layer, "sn_u", None) is not None]


def update_spectral_norms(model):
    """Runs one power iteration in every spectrally normalized layer of ``model``; returns their count."""
    layers = spectral_layers(model)
    for layer in layers:
        layer.per_step_update()
    return len(layers)
