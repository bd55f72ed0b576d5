"""The photos the offline paired sets are cut from, and where their tiles lie.

The photos (:data:`PHOTOS`) are the colour photos shipped by scikit-image and
scikit-learn. Geometry, for an image size S (default 64):

* each photo is resized (antialiased) so its short side is 4*S (256 px for S = 64);
* the held-out part is a *region* of every photo: the rightmost strip of width
  ``S * ceil(W / 4 / S)`` px (W the resized width), starting at ``strip_x``;
* training tiles (S x S) cover the rest with stride S // 4; held-out tiles are the
  non-overlapping S x S grid over the strip. No training tile touches the strip.
  :func:`tile_geometry` gives the tiles; :mod:`tfopt.data.paired_sets` builds the sets.

Example:
    photo = resized_photo("chelsea", 64)
    g = tile_geometry(*photo.shape[:2], 64)
"""
import dataclasses
import math

import numpy as np

from tfopt.core.errors import InputError

__all__ = ["PHOTOS", "TileGeometry", "load_photo", "photo_shape", "regions", "resized_photo", "tile_geometry"]

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble", "ihc", "retina", "china", "flower")
"""The colour photos the offline sets are cut from (skimage.data and sklearn's sample images)."""

_TILES_PER_SHORT_SIDE = 4


def photo_shape(height, width, image_size):
    """Size of a photo resized so its short side is 4 * image_size: (height, width)."""
    short = _TILES_PER_SHORT_SIDE * int(image_size)
    scale = short / min(height, width)
    return (short, max(short, round(width * scale))) if height <= width else (max(short, round(height * scale)), short)


@dataclasses.dataclass(frozen=True)
class TileGeometry:
    """Where the tiles of one (resized) photo lie.

    Attributes:
        height, width: the resized photo's size.
        image_size: S, the tiles' side.
        stride: step between training tiles (S // 4).
        strip_x: first column of the held-out strip (its width is ``width - strip_x``).
        train: ``(y, x)`` of the training tiles; every one ends at or before ``strip_x``.
        heldout: ``(y, x)`` of the held-out tiles, a grid inside the strip.
    """

    height: int
    width: int
    image_size: int
    stride: int
    strip_x: int
    train: tuple
    heldout: tuple


def tile_geometry(height, width, image_size):
    """The training and held-out tiles of a photo already resized by :func:`photo_shape`.

    Args:
        height, width: the resized photo's size.
        image_size: S.

    Returns:
        :class:`TileGeometry`.

    Example:
        g = tile_geometry(256, 385, 64)       # strip_x = 257: 169 training tiles, 8 held-out
    """
    size = int(image_size)
    stride = max(1, size // 4)
    strip = size * math.ceil(width / _TILES_PER_SHORT_SIDE / size)
    strip_x = width - strip
    train = tuple((y, x) for y in range(0, height - size + 1, stride) for x in range(0, strip_x - size + 1, stride))
    heldout = tuple((y, x) for y in range(0, height - size + 1, size) for x in range(strip_x, width - size + 1, size))
    return TileGeometry(int(height), int(width), size, stride, int(strip_x), train, heldout)


def load_photo(name):
    """One of :data:`PHOTOS` as uint8 [H, W, 3] (offline: shipped by skimage or sklearn)."""
    if name == "retina":
        import skimage.data

        return np.asarray(skimage.data.retina())[..., :3]
    from tfopt import images

    if name not in PHOTOS:
        raise InputError(f"expected a photo in {list(PHOTOS)}; received: {name!r}")
    return np.asarray(images._load_sample(name))[..., :3]


def resized_photo(name, image_size):
    """One of :data:`PHOTOS` resized (Lanczos) to :func:`photo_shape`: uint8 [H, W, 3]."""
    from PIL import Image

    array = load_photo(name)
    height, width = photo_shape(array.shape[0], array.shape[1], image_size)
    return np.asarray(Image.fromarray(array).resize((width, height), Image.LANCZOS))


def regions(geometry):
    """The column ranges of the training region and the held-out strip."""
    return (slice(0, geometry.strip_x), slice(geometry.strip_x, geometry.width))
