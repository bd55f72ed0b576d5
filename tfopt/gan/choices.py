"""What GAN configs choose from, without TensorFlow: flag definitions and config checks read these before it
loads (:data:`tfopt.gan.losses.LOSSES` maps each loss name to its functions, :mod:`tfopt.gan.augment` applies
the augmentations)."""
from tfopt.core.errors import InputError

__all__ = ["LOSS_NAMES", "POLICIES", "parse_policy"]

LOSS_NAMES = ("minimax", "non_saturating", "hinge", "wasserstein", "least_squares")

POLICIES = ("translation", "cutout")
"""Augmentations by name; combine with commas: ``"translation,cutout"``."""


def parse_policy(policy):
    """``"translation,cutout"`` -> ``("translation", "cutout")``; ``None``/``""`` -> ``()``.

    Raises:
        InputError: an unknown name.
    """
    if not policy:
        return ()
    names = tuple(p.strip() for p in str(policy).split(",") if p.strip())
    for name in names:
        if name not in POLICIES:
            raise InputError(f"expected augment names in {', '.join(POLICIES)}; received: {name!r}")
    return names
