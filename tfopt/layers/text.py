"""The text encoder's padding layers: the float mask of token ids and word features zeroed at padding.

They live with every other registered layer (``tfopt>TokenMask``, ``tfopt>MaskedWords``), so
whatever imports :mod:`tfopt.layers` (``bin/export.py``) loads a text-to-image model's
``.keras`` file with ``safe_mode=True``; :mod:`tfopt.text2image.encoders` builds with them.

Example:
    mask = TokenMask()(ids)                         # [B, T] ids -> [B, T] float 0/1
    words = MaskedWords()([lstm_outputs, mask])     # [B, T, D], zero at padding
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["TokenMask", "MaskedWords"]


@serializable
class TokenMask(keras.layers.Layer):
    """Token ids ``[B, T]`` -> float32 ``[B, T]``: 1 for a real token, 0 for padding (id 0).

    Example:
        mask = TokenMask()(ids)
    """

    def call(self, ids):
        return ops.cast(ops.not_equal(ids, 0), "float32")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@serializable
class MaskedWords(keras.layers.Layer):
    """Zeroes the word features of padded tokens: ``(words [B, T, D], mask [B, T]) -> words * mask``.

    Example:
        words = MaskedWords()([lstm_outputs, mask])
    """

    def call(self, inputs, mask=None):  # the Keras mask arriving with the words is consumed: the float mask is kept
        words, token_mask = inputs
        return words * ops.expand_dims(ops.cast(token_mask, words.dtype), -1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])
