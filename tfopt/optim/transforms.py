"""Random transforms applied to the image before the network on every step.

Each factory returns a closure ``t(images, seed) -> images`` (``seed`` a [2] int tensor
for stateless random ops, supplied by the engine from its seeded generator), kept in a
plain list. Optimizing through random jitter, scale and rotation makes visualizations
robust instead of adversarial noise (Mordvintsev et al. 2015, Olah et al. 2017).
All transforms here keep the image size, so they work with fixed-size classifiers;
:func:`pad` is the exception and is meant for fully convolutional networks.
"""
import math

import tensorflow as tf

__all__ = ["jitter", "pad", "random_scale", "random_rotate", "gaussian_blur",
           "gaussian_blur_image", "default_transforms", "compose"]


def _keyed(t, *key):
    """Marks transform ``t`` with its structure, so the engine can reuse a loop compiled for it."""
    t.key = key
    return t


def _uniform_int(seed, lo, hi):
    return tf.random.stateless_uniform([], seed, lo, hi + 1, dtype=tf.int32)


def jitter(d):
    """Random translation by up to ``d`` pixels (reflect-padded, size kept)."""
    d = int(d)

    def t(x, seed):
        if d <= 0:
            return x
        h, w = tf.shape(x)[1], tf.shape(x)[2]
        padded = tf.pad(x, [[0, 0], [d, d], [d, d], [0, 0]], mode="REFLECT")
        s = tf.random.experimental.stateless_split(seed, 2)
        oy, ox = _uniform_int(s[0], 0, 2 * d), _uniform_int(s[1], 0, 2 * d)
        return padded[:, oy:oy + h, ox:ox + w, :]
    return _keyed(t, "jitter", d)


def pad(width, value=0.5):
    """Constant padding by ``width`` pixels (changes the size: fully convolutional nets only)."""
    def t(x, seed):
        return tf.pad(x, [[0, 0], [width, width], [width, width], [0, 0]], constant_values=value)
    return _keyed(t, "pad", int(width), float(value))


def random_scale(scales):
    """Resize by a factor drawn from ``scales``, then crop or pad back to the original size."""
    scales_key = list(scales)
    scales = tf.constant(scales_key, tf.float32)

    def t(x, seed):
        h, w = tf.shape(x)[1], tf.shape(x)[2]
        i = tf.random.stateless_uniform([], seed, 0, tf.size(scales), dtype=tf.int32)
        s = scales[i]
        size = tf.cast(tf.round(tf.cast(tf.stack([h, w]), tf.float32) * s), tf.int32)
        y = tf.image.resize(x, size, method="bilinear")
        return tf.image.resize_with_crop_or_pad(y, h, w)
    return _keyed(t, "scale", tuple(float(v) for v in scales_key))


def random_rotate(angles):
    """Rotate about the centre by an angle (degrees) drawn from ``angles``; size kept."""
    angles_key = list(angles)
    angles = tf.constant([math.radians(a) for a in angles_key], tf.float32)

    def t(x, seed):
        i = tf.random.stateless_uniform([], seed, 0, tf.size(angles), dtype=tf.int32)
        a = angles[i]
        h, w = tf.cast(tf.shape(x)[1], tf.float32), tf.cast(tf.shape(x)[2], tf.float32)
        cos, sin = tf.cos(a), tf.sin(a)
        cx, cy = (w - 1) / 2, (h - 1) / 2
        # Output pixel (x, y) samples input at R^-1 (x - c) + c.
        matrix = tf.stack([cos, sin, cx - cos * cx - sin * cy,
                           -sin, cos, cy + sin * cx - cos * cy, 0.0, 0.0])
        n = tf.shape(x)[0]
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=x, transforms=tf.tile(matrix[None], [n, 1]), output_shape=tf.shape(x)[1:3],
            fill_value=0.0, interpolation="BILINEAR", fill_mode="REFLECT")
    return _keyed(t, "rotate", tuple(float(a) for a in angles_key))


def _gauss_kernel(sigma, channels):
    radius = max(1, int(math.ceil(2 * sigma)))
    xs = tf.range(-radius, radius + 1, dtype=tf.float32)
    k = tf.exp(-(xs ** 2) / (2 * sigma * sigma))
    k = k / tf.reduce_sum(k)
    k2 = k[:, None] * k[None, :]
    return tf.tile(k2[:, :, None, None], [1, 1, channels, 1])


def gaussian_blur_image(x, sigma):
    """Depthwise Gaussian blur of [N, H, W, C] images (reflect padding)."""
    if sigma <= 0:
        return x
    kernel = _gauss_kernel(float(sigma), x.shape[-1])
    r = kernel.shape[0] // 2
    x = tf.pad(x, [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "VALID")


def gaussian_blur(sigma):
    """Blur before the network: the optimized image only matters through its low frequencies."""
    def t(x, seed):
        return gaussian_blur_image(x, sigma)
    return _keyed(t, "blur", float(sigma))


def default_transforms(size):
    """A robust default for an image of side ``size``: jitter, small scale and rotation, jitter."""
    d = max(1, size // 16)
    return [
        jitter(d),
        random_scale([1 + (i - 5) / 50 for i in range(11)]),
        random_rotate(list(range(-10, 11)) + 5 * [0]),
        jitter(max(1, d // 2)),
    ]


def compose(transforms):
    """One closure applying ``transforms`` in order, each with its own derived seed."""
    transforms = list(transforms)

    def t(x, seed):
        if not transforms:
            return x
        seeds = tf.random.experimental.stateless_split(seed, len(transforms))
        for i, f in enumerate(transforms):
            x = f(x, seeds[i])
        return x
    return _keyed(t, "compose", *(getattr(f, "key", ("fn", id(f))) for f in transforms))
