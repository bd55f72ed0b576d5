"""Maxout units (Goodfellow et al. 2013), the hidden layers of the original GAN's discriminator.

Example:
    h = Maxout(240, pieces=5)(keras.layers.Flatten()(x))
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["Maxout"]


@serializable
class Maxout(keras.layers.Layer):
    """Maxout units: ``units`` outputs, each the max over ``pieces`` affine pieces.

    Goodfellow et al. 2013, "Maxout Networks"; the discriminator of the original GAN
    paper uses two maxout layers (240 units, 5 pieces on MNIST).

    Args:
        units: number of outputs (positive int).
        pieces: affine pieces per unit (positive int).
        kernel_initializer: initializer for the ``[in, units * pieces]`` kernel.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``).

    Example:
        h = Maxout(240, pieces=5)(keras.layers.Flatten()(x))
    """

    def __init__(self, units, pieces=5, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("units", units), ("pieces", pieces)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Expected {arg} to be a positive integer. Received: {arg}={value!r}")
        self.units = units
        self.pieces = pieces
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        dim = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(dim, self.units * self.pieces), initializer=self.kernel_initializer, name="kernel"
        )
        self.bias = self.add_weight(shape=(self.units * self.pieces,), initializer="zeros", name="bias")

    def call(self, inputs):
        z = ops.matmul(inputs, self.kernel) + self.bias
        z = ops.reshape(z, (-1, self.units, self.pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            pieces=self.pieces,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
