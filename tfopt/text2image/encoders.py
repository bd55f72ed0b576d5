"""AttnGAN's two encoders (Xu et al. 2018, Section 3.3): a bi-directional LSTM for text, a small CNN for images.

Both map into one D-dimensional space, trained jointly with the DAMSM losses of
:mod:`tfopt.text2image.damsm`. The text encoder takes raw strings: its
``keras.layers.TextVectorization`` (the captioned digits' fixed vocabulary by default)
lives inside the model, so a saved model answers sentences. Word features are the
LSTM's per-token outputs (both directions concatenated), the sentence vector its last
hidden states of both directions concatenated. The image encoder stands in for
AttnGAN's ImageNet Inception-v3, which cannot be had offline: region features come from
an intermediate 8x8 feature map projected by a 1x1 convolution to D, the global vector
from the last layer projected by a Dense layer to D.

Example:
    text = text_encoder(embedding_dim=256)
    out = text(tf.constant(["a thick red seven on a blue background"]))
    out["words"].shape, out["sentence"].shape, out["mask"].shape   # [1, 16, 256], [1, 256], [1, 16]
    image = image_encoder(image_size=32, embedding_dim=256)
    image(images)["regions"].shape                                  # [B, 64, 256]: 8x8 sub-regions
"""
import math

import keras

from tfopt.core.errors import InputError
from tfopt.layers.text import MaskedWords, TokenMask  # registered with tfopt.layers, so an exporter loads them
from tfopt.models.digits import _seeded

__all__ = ["TokenMask", "MaskedWords", "text_encoder", "image_encoder", "REGION_GRID"]

REGION_GRID = 8
"""Side of the image encoder's region grid: R = 8 x 8 = 64 sub-regions at every image size."""
_SEQUENCE_LENGTH = 16  # tfopt.data.captioned_digits.SEQUENCE_LENGTH, repeated so this module imports without it


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"expected {name} to be a positive integer; received: {name}={value!r}")


def _vectorizer(vectorizer, sequence_length):
    """A TextVectorization: the one given, one over a given vocabulary, or the captioned digits' fixed one."""
    if isinstance(vectorizer, keras.layers.TextVectorization):
        return vectorizer
    if vectorizer is None:
        from tfopt.data.captioned_digits import vectorizer as captioned_vectorizer  # Part A: imported on use

        return captioned_vectorizer(sequence_length)
    if isinstance(vectorizer, str) or not all(isinstance(word, str) for word in vectorizer):
        raise InputError(f"expected vectorizer to be a TextVectorization or a list of words; "
                         f"received: {type(vectorizer).__name__}")
    return keras.layers.TextVectorization(
        standardize="lower_and_strip_punctuation", split="whitespace", output_mode="int",
        output_sequence_length=sequence_length, vocabulary=list(vectorizer), name="vectorizer")


