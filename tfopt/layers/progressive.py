"""Progressive GAN's layers (Karras et al. 2018, "Progressive Growing of GANs").

Equalized learning rate: weights are stored ``N(0, 1 / lr_multiplier)`` and scaled at
run time by ``gain / sqrt(fan_in) * lr_multiplier`` (He's constant), so Adam's update
moves every layer at the same relative speed. Pixel norm, the minibatch stddev feature
of the discriminator, and the fade-in blend of a newly grown resolution complete the set.

Example:
    h = PixelNorm()(EqualizedConv2D(16, 3)(x))
    h = MinibatchStddev(4)(h)                            # [B, H, W, 17]
    fade = FadeIn(); rgb = fade([old_rgb, new_rgb]); fade.set_alpha(0.3)
"""
import math
import numbers

import keras
from keras import ops

from tfopt.core.errors import InputError
from tfopt.layers.registration import serializable

__all__ = ["EqualizedDense", "EqualizedConv2D", "PixelNorm", "MinibatchStddev", "FadeIn"]


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"expected {name} to be an int >= 1; received: {name}={value!r}")
    return value


def _positive_float(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise InputError(f"expected {name} to be a finite number > 0; received: {name}={value!r}")
    return float(value)


class _Equalized(keras.layers.Layer):
    """Shared arguments and weights of the equalized layers: ``kernel * scale``, ``bias * lr_multiplier``."""

    def __init__(self, gain, lr_multiplier, use_bias, **kwargs):
        super().__init__(**kwargs)
        self.gain = _positive_float("gain", gain)
        self.lr_multiplier = _positive_float("lr_multiplier", lr_multiplier)
        self.use_bias = bool(use_bias)

    def _build_weights(self, kernel_shape, fan_in):
        self.scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier
        init = keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier)
        self.kernel = self.add_weight(shape=kernel_shape, initializer=init, name="kernel")
        self.bias = (self.add_weight(shape=kernel_shape[-1:], initializer="zeros", name="bias")
                     if self.use_bias else None)

    def _add_bias(self, y):
        return y + self.bias * self.lr_multiplier if self.bias is not None else y

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias}


@serializable
class EqualizedDense(_Equalized):
    """A dense layer with equalized learning rate; flattens all but the batch axis first.

    Args:
        units: outputs (int >= 1).
        gain: He gain of the effective weight (``sqrt(2)`` before a leaky ReLU, 1 for a linear output).
        lr_multiplier: learning-rate multiplier: stored ``N(0, 1 / lr_multiplier)``, run-time
            scale and bias both multiplied by it.
        use_bias: add a bias (zeros, times ``lr_multiplier``).
        **kwargs: base ``Layer`` arguments.

    Example:
        y = EqualizedDense(128)(z)             # [B, ...] -> [B, 128]
    """

    def __init__(self, units, gain=math.sqrt(2.0), lr_multiplier=1.0, use_bias=True, **kwargs):
        super().__init__(gain, lr_multiplier, use_bias, **kwargs)
        self.units = _positive_int("units", units)

    def build(self, input_shape):
        if len(input_shape) < 2 or any(d is None for d in input_shape[1:]):
            raise InputError(f"expected an input of rank >= 2 with known non-batch axes; received: "
                             f"input_shape={tuple(input_shape)!r}")
        self.fan_in = math.prod(int(d) for d in input_shape[1:])
        self._build_weights((self.fan_in, self.units), self.fan_in)

    def call(self, inputs):
        x = ops.reshape(inputs, (-1, self.fan_in))
        return self._add_bias(ops.matmul(x, self.kernel * self.scale))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@serializable
class EqualizedConv2D(_Equalized):
    """A 'same'-padded stride-1 NHWC convolution with equalized learning rate (``fan_in = k * k * C``).

    Args:
        filters: output channels (int >= 1).
        kernel_size: square kernel side (int >= 1).
        gain: He gain of the effective weight.
        lr_multiplier: learning-rate multiplier (see :class:`EqualizedDense`).
        use_bias: add a bias.
        **kwargs: base ``Layer`` arguments.

    Example:
        y = EqualizedConv2D(32, 3)(x)          # [B, H, W, C] -> [B, H, W, 32]
    """

    def __init__(self, filters, kernel_size, gain=math.sqrt(2.0), lr_multiplier=1.0, use_bias=True, **kwargs):
        super().__init__(gain, lr_multiplier, use_bias, **kwargs)
        self.filters = _positive_int("filters", filters)
        self.kernel_size = _positive_int("kernel_size", kernel_size)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise InputError(f"expected an input [B, H, W, C] with a known C; received: "
                             f"input_shape={tuple(input_shape)!r}")
        channels, k = int(input_shape[-1]), self.kernel_size
        self._build_weights((k, k, channels, self.filters), k * k * channels)

    def call(self, inputs):
        return self._add_bias(ops.conv(inputs, self.kernel * self.scale, strides=1, padding="same"))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}


