"""Coarse-to-fine sizes and start images for optimization-based style transfer.

Large outputs are optimized first at a fraction of their size; each finer scale starts
from the previous result upsampled. The coarse scales are cheap (a quarter of the cost
per halving) and settle the large structures that a full-size L-BFGS run from the
content image reaches slowly.
"""
import math

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError

__all__ = ["INITS", "scale_sizes", "initial_image", "resize_to"]

INITS = ("content", "noise", "style")


def scale_sizes(size, scales=None, *, coarsest=256):
    """The longer side at each scale, coarse to fine, ending at ``size``.

    Args:
        size: the output's longer side in pixels.
        scales: number of scales; None picks one per doubling above ``coarsest``
            (256 -> [256], 512 -> [256, 512], 1024 -> [256, 512, 1024]).
        coarsest: the smallest size the automatic choice goes down to.

    Returns:
        A list of ints, each about half the next.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise InputError(f"expected size to be an integer >= 16; received: size={size!r}")
    if scales is None:
        scales = 1 + max(0, int(math.floor(math.log2(size / coarsest) + 1e-9)))
    if isinstance(scales, bool) or not isinstance(scales, (int, np.integer)) or scales < 1:
        raise InputError(f"expected scales to be a positive integer; received: scales={scales!r}")
    sizes = [int(round(size / 2 ** k)) for k in range(scales - 1, -1, -1)]
    if sizes[0] < 16:
        raise InputError(f"expected the coarsest scale to be >= 16 px; received: size={size}, scales={scales} "
                         f"(coarsest {sizes[0]} px)")
    return sizes


def resize_to(image, height, width):
    """Bilinear (antialiased) resize of [H, W, C] or [N, H, W, C] to ``height`` x ``width``, clipped to [0, 1]."""
    image = tf.convert_to_tensor(image, tf.float32)
    if tuple(image.shape[-3:-1]) == (height, width):
        return image
    return tf.clip_by_value(tf.image.resize(image, (height, width), antialias=True), 0.0, 1.0)


def initial_image(init, content, styles, *, seed=0):
    """The start image of the optimization, the content's shape.

    Args:
        init: "content", "noise" (seeded uniform noise in [0, 1]) or "style" (the first
            style image resized to the content's shape).
        content: [H, W, 3] in [0, 1].
        styles: list of style images.
        seed: seed of the noise.

    Returns:
        A float32 tensor [H, W, 3].
    """
    if init not in INITS:
        raise InputError(f"expected init in {INITS}; received: init={init!r}")
    content = tf.convert_to_tensor(content, tf.float32)
    h, w = int(content.shape[0]), int(content.shape[1])
    if init == "content":
        return content
    if init == "noise":
        return tf.random.stateless_uniform(content.shape, [int(seed), 17], dtype=tf.float32)
    return resize_to(styles[0], h, w)
