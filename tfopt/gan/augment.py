"""Differentiable augmentation of discriminator inputs (DiffAugment), as pure functions.

Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training": a
discriminator trained on few images (sklearn's 1,347 digits) memorizes them; showing
it randomly translated / cut-out versions of *both* real and generated images (and
back-propagating through the augmentation into the generator) keeps it honest
without teaching the generator to produce augmented images.

Images are in [-1, 1]; vacated pixels become -1 (the background). Randomness is an
argument (integer offsets), so the functions are deterministic and the model draws
the offsets for the whole global batch (1 or N replicas see the same ones).

Example:
    shifts = tf.random.uniform([b, 2], -4, 5, dtype=tf.int32)
    x = translate(x, shifts)
"""
import tensorflow as tf

from tfopt.gan.choices import POLICIES, parse_policy

__all__ = ["POLICIES", "translate", "cutout", "parse_policy"]


def _shift_matrices(offsets, size):
    """[B] int offsets -> [B, size, size] one-hot matrices M with (M @ v)[i] = v[i - offset]."""
    source = tf.range(size)[None, :] - tf.cast(offsets, tf.int32)[:, None]
    return tf.one_hot(source, size)  # out-of-range rows are all zero


def translate(images, shifts):
    """Translates each image by integer ``(dy, dx)`` pixels, filling with -1.

    Implemented as two batched one-hot matrix products, so it is differentiable with
    respect to the images.

    Args:
        images: ``[B, H, W, C]`` in [-1, 1].
        shifts: ``[B, 2]`` integer ``(dy, dx)``; positive moves content down / right.

    Returns:
        ``[B, H, W, C]``.
    """
    images = tf.convert_to_tensor(images)
    height, width = images.shape[1], images.shape[2]
    rows = _shift_matrices(shifts[:, 0], height)
    cols = _shift_matrices(shifts[:, 1], width)
    x = tf.einsum("bij,bjwc->biwc", rows, images + 1.0)
    x = tf.einsum("bkw,biwc->bikc", cols, x)
    return x - 1.0


def cutout(images, centers, size):
    """Sets a ``size x size`` square around each ``(cy, cx)`` to -1.

    Args:
        images: ``[B, H, W, C]`` in [-1, 1].
        centers: ``[B, 2]`` integer square centres (may lie near or past an edge).
        size: side of the square in pixels.

    Returns:
        ``[B, H, W, C]``.
    """
    images = tf.convert_to_tensor(images)
    height, width = images.shape[1], images.shape[2]
    centers = tf.cast(centers, tf.int32)
    half = size // 2
    in_rows = tf.abs(tf.range(height)[None, :] - centers[:, :1]) < max(half, 1)
    in_cols = tf.abs(tf.range(width)[None, :] - centers[:, 1:]) < max(half, 1)
    hole = tf.logical_and(in_rows[:, :, None], in_cols[:, None, :])
    keep = 1.0 - tf.cast(hole, images.dtype)[..., None]
    return (images + 1.0) * keep - 1.0
