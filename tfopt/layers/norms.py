"""Normalization layers.

Instance normalization (Ulyanov, Vedaldi & Lempitsky, 2016) normalizes each sample's
channels over H and W, so a network's output does not depend on the rest of the batch.

Example:
    y = InstanceNorm()(x)          # [B, H, W, C] -> same shape
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["InstanceNorm"]


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
