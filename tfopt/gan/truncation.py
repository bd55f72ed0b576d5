"""The truncation trick as BigGAN defines it: entries of z beyond the threshold are resampled, not clipped.

Brock et al. 2019 (section 3.1) sample ``z ~ N(0, I)`` and redraw every entry whose
magnitude exceeds the threshold until it falls inside: a truncated normal, which trades
variety for fidelity as the threshold falls. Clipping instead piles the mass at
``±threshold``.

Example:
    z = truncated_normal(np.random.default_rng(0), (16, 128), 0.5)     # |z| <= 0.5 everywhere
"""
import numpy as np

from tfopt.core.errors import InputError

__all__ = ["truncated_normal", "check_truncation"]


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
