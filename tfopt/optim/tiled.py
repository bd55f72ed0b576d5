"""Tiled gradients with a random roll: objectives of images larger than memory allows.

:func:`tiled` wraps an activation objective so the network sees the image one tile at
a time. Each evaluation first rolls the image by a random offset (so tile seams fall
somewhere else every step and never print into the result), cuts it into tiles of at
most ``tile_size`` pixels, and runs the network and a gradient tape on one tile after
the other (chained by control dependencies, so only one tile's activations are alive
at once). The returned objective's value is the area-weighted mean of the tile values
(for a per-pixel-mean objective and a pointwise network exactly the untiled value) and
its gradient (with respect to ``ctx.image``) the same weighted sum of tile gradients,
rolled back.

The wrapper reads only ``ctx.image`` and declares no layers, so the engine computes no
forward pass of its own; it works with any engine optimizer and parameterization::

    dream = tiled(layer_activation("mixed3") + layer_activation("mixed5"), model, tile_size=256)
    optimize(dream, model, image, optimizer="l2", steps=20)

Models of fixed input size get tiles of exactly that size (overlapping where the
image is not a multiple of it, equally weighted); the image must be at least that large.
"""
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.models.features import FeatureModel
from tfopt.optim.objectives import Context, Objective

__all__ = ["tiled", "tile_starts"]


def tile_starts(length, tile):
    """Start offsets of tiles of size ``tile`` evenly covering ``length`` pixels (overlapping as needed).

    Args:
        length: image side.
        tile: tile side (<= length).

    Returns:
        list of ints; the first is 0, the last is ``length - tile``.
    """
    n = int(np.ceil(length / tile))
    if n <= 1:
        return [0]
    return [int(round(i * (length - tile) / (n - 1))) for i in range(n)]


def _spans(length, fixed, tile_size):
    """(start, size) of the tiles along one side.

    A model of fixed input side gets tiles of exactly that side; otherwise the side is
    cut into ``ceil(length / tile_size)`` nearly equal, non-overlapping parts.
    """
    if fixed is not None:
        if length < fixed:
            raise InputError(f"expected an image side >= the model's input side {fixed}; received {length}")
        return [(s, int(fixed)) for s in tile_starts(length, int(fixed))]
    n = int(np.ceil(length / tile_size))
    cuts = [int(round(i * length / n)) for i in range(n + 1)]
    return [(a, b - a) for a, b in zip(cuts[:-1], cuts[1:])]


def _boxes(h, w, fixed, tile_size):
    """(y, x, th, tw, weight) per tile; weights sum to 1 (by area when tiles partition the image)."""
    rows, cols = _spans(h, fixed[0], tile_size), _spans(w, fixed[1], tile_size)
    boxes = [(y, x, th, tw, th * tw) for y, th in rows for x, tw in cols]
    total = float(sum(b[-1] for b in boxes))
    return [(y, x, th, tw, a / total) for y, x, th, tw, a in boxes]


def tiled(objective, model, *, tile_size=256, roll=True, seed=0):
    """Wraps ``objective`` so it is evaluated tile by tile on a randomly rolled image.

    Args:
        objective: an :class:`Objective` of layer activations (it sees each tile as
            its image and must be a per-sample mean, e.g. ``layer_activation``).
        model: the keras.Model (or a :class:`FeatureModel`) whose layers it reads.
        tile_size: largest tile side for models of free input size.
        roll: roll the image by a random offset before tiling (hides seams).
        seed: seed of the roll offsets.

    Returns:
        An :class:`Objective` with no layers of its own, value [N] and gradient as above.
    """
    if int(tile_size) != tile_size or tile_size < 1:
        raise InputError(f"expected tile_size >= 1; received: tile_size={tile_size}")
    fm = model if isinstance(model, FeatureModel) else FeatureModel(model, objective.layers)
    fixed = tuple(fm.input_shape[1:3])
    gen = tf.random.Generator.from_seed(seed)

    def fn(ctx):
        x = ctx.image
        h, w = int(x.shape[1]), int(x.shape[2])
        if roll:
            shift = gen.uniform([2], 0, 2 ** 30, dtype=tf.int32) % tf.constant([h, w])
        else:
            shift = tf.zeros([2], tf.int32)
        rolled = tf.stop_gradient(tf.roll(x, shift, axis=[1, 2]))
        total = tf.zeros([tf.shape(x)[0]], tf.float32)
        grad = tf.zeros_like(rolled)
        for y, xo, th, tw, weight in _boxes(h, w, fixed, tile_size):
            with tf.control_dependencies([grad]):  # one tile at a time
                tile = tf.identity(rolled[:, y:y + th, xo:xo + tw, :])
            with tf.GradientTape() as tape:
                tape.watch(tile)
                value = objective(Context(fm(tile), tile))
                summed = tf.reduce_sum(value)
            g = tape.gradient(summed, tile)
            total += weight * value
            grad += tf.pad(weight * g, [[0, 0], [y, h - y - th], [xo, w - xo - tw], [0, 0]])
        grad = tf.stop_gradient(tf.roll(grad, -shift, axis=[1, 2]))
        # Value = total; d(value)/d(image) = grad (the surrogate term is zero in value).
        return tf.stop_gradient(total) + tf.reduce_sum(grad * (x - tf.stop_gradient(x)), axis=[1, 2, 3])

    return Objective(fn, f"tiled[{objective.name}]", ())
