"""AttnGAN's attention of image sub-regions over the words of a caption, and the gated linear unit it uses.

Xu et al. 2018 (Section 3.1): the hidden features ``h`` of a generator stage are ``N =
H * W`` sub-region vectors ``h_i``; the word features ``e`` (``[T, D]``, from the frozen
text encoder) are brought to the image's width by a learnt ``U`` (a 1x1 convolution
without bias in the paper: ``e'_j = U e_j``), and each sub-region gets the word-context
vector ``c_i = sum_j beta_ij e'_j`` with ``beta_ij = softmax_j(h_i . e'_j)``. Padded
words get no attention (their score is set to ``-1e9`` before the softmax), so a
caption's length does not change what its real words receive.

:class:`GLU` is the gated linear unit ``a * sigmoid(b)`` (``a``, ``b`` the two halves
of the channels) that AttnGAN's generator uses in place of ReLU.

Example:
    context, attention = WordAttention()([h, words, mask])   # [B, H, W, C], [B, H*W, T]
    h = GLU()(conv(h))                                       # [B, H, W, 2C] -> [B, H, W, C]
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["WordAttention", "GLU"]

_NEG = -1e9  # "minus infinity" that keeps the softmax and its gradients finite


@serializable
class WordAttention(keras.layers.Layer):
    """``[h [B, H, W, C], words [B, T, D], mask [B, T]] -> [context [B, H, W, C], attention [B, H*W, T]]``.

    ``attention[b, i, j]`` is sub-region ``i``'s (row-major over ``H x W``) weight on word
    ``j``: each row sums to 1 over the real words and is 0 on padding (``mask`` 0).

    Args:
        kernel_initializer: initializer of ``U`` (``[D, C]``, no bias).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``).

    Example:
        context, attention = WordAttention(name="attention")([h, words, mask])
    """

    def __init__(self, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        h_shape, words_shape, mask_shape = input_shape
        if len(h_shape) != 4 or len(words_shape) != 3 or len(mask_shape) != 2:
            raise ValueError(f"Expected h [B, H, W, C], words [B, T, D] and mask [B, T]. Received: shapes "
                             f"{tuple(h_shape)}, {tuple(words_shape)}, {tuple(mask_shape)}")
        self.kernel = self.add_weight(shape=(int(words_shape[-1]), int(h_shape[-1])),
                                      initializer=self.kernel_initializer, name="kernel")

    def call(self, inputs):
        h, words, mask = inputs
        height, width, channels = h.shape[1], h.shape[2], h.shape[3]
        projected = ops.matmul(ops.cast(words, h.dtype), self.kernel)               # [B, T, C]: U e_j
        regions = ops.reshape(h, (-1, height * width, channels))                  # [B, N, C]: h_i
        scores = ops.matmul(regions, ops.transpose(projected, (0, 2, 1)))         # [B, N, T]
        mask = ops.cast(mask, scores.dtype)[:, None, :]
        attention = ops.softmax(scores + (1.0 - mask) * _NEG, axis=-1) * mask     # padding: exactly 0
        context = ops.reshape(ops.matmul(attention, projected), (-1, height, width, channels))
        return context, attention

    def compute_output_shape(self, input_shape):
        h_shape, words_shape, _ = input_shape
        positions = None if None in h_shape[1:3] else h_shape[1] * h_shape[2]
        return tuple(h_shape), (h_shape[0], positions, words_shape[1])

    def get_config(self):
        config = super().get_config()
        config.update(kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config


@serializable
class GLU(keras.layers.Layer):
    """Gated linear unit over the last axis: ``[..., 2C] -> [..., C]``, ``a * sigmoid(b)``.

    Example:
        h = GLU()(h)     # [B, 8, 8, 64] -> [B, 8, 8, 32]
    """

    def build(self, input_shape):
        if input_shape[-1] is None or int(input_shape[-1]) % 2:
            raise ValueError(f"Expected an even number of channels. Received: input shape {tuple(input_shape)}")

    def call(self, x):
        half = x.shape[-1] // 2
        return x[..., :half] * ops.sigmoid(x[..., half:])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // 2)
