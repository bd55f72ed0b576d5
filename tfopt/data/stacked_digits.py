"""Stacked digits: three independent real digits as the R, G and B channels of one image (1,000 modes).

The offline counterpart of "stacked MNIST" (Metz et al. 2017; Karras et al. 2018,
Table 4): each channel of an image is a digit image drawn uniformly and independently
from one split of :func:`tfopt.data.digits` (sklearn's real digits, the package's fixed
stratified split, seed 0, the split the ``digits_cnn`` classifier is trained on), so an
image is one of 1,000 modes, ``label = 100 * d_R + 10 * d_G + d_B``. Each channel is
exactly the package's 1-channel digit at that size: 8x8 scaled to [0, 1], upsampled
bilinearly to 32x32 and clipped, then (for ``image_size != 32``) resized bilinearly to
``image_size``, as the GAN trainer resizes ``digits``.

The GAN trainer's ``--dataset=stacked_digits`` trains on :data:`NUM_EXAMPLES` images of
the train split (seed 0) and scores FID against as many of the test split.

Example:
    x, y = stacked_digits(1000, split="test")    # x: float32 [1000, 32, 32, 3] in [-1, 1]
    y[0] // 100, y[0] // 10 % 10, y[0] % 10      # the digits of the R, G and B channels
"""
import functools

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.data import digits

__all__ = ["NUM_EXAMPLES", "NUM_MODES", "stacked_digits", "split_labels"]

NUM_EXAMPLES = 10_000
"""Images per split of the named set ``stacked_digits`` (train and test alike), drawn with seed 0."""
NUM_MODES = 1000
"""Distinct (R, G, B) digit triples."""
_SPLITS = ("train", "test")
_DIGIT_SIZE = 32  # the size tfopt.data.digits upsamples to


@functools.lru_cache(maxsize=4)
def _channel_digits(split, image_size):
    """The split's 1-channel digits at ``image_size``: (float32 [N, S, S] in [0, 1], int64 [N]), read-only."""
    arrays = digits(seed=0)
    x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
    if image_size != _DIGIT_SIZE:
        x = tf.image.resize(x, (image_size, image_size), method="bilinear").numpy()
    x = np.ascontiguousarray(x[..., 0], dtype=np.float32)
    x.setflags(write=False)
    return x, y


def stacked_digits(num, *, image_size=32, split="train", seed=0):
    """``num`` stacked-digit images: each channel an independently drawn real digit of ``split``.

    Args:
        num: images to draw (>= 1).
        image_size: image side (>= 1); 32 is the digits' own size.
        split: "train" (1,347 digits) or "test" (450 digits the digits classifier never saw).
        seed: seed of the draw (the train/test split of the digits is always the package's).

    Returns:
        ``(images, labels)``: float32 ``[num, S, S, 3]`` in [-1, 1] and int32 ``[num]`` in
        0..999, ``100 * d_R + 10 * d_G + d_B``.

    Raises:
        InputError: a bad ``num``, ``image_size`` or ``split``.
    """
    if split not in _SPLITS:
        raise InputError(f"expected split in {list(_SPLITS)}; received: split={split!r}")
    for name, value in (("num", num), ("image_size", image_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"expected {name} to be an integer >= 1; received: {name}={value!r}")
    x, y = _channel_digits(split, int(image_size))
    rng = np.random.default_rng([int(seed), _SPLITS.index(split)])  # train and test draws differ
    index = rng.integers(0, len(x), size=(int(num), 3))
    images = np.stack([x[index[:, c]] for c in range(3)], axis=-1) * 2.0 - 1.0
    labels = (100 * y[index[:, 0]] + 10 * y[index[:, 1]] + y[index[:, 2]]).astype(np.int32)
    return images.astype(np.float32), labels


def split_labels(labels):
    """The digits of stacked labels: int ``[N]`` in 0..999 -> int ``[N, 3]`` (R, G, B).

    Example:
        split_labels([907])          # [[9, 0, 7]]
    """
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_MODES):
        raise InputError(f"expected stacked labels in 0..{NUM_MODES - 1}; received: "
                         f"{int(labels.min())}..{int(labels.max())}")
    return np.stack([labels // 100, labels // 10 % 10, labels % 10], axis=-1)
