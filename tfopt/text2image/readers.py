"""Attribute readers: what digit, colours and thickness an image of the captioned digits shows.

They judge generated images by the sentence they were drawn from; their accuracy on real images
(:func:`reader_ceiling`) is the ceiling a generator can be judged against.

* background: the median colour of the border pixels, read as the nearest named colour;
* stroke: the mean colour of the pixels farthest from the background, nearest named colour;
* grey map: each pixel's projection on the background -> stroke line, in [0, 1] (the stroke mask);
* thickness: the grey map's :func:`~tfopt.data.captioned_digits.stroke_width` against the midpoints
  of :data:`~tfopt.data.captioned_digits.THICKNESS_WIDTHS`;
* digit: the digits classifier (``digits_cnn``) on the grey map at 32 px (grey strokes in [0, 1] on
  black, as it was trained), its probabilities averaged over the map as drawn and the map brought by
  grey erosion or dilation to :data:`CLASSIFIER_WIDTH`.

Example:
    data = captioned_digits("held_out", num=500)
    read = read_attributes(data.images)           # {"digit", "stroke", "background", "thickness"} -> int64 [500]
    attribute_accuracy(data.images, data.attributes)["all"]
"""
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.data.captioned_digits import (COLOURS, THICKNESS_WIDTHS, captioned_digits, stroke_width,
                                         with_stroke_width)

__all__ = ["ATTRIBUTES", "CLASSIFIER_WIDTH", "read_attributes", "stroke_map", "attribute_accuracy", "reader_ceiling"]

ATTRIBUTES = ("digit", "stroke", "background", "thickness")
CLASSIFIER_WIDTH = 7.5
"""Stroke width (pixels at 32 px) the grey map is also brought to for the digits classifier (the
classifier's train digits measure 6.5 on average; 7.5 reads the thin and thick digits best)."""
_STROKE_QUANTILE = 99  # the stroke colour is read from pixels within 0.9 of this quantile's distance
_PALETTE = np.asarray(list(COLOURS.values()), np.float32)


def _nearest_colour(rgb):
    return np.argmin(((rgb[:, None, :] - _PALETTE[None]) ** 2).sum(-1), axis=1).astype(np.int64)


def _check_images(images, value_range):
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3 or images.shape[1] != images.shape[2] or images.shape[1] < 8:
        raise InputError(f"expected images [N, S, S, 3] with S >= 8; received: shape {images.shape}")
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise InputError(f"expected value_range (low, high) with high > low; received: value_range={value_range}")
    return np.clip((images - low) / (high - low), 0.0, 1.0)