@serializable
class PixelNorm(keras.layers.Layer):
    """Pixelwise feature normalization: ``x / sqrt(mean(x ** 2, last axis) + epsilon)``.

    Computed in float32 (1e-8 underflows in float16), any rank >= 2.

    Args:
        epsilon: added to the mean square (> 0).
        **kwargs: base ``Layer`` arguments.

    Example:
        h = PixelNorm()(h)                     # each pixel's feature vector has mean square 1
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = _positive_float("epsilon", epsilon)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        y = x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)
        return ops.cast(y, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@serializable
class MinibatchStddev(keras.layers.Layer):
    """Appends one feature map: the stddev of each feature over a group of examples, averaged, tiled.

    Groups are CONTIGUOUS runs of ``G`` examples (``[B, H, W, C] -> [B / G, G, H, W, C]``,
    std over axis 1), unlike the reference code's strided ``[G, B / G, ...]``: a batch split
    into contiguous per-replica parts (``tf.distribute``) then gives the same feature as one
    device whenever the local batch is a multiple of ``G``. ``G`` is the largest divisor of
    the (dynamic) batch size that is ``<= group_size`` (batch 6, group 4: ``G = 3``; batch 1:
    ``G = 1``, the feature is then ``sqrt(1e-8) = 1e-4``). The std is ``sqrt(mean((x -
    mean) ** 2) + 1e-8)`` in float32, averaged over features and pixels.

    Args:
        group_size: largest group (int >= 1).
        **kwargs: base ``Layer`` arguments.

    Example:
        h = MinibatchStddev(4)(h)              # [B, H, W, C] -> [B, H, W, C + 1]
    """

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = _positive_int("group_size", group_size)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise InputError(f"expected an input [B, H, W, C]; received: input_shape={tuple(input_shape)!r}")

    def call(self, inputs):
        shape = ops.shape(inputs)
        sizes = ops.arange(1, self.group_size + 1, dtype="int32")
        batch = ops.cast(shape[0], "int32")
        group = ops.max(ops.where(ops.equal(ops.mod(batch, sizes), 0), sizes, 1))
        x = ops.reshape(ops.cast(inputs, "float32"), (-1, group, shape[1], shape[2], shape[3]))
        x = x - ops.mean(x, axis=1, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(x), axis=1) + 1e-8)            # [B / G, H, W, C]
        std = ops.mean(std, axis=(1, 2, 3))                                # [B / G]
        std = ops.reshape(ops.repeat(std, group, axis=0), (-1, 1, 1, 1))  # [B, 1, 1, 1]
        feature = ops.tile(ops.cast(std, inputs.dtype), (1, shape[1], shape[2], 1))
        return ops.concatenate([inputs, feature], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], None if input_shape[3] is None else input_shape[3] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


@serializable
class FadeIn(keras.layers.Layer):
    """``[old, new] -> (1 - alpha) * old + alpha * new``, ``alpha`` a saved non-trainable scalar.

    ``alpha`` (float32, initially 1.0) is created with the layer, so :meth:`set_alpha`
    works before the first call; it has ``aggregation="only_first_replica"``, so under
    ``MirroredStrategy`` it can be assigned from cross-replica context between steps (and
    from replica context), and a compiled step reads the new value without retracing.

    Args:
        **kwargs: base ``Layer`` arguments.

    Example:
        fade = FadeIn(); rgb = fade([upsampled_old_rgb, new_rgb])
        fade.set_alpha(step / fade_steps)      # between training steps
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.alpha = self.add_weight(shape=(), dtype="float32", initializer="ones", trainable=False,
                                     aggregation="only_first_replica", name="alpha")

    def build(self, input_shape):
        pair = list(input_shape) if all(isinstance(s, (list, tuple)) for s in input_shape) else []
        if len(pair) != 2 or len(pair[0]) != len(pair[1]) or any(
                a is not None and b is not None and a != b for a, b in zip(*pair)):
            raise InputError(f"expected [old, new] of one shape; received: input_shape={input_shape!r}")

    def set_alpha(self, value):
        """Assigns ``alpha`` (a number in ``[0, 1]``)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
            raise InputError(f"expected 0 <= alpha <= 1; received: value={value!r}")
        self.alpha.assign(float(value))

    @property
    def alpha_value(self):
        """The current ``alpha`` as a python float."""
        return float(ops.convert_to_numpy(self.alpha))

    def call(self, inputs):
        old, new = inputs
        alpha = ops.cast(self.alpha, old.dtype)
        return (1.0 - alpha) * old + alpha * new

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])