def text_encoder(*, embedding_dim=256, word_dim=128, sequence_length=_SEQUENCE_LENGTH, vectorizer=None,
                 dropout=0.0, seed=0):
    """The bi-directional LSTM text encoder: raw strings in, word features and a sentence vector out.

    Args:
        embedding_dim: D, the size of word features and sentence vector (even: D / 2 per direction;
            AttnGAN's 256).
        word_dim: size of the learned word embedding fed to the LSTM (AttnGAN's 300).
        sequence_length: tokens per caption after vectorization (padded or truncated);
            ignored when ``vectorizer`` is a TextVectorization.
        vectorizer: None (``tfopt.data.captioned_digits.vectorizer``, its fixed vocabulary),
            a ``keras.layers.TextVectorization`` (with its vocabulary set, output_mode "int"
            and a fixed output_sequence_length), or a list of words (the vocabulary, without
            the padding and "[UNK]" tokens).
        dropout: dropout rate on the word embedding while training (AttnGAN's 0.5).
        seed: seed of the initial weights.

    Returns:
        keras.Model "text_encoder": input "captions" (tf.string ``[B]``), outputs a dict
        "words" float32 ``[B, T, D]`` (zero at padding), "sentence" float32 ``[B, D]``,
        "mask" float32 ``[B, T]`` (1 = real token).

    Raises:
        InputError: a bad size or vectorizer.

    Example:
        text = text_encoder(vectorizer=["a", "red", "seven", "on", "blue"])
        text(tf.constant(["a red seven"]))["sentence"]     # [1, 256]
    """
    for name, value in (("embedding_dim", embedding_dim), ("word_dim", word_dim),
                        ("sequence_length", sequence_length)):
        _check_positive(name, value)
    if embedding_dim % 2:
        raise InputError(f"expected an even embedding_dim (half per LSTM direction); "
                         f"received: embedding_dim={embedding_dim}")
    if not 0.0 <= float(dropout) < 1.0:
        raise InputError(f"expected dropout in [0, 1); received: dropout={dropout!r}")
    vectorize = _vectorizer(vectorizer, sequence_length)

    def build():
        captions = keras.Input(shape=(), dtype="string", name="captions")
        ids = vectorize(captions)
        x = keras.layers.Embedding(vectorize.vocabulary_size(), word_dim, mask_zero=True, name="embedding")(ids)
        if dropout:
            x = keras.layers.Dropout(float(dropout), name="embedding_dropout")(x)
        lstm = keras.layers.LSTM(embedding_dim // 2, return_sequences=True, return_state=True, name="lstm")
        outputs, forward_h, _, backward_h, _ = keras.layers.Bidirectional(lstm, name="bilstm")(x)
        mask = TokenMask(name="mask")(ids)
        words = MaskedWords(name="words")([outputs, mask])
        sentence = keras.layers.Concatenate(name="sentence")([forward_h, backward_h])
        return keras.Model(captions, {"words": words, "sentence": sentence, "mask": mask}, name="text_encoder")

    return _seeded(seed, build)


def _conv(x, filters, strides, name):
    x = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def image_encoder(*, image_size=32, embedding_dim=256, width=32, seed=0):
    """The small CNN image encoder: region features from an 8x8 map, a global vector from the last layer.

    Stride-2 convolutions halve the image down to 8x8 (regions: a 1x1 convolution to D,
    R = 64), then twice more to 2x2 (global: average pooled, a Dense layer to D).

    Args:
        image_size: S, a power of two >= 16 (32 and 64 for the captioned digits).
        embedding_dim: D, the size of region features and global vector.
        width: filters of the first convolution (doubled at every halving, at most 8x).
        seed: seed of the initial weights.

    Returns:
        keras.Model "image_encoder": input "image" float32 ``[B, S, S, 3]`` in [-1, 1],
        outputs a dict "regions" float32 ``[B, 64, D]`` and "global" float32 ``[B, D]``.

    Raises:
        InputError: a bad size.

    Example:
        out = image_encoder(image_size=32)(images)   # out["regions"]: [B, 64, 256]
    """
    for name, value in (("image_size", image_size), ("embedding_dim", embedding_dim), ("width", width)):
        _check_positive(name, value)
    if image_size < 2 * REGION_GRID or image_size & (image_size - 1):
        raise InputError(f"expected image_size to be a power of two >= {2 * REGION_GRID}; "
                         f"received: image_size={image_size}")
    halvings = int(math.log2(image_size // REGION_GRID))

    def build():
        image = keras.Input(shape=(image_size, image_size, 3), name="image")
        x = _conv(image, width, 1, "stem")
        filters = width
        for k in range(halvings):
            filters = min(2 * filters, 8 * width)
            x = _conv(x, filters, 2, f"down{k}")
        regions = keras.layers.Conv2D(embedding_dim, 1, name="regions_projection")(x)
        regions = keras.layers.Reshape((REGION_GRID * REGION_GRID, embedding_dim), name="regions")(regions)
        for k in range(2):
            filters = min(2 * filters, 8 * width)
            x = _conv(x, filters, 2, f"top{k}")
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        global_ = keras.layers.Dense(embedding_dim, name="global")(x)
        return keras.Model(image, {"regions": regions, "global": global_}, name="image_encoder")

    return _seeded(seed, build)