def _colours_and_grey(x):
    """(background rgb [N, 3], stroke rgb [N, 3], grey map [N, S, S] in [0, 1]) of images in [0, 1]."""
    count, size = len(x), x.shape[1]
    b = max(1, size // 16)
    border = np.concatenate([x[:, :b].reshape(count, -1, 3), x[:, -b:].reshape(count, -1, 3),
                             x[:, b:-b, :b].reshape(count, -1, 3), x[:, b:-b, -b:].reshape(count, -1, 3)], axis=1)
    background = np.median(border, axis=1)
    offset = x - background[:, None, None]
    distance = np.linalg.norm(offset, axis=-1)
    top = np.percentile(distance.reshape(count, -1), _STROKE_QUANTILE, axis=1)
    chosen = distance >= 0.9 * top[:, None, None]
    stroke = (x * chosen[..., None]).sum((1, 2)) / np.maximum(chosen.sum((1, 2)), 1)[:, None]
    line = stroke - background
    grey = (offset * line[:, None, None]).sum(-1) / np.maximum((line ** 2).sum(-1), 1e-6)[:, None, None]
    return background, stroke, np.clip(grey, 0.0, 1.0)


def stroke_map(images, *, value_range=(-1.0, 1.0)):
    """The readers' grey map of images: each pixel's place between the background (0) and stroke (1) colours.

    Args:
        images: float ``[N, S, S, 3]`` in ``value_range``.
        value_range: ``(low, high)`` of the images' values.

    Returns:
        float ``[N, S, S]`` in [0, 1] (the stroke mask is ``> 0.5``).
    """
    return _colours_and_grey(_check_images(images, value_range))[2]


def _probabilities(classifier, grey):
    if hasattr(classifier, "per_channel"):  # a tfopt.gan.metrics.FeatureNetwork: (features, probs)
        return classifier(grey)[1]
    return np.asarray(classifier(tf.constant(grey), training=False))


def read_attributes(images, *, classifier=None, batch_size=500, value_range=(-1.0, 1.0)):
    """Reads the digit, stroke colour, background colour and thickness of images.

    Args:
        images: float ``[N, S, S, 3]`` in ``value_range``.
        classifier: the digits classifier (a keras model, ``[B, 32, 32, 1]`` in [0, 1] -> probabilities, or
            a :class:`tfopt.gan.metrics.FeatureNetwork`); None loads ``get_model("digits_cnn")``.
        batch_size: images read at a time.
        value_range: ``(low, high)`` of the images' values.

    Returns:
        dict ``{"digit", "stroke", "background", "thickness"}`` -> int64 ``[N]`` (colours index
        ``COLOUR_NAMES``, thickness ``THICKNESSES``).

    Raises:
        InputError: images of a bad shape, or a bad value_range or batch_size.
    """
    x = _check_images(images, value_range)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError(f"expected batch_size to be an integer >= 1; received: batch_size={batch_size!r}")
    if classifier is None:
        from tfopt.models.zoo import get_model

        classifier = get_model("digits_cnn")
    read = {name: [] for name in ATTRIBUTES}
    cuts = np.array(THICKNESS_WIDTHS[:-1]) + np.diff(THICKNESS_WIDTHS) / 2
    for start in range(0, len(x), int(batch_size)):
        background, stroke, grey = _colours_and_grey(x[start:start + int(batch_size)])
        read["background"].append(_nearest_colour(background))
        read["stroke"].append(_nearest_colour(stroke))
        read["thickness"].append(np.digitize(stroke_width(grey), cuts).astype(np.int64))
        if grey.shape[1] != 32:
            grey = tf.image.resize(grey[..., None], (32, 32), method="area").numpy()[..., 0]
        probs = _probabilities(classifier, grey[..., None])  # as drawn, and at the classifier's width
        probs = probs + _probabilities(classifier, with_stroke_width(grey, CLASSIFIER_WIDTH)[..., None])
        read["digit"].append(np.argmax(probs, axis=-1).astype(np.int64))
    return {name: np.concatenate(parts) if parts else np.zeros(0, np.int64) for name, parts in read.items()}


def attribute_accuracy(images, attributes, *, classifier=None, value_range=(-1.0, 1.0)):
    """Share of images whose read attributes match the given ones.

    Args:
        images: float ``[N, S, S, 3]`` in ``value_range``.
        attributes: dict with "digit", "stroke", "background", "thickness" -> int ``[N]`` (what the
            images should show, e.g. the attributes of the captions they were drawn from).
        classifier: as for :func:`read_attributes`.
        value_range: ``(low, high)`` of the images' values.

    Returns:
        dict ``{"digit", "stroke", "background", "thickness", "all"}`` -> float in [0, 1] ("all": the share
        with all four right).

    Raises:
        InputError: a missing attribute, or attributes whose length is not the images'.
    """
    missing = [name for name in ATTRIBUTES if name not in attributes]
    if missing:
        raise InputError(f"expected attributes {list(ATTRIBUTES)}; received: keys {sorted(attributes)}")
    count = len(images)
    for name in ATTRIBUTES:
        if np.shape(attributes[name]) != (count,):
            raise InputError(f"expected attributes[{name!r}] of shape ({count},); "
                             f"received: {np.shape(attributes[name])}")
    read = read_attributes(images, classifier=classifier, value_range=value_range)
    right = {name: read[name] == np.asarray(attributes[name]) for name in ATTRIBUTES}
    accuracy = {name: float(np.mean(hit)) if count else 0.0 for name, hit in right.items()}
    accuracy["all"] = float(np.mean(np.all(list(right.values()), axis=0))) if count else 0.0
    return accuracy


def reader_ceiling(split="held_out", *, num=1000, image_size=32, seed=0, classifier=None):
    """The readers' accuracy on real captioned digits: the ceiling for generated images.

    Args:
        split: "train", "test" or "held_out".
        num: images read.
        image_size: 32 or 64.
        seed: seed of the drawn images.
        classifier: as for :func:`read_attributes`.

    Returns:
        The :func:`attribute_accuracy` dict.

    Example:
        reader_ceiling("held_out", num=1000, image_size=64)["digit"]
    """
    data = captioned_digits(split, num=num, image_size=image_size, captions_per_image=1, seed=seed)
    return attribute_accuracy(data.images, data.attributes, classifier=classifier)
