"""Normalization layers: instance norm, and class-conditional batch norm.

Instance normalization (Ulyanov, Vedaldi & Lempitsky, 2016) normalizes each sample's
channels over H and W, so a network's output does not depend on the rest of the batch.
Conditional batch norm takes its gain and bias from a conditioning vector (BigGAN).

Example:
    y = InstanceNorm()(x)          # [B, H, W, C] -> same shape
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable
from tfopt.layers.spectral import SpectralDense

__all__ = ["InstanceNorm", "ConditionalBatchNorm"]


@serializable
class InstanceNorm(keras.layers.Layer):
    """Instance normalization: each sample's channels normalized over H, W, then scaled and shifted.

    Args:
        epsilon: variance floor.
        **kwargs: keras.layers.Layer arguments.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise ValueError(f"expected epsilon > 0; received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        c = input_shape[-1]
        self.gamma = self.add_weight(shape=(c,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(c,), initializer="zeros", name="beta")

    def call(self, x):
        mean, var = ops.moments(x, axes=[1, 2], keepdims=True)
        return (x - mean) * ops.rsqrt(var + self.epsilon) * self.gamma + self.beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@serializable
class ConditionalBatchNorm(keras.layers.Layer):
    """Class-conditional batch norm: BN without its own affine, then ``x * (1 + gain(c)) + bias(c)``.

    BigGAN (Brock et al. 2019, after de Vries et al. 2017 and Miyato & Koyama 2018): the
    gain and bias come from linear maps of a conditioning vector ``c`` (the shared
    class embedding concatenated with this block's chunk of z), spectrally normalized
    as in BigGAN. The gain is ``1 +`` a map that starts near zero, so a new network
    begins as plain batch norm.

    Args:
        momentum: moving-statistics momentum.
        epsilon: variance floor.
        synchronized: batch statistics over all replicas.
        spectral_norm: spectrally normalize the two linear maps.
        kernel_initializer: initializer of the two maps without spectral norm (default
            orthogonal, BigGAN's; "zeros" starts the layer as plain batch norm whatever ``c`` is).
        **kwargs: keras.layers.Layer arguments.

    Example:
        h = ConditionalBatchNorm()([h, c])       # h [B, H, W, C], c [B, D] -> [B, H, W, C]
    """

    def __init__(self, momentum=0.99, epsilon=1e-4, synchronized=True, spectral_norm=True,
                 kernel_initializer="orthogonal", **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        if not epsilon > 0 or not 0 <= momentum < 1:
            raise ValueError(f"expected epsilon > 0 and 0 <= momentum < 1; received: epsilon={epsilon!r}, "
                             f"momentum={momentum!r}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.synchronized, self.spectral_norm = bool(synchronized), bool(spectral_norm)

    def build(self, input_shape):
        x_shape, c_shape = input_shape
        channels = int(x_shape[-1])
        self.norm = keras.layers.BatchNormalization(center=False, scale=False, momentum=self.momentum,
                                                    epsilon=self.epsilon, synchronized=self.synchronized, name="bn")
        if self.spectral_norm:
            self.gain = SpectralDense(channels, name="gain")
            self.offset = SpectralDense(channels, name="offset")
        else:
            spec = keras.initializers.serialize(self.kernel_initializer)  # one fresh initializer per map
            self.gain = keras.layers.Dense(channels, kernel_initializer=keras.initializers.get(spec), name="gain")
            self.offset = keras.layers.Dense(channels, kernel_initializer=keras.initializers.get(spec), name="offset")
        self.norm.build(x_shape)
        self.gain.build(c_shape)
        self.offset.build(c_shape)

    def call(self, inputs, training=None):
        x, c = inputs
        h = self.norm(x, training=training)
        gain = 1.0 + self.gain(c)[:, None, None, :]
        return h * gain + self.offset(c)[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, epsilon=self.epsilon, synchronized=self.synchronized,
                      spectral_norm=self.spectral_norm,
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config
