"""InfoGAN's categorical code, read from the first entries of the noise (Chen et al. 2016).

Example:
    h = CategoricalCode(10)(keras.Input((18,)))     # 10 one-hot + 8 normal entries
    codes = categorical_code(z, 10)                 # the one-hot code a noise row carries
"""
import keras
import tensorflow as tf
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["CategoricalCode", "categorical_code"]


def categorical_code(z, num_codes):
    """The one-hot categorical code carried by the first ``num_codes`` entries of ``z``.

    ``one_hot(argmax(z[:, :num_codes]))``: the argmax of ``num_codes`` i.i.d. normals is
    uniform over ``0 .. num_codes - 1``, so a plain ``z ~ N(0, I)`` carries a uniform
    categorical code (InfoGAN's ``c ~ Cat(K = num_codes)``) without a second input.

    Args:
        z: ``[B, latent_dim]`` noise, ``latent_dim >= num_codes``.
        num_codes: number of categories (positive int).

    Returns:
        ``[B, num_codes]`` one-hot rows, the dtype of ``z``.
    """
    # tf.argmax rather than keras.ops.argmax: the latter's negative-zero fix needs a
    # bitwise op that TFLite lacks (the exported generator must stay built-in ops only).
    z = tf.convert_to_tensor(z)
    return tf.one_hot(tf.argmax(z[:, :num_codes], axis=-1), num_codes, dtype=z.dtype)


@serializable
class CategoricalCode(keras.layers.Layer):
    """Replaces the first ``num_codes`` noise entries by the one-hot code they carry.

    ``z [B, D] -> concat([categorical_code(z, num_codes), z[:, num_codes:]]) [B, D]``: the
    generator keeps the interface ``z ~ N(0, I)`` of size ``D`` while its first layer sees
    an InfoGAN categorical code (Chen et al. 2016, "InfoGAN") and ``D - num_codes``
    continuous dimensions. No weights.

    Args:
        num_codes: number of categories (positive int, smaller than the noise size).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``).

    Example:
        h = CategoricalCode(10)(keras.Input((18,)))     # 10 one-hot + 8 normal entries
    """

    def __init__(self, num_codes, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_codes, bool) or not isinstance(num_codes, int) or num_codes < 1:
            raise ValueError(f"Expected num_codes to be a positive integer. Received: num_codes={num_codes!r}")
        self.num_codes = num_codes

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim is not None and dim <= self.num_codes:
            raise ValueError(f"Expected an input larger than num_codes={self.num_codes}. Received: shape "
                             f"{tuple(input_shape)}")

    def call(self, inputs):
        code = categorical_code(inputs, self.num_codes)
        return ops.concatenate([code, inputs[:, self.num_codes:]], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(num_codes=self.num_codes)
        return config
