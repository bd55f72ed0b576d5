"""Colour preservation for style transfer: move only luminance, keep the content's colours.

Gatys, Bethge, Hertzmann & Shechtman, "Preserving Color in Neural Artistic Style Transfer"
(2016), luminance-only transfer: the style is transferred between the luminance channels
of content and style (the style's luminance first matched to the content's mean and
standard deviation), and the result's luminance is recombined with the content's chroma.
YIQ is used (NTSC): Y is luminance, I and Q are the two chroma channels.

Example:
    y_content = luminance_image(content)                  # grey RGB [H, W, 3]
    y_style = luminance_image(style, match=content)
    ... stylize the grey images ...
    out = recombine(result_grey, content)                 # result's Y, content's I and Q
"""
import numpy as np
import tensorflow as tf

__all__ = ["rgb_to_yiq", "yiq_to_rgb", "luminance_image", "recombine", "chroma_difference"]

_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                        [0.59590059, -0.27455667, -0.32134392],
                        [0.21153661, -0.52273617, 0.31119955]], np.float32)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ).astype(np.float32)


def rgb_to_yiq(image):
    """Converts RGB in [0, 1] to YIQ.

    Args:
        image: float [..., 3] RGB.

    Returns:
        A float32 tensor [..., 3]: Y in [0, 1], I in about [-0.6, 0.6], Q in about [-0.52, 0.52].
    """
    image = tf.convert_to_tensor(image, tf.float32)
    return tf.tensordot(image, tf.constant(_RGB_TO_YIQ.T), 1)


def yiq_to_rgb(image):
    """Converts YIQ back to RGB (not clipped).

    Args:
        image: float [..., 3] YIQ.

    Returns:
        A float32 tensor [..., 3] RGB.
    """
    image = tf.convert_to_tensor(image, tf.float32)
    return tf.tensordot(image, tf.constant(_YIQ_TO_RGB.T), 1)


def luminance_image(image, match=None):
    """The luminance of ``image`` as a grey RGB image, optionally matched to another's.

    Args:
        image: float RGB [H, W, 3] or [N, H, W, 3] in [0, 1].
        match: optional RGB image; the luminance is shifted and scaled to this image's
            luminance mean and standard deviation (the style's to the content's).

    Returns:
        A float32 tensor of ``image``'s shape, three equal channels, clipped to [0, 1].
    """
    y = rgb_to_yiq(image)[..., :1]
    if match is not None:
        ref = rgb_to_yiq(match)[..., :1]
        mean, std = tf.reduce_mean(y), tf.math.reduce_std(y)
        y = (y - mean) / (std + 1e-6) * tf.math.reduce_std(ref) + tf.reduce_mean(ref)
    return tf.clip_by_value(tf.concat([y, y, y], -1), 0.0, 1.0)


def recombine(result, content):
    """The result's luminance with the content's chroma (I, Q), as RGB clipped to [0, 1].

    Args:
        result: the stylized image (RGB, any chroma: only its luminance is used).
        content: the content image of the same shape.

    Returns:
        A float32 RGB tensor of the same shape.
    """
    y = rgb_to_yiq(result)[..., :1]
    iq = rgb_to_yiq(content)[..., 1:]
    return tf.clip_by_value(yiq_to_rgb(tf.concat([y, iq], -1)), 0.0, 1.0)


def chroma_difference(a, b):
    """Mean absolute difference of the chroma channels (I and Q of YIQ) of two RGB images.

    Args:
        a, b: RGB images of one shape, float in [0, 1].

    Returns:
        A Python float (0 for equal colours; about 0.1-0.3 between unrelated photos).
    """
    da = rgb_to_yiq(a)[..., 1:]
    db = rgb_to_yiq(b)[..., 1:]
    return float(tf.reduce_mean(tf.abs(da - db)))
