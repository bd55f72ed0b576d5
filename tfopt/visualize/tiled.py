"""Tiled gradients with a random roll: objectives of images larger than memory allows.

:func:`tiled` wraps an activation objective so the network sees the image one tile at
a time. Each evaluation first rolls the image by a random offset (so tile seams fall
somewhere else every step and never print into the result), cuts it into tiles of at
most ``tile_size`` pixels, and runs the network and a gradient tape on one tile after
the other (chained by control dependencies, so only one tile's activations are alive
at once). The returned objective's value is the mean of the tile values and its
gradient (with respect to ``ctx.image``) is the sum of the tile gradients, rolled back.

The wrapper reads only ``ctx.image`` and declares no layers, so the engine computes no
forward pass of its own; it works with any engine optimizer and parameterization::

    dream = tiled(layer_activation("mixed3") + layer_activation("mixed5"), model, tile_size=256)
    optimize(dream, model, image, optimizer="l2", steps=20)

Models of fixed input size get tiles of exactly that size (overlapping where the
image is not a multiple of it); the image must be at least that large.
"""
import numpy as np
import tensorflow as tf

from tfopt.errors import InputError
from tfopt.models.features import FeatureModel
from tfopt.optim.objectives import Context, Objective

__all__ = ["tiled", "tile_starts"]


def tile_starts(length, tile):
    """Start offsets of tiles of size ``tile`` evenly covering ``length`` pixels.

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


def _tile_shape(model_side, side, tile_size):
    if model_side is not None:
        if side < model_side:
            raise InputError(f"expected an image side >= the model's input side {model_side}; received {side}")
        return int(model_side)
    return int(min(side, tile_size))


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
        th, tw = _tile_shape(fixed[0], h, tile_size), _tile_shape(fixed[1], w, tile_size)
        if roll:
            shift = gen.uniform([2], 0, 2 ** 30, dtype=tf.int32) % tf.constant([h, w])
        else:
            shift = tf.zeros([2], tf.int32)
        rolled = tf.stop_gradient(tf.roll(x, shift, axis=[1, 2]))
        total = tf.zeros([tf.shape(x)[0]], tf.float32)
        grad = tf.zeros_like(rolled)
        boxes = [(y, xo) for y in tile_starts(h, th) for xo in tile_starts(w, tw)]
        for y, xo in boxes:
            with tf.control_dependencies([grad]):  # one tile at a time
                tile = tf.identity(rolled[:, y:y + th, xo:xo + tw, :])
            with tf.GradientTape() as tape:
                tape.watch(tile)
                value = objective(Context(fm(tile), tile))
                summed = tf.reduce_sum(value)
            g = tape.gradient(summed, tile)
            total += value / len(boxes)
            grad += tf.pad(g / len(boxes), [[0, 0], [y, h - y - th], [xo, w - xo - tw], [0, 0]])
        grad = tf.stop_gradient(tf.roll(grad, -shift, axis=[1, 2]))
        # Value = total; d(value)/d(image) = grad (the surrogate term is zero in value).
        return tf.stop_gradient(total) + tf.reduce_sum(grad * (x - tf.stop_gradient(x)), axis=[1, 2, 3])

    return Objective(fn, f"tiled[{objective.name}]", ())
