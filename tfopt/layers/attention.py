"""Self-attention over image positions (SAGAN, Zhang et al. 2019), as BigGAN uses it.

Each position attends to every position of a 2x max-pooled grid: ``o = softmax(theta(x)
phi(x)^T) g(x)``, then ``x + gamma * conv(o)`` with ``gamma`` starting at 0, so the block
begins as the identity. The four 1x1 convolutions are spectrally normalized.

Example:
    h = SelfAttention()(h)            # [B, H, W, C] -> same shape (C >= 8, H and W even)
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable
from tfopt.layers.spectral import SpectralConv2D

__all__ = ["SelfAttention"]


@serializable
class SelfAttention(keras.layers.Layer):
    """SAGAN's self-attention block with a learnt residual gain (starts at 0).

    Args:
        **kwargs: keras.layers.Layer arguments.
    """

    def build(self, input_shape):
        channels = int(input_shape[-1])
        if channels < 8:
            raise ValueError(f"Expected at least 8 channels. Received: input shape {tuple(input_shape)}")
        self.theta = SpectralConv2D(channels // 8, 1, use_bias=False, name="theta")
        self.phi = SpectralConv2D(channels // 8, 1, use_bias=False, name="phi")
        self.g = SpectralConv2D(channels // 2, 1, use_bias=False, name="g")
        self.out = SpectralConv2D(channels, 1, use_bias=False, name="o")
        for layer in (self.theta, self.phi, self.g):
            layer.build(input_shape)
        self.out.build((*input_shape[:-1], channels // 2))
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def call(self, x):
        height, width, channels = x.shape[1], x.shape[2], x.shape[3]
        positions, pooled = height * width, (height // 2) * (width // 2)
        theta = ops.reshape(self.theta(x), (-1, positions, channels // 8))
        phi = ops.reshape(ops.max_pool(self.phi(x), 2, 2), (-1, pooled, channels // 8))
        g = ops.reshape(ops.max_pool(self.g(x), 2, 2), (-1, pooled, channels // 2))
        attention = ops.softmax(ops.matmul(theta, ops.transpose(phi, (0, 2, 1))), axis=-1)
        o = ops.reshape(ops.matmul(attention, g), (-1, height, width, channels // 2))
        return x + self.gamma * self.out(o)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
