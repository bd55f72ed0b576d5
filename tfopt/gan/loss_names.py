"""The names of the GAN loss families, without TensorFlow: flag definitions and configs read these before it
loads (:data:`tfopt.gan.losses.LOSSES` maps each to its functions)."""

__all__ = ["LOSS_NAMES"]

LOSS_NAMES = ("minimax", "non_saturating", "hinge", "wasserstein", "least_squares")
