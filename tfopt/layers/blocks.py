"""Blocks of layers used as one layer.

Example:
    y = ResidualBlock(128)(x)      # x + IN(conv(relu(IN(conv(x)))))
"""
import keras
from keras import ops

from tfopt.layers.conv import ReflectConv
from tfopt.layers.norms import InstanceNorm
from tfopt.layers.registration import serializable

__all__ = ["ResidualBlock"]


@serializable
class ResidualBlock(keras.layers.Layer):
    """``x + IN(conv(relu(IN(conv(x)))))`` with 3x3 reflection-padded convolutions.

    Args:
        filters: channels of ``x`` and of both convolutions.
        **kwargs: keras.layers.Layer arguments.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.conv1, self.norm1 = ReflectConv(self.filters, 3), InstanceNorm()
        self.conv2, self.norm2 = ReflectConv(self.filters, 3), InstanceNorm()

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(f"expected {self.filters} input channels; received: {input_shape[-1]}")
        shape = (input_shape[0], None, None, self.filters)
        for layer in (self.conv1, self.norm1, self.conv2, self.norm2):
            layer.build(shape)

    def call(self, x):
        y = ops.relu(self.norm1(self.conv1(x)))
        return x + self.norm2(self.conv2(y))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}
