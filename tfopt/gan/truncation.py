"""The truncation trick as BigGAN defines it: entries of z beyond the threshold are resampled, not clipped.

Brock et al. 2019 (section 3.1) sample ``z ~ N(0, I)`` and redraw every entry whose
magnitude exceeds the threshold until it falls inside: a truncated normal, which trades
variety for fidelity as the threshold falls. Clipping instead piles the mass at
``±threshold``.

Example:
    z = truncated_normal(np.random.default_rng(0), (16, 128), 0.5)     # |z| <= 0.5 everywhere
    images = class_rows(generator, columns=8, truncation=0.5)          # [10 * 8, H, W, C], a class per row
"""
import numpy as np

from tfopt.core.errors import InputError
from tfopt.images import from_tanh

__all__ = ["truncated_normal", "check_truncation", "class_rows"]


def check_truncation(threshold):
    """None (no truncation) or a float > 0; InputError otherwise."""
    if threshold is None:
        return None
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        value = float("nan")
    if not value > 0:
        raise InputError(f"expected a truncation threshold > 0 (or none); received: truncation={threshold!r}")
    return value


def truncated_normal(rng, shape, threshold=None):
    """Standard normal noise whose entries beyond ``threshold`` were redrawn until inside.

    Args:
        rng: a ``numpy.random.Generator``.
        shape: the noise shape.
        threshold: the truncation (> 0), or None for plain ``N(0, I)``.

    Returns:
        float32 array of ``shape``.
    """
    threshold = check_truncation(threshold)
    z = rng.standard_normal(shape)
    if threshold is not None:
        outside = np.abs(z) > threshold
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > threshold
    return z.astype(np.float32)


def class_rows(generator, *, columns=8, truncation=None, seed=0):
    """Images of every class of a class-conditional generator, one row per class, one column per noise vector.

    Every row reuses the same ``columns`` noise vectors (drawn with ``seed``), so a column shows
    what the class changes and a row what the noise does; the same seed at another threshold
    shows what truncation does.

    Args:
        generator: a class-conditional generator (inputs ``z`` and a class).
        columns: noise vectors (images per class).
        truncation: the threshold (> 0), or None for plain ``N(0, I)``.
        seed: the noise seed.

    Returns:
        numpy float32 ``[num_classes * columns, H, W, C]`` in [0, 1], class 0's row first.
    """
    from tfopt.gan import feeds

    num_classes = feeds.num_classes_of(generator)
    if not num_classes:
        raise InputError(f"expected a class-conditional generator; received one with inputs "
                         f"{feeds.input_names(generator)}")
    z = truncated_normal(np.random.default_rng(seed), (columns, feeds.latent_dim_of(generator)), truncation)
    classes = np.repeat(np.arange(num_classes, dtype=np.int32), columns)
    images = feeds.generate_from(generator, np.tile(z, (num_classes, 1)), condition=classes)
    return from_tanh(images)
