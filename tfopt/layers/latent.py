"""Splitting the noise into chunks: BigGAN's hierarchical latent.

Example:
    z0, z1, z2 = LatentChunks(3)(z)        # [B, 3k] -> three [B, k]
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["LatentChunks"]


@serializable
class LatentChunks(keras.layers.Layer):
    """Splits ``z [B, D]`` into ``chunks`` equal parts along its last axis (D divisible by ``chunks``).

    Args:
        chunks: number of parts (positive int).
        **kwargs: keras.layers.Layer arguments.
    """

    def __init__(self, chunks, **kwargs):
        super().__init__(**kwargs)
        if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
            raise ValueError(f"Expected chunks to be a positive integer. Received: chunks={chunks!r}")
        self.chunks = chunks

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] % self.chunks:
            raise ValueError(f"Expected a size divisible by chunks={self.chunks}. Received: shape {tuple(input_shape)}")

    def call(self, z):
        return ops.split(z, self.chunks, axis=-1)

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], input_shape[-1] // self.chunks)] * self.chunks

    def get_config(self):
        config = super().get_config()
        config.update(chunks=self.chunks)
        return config
