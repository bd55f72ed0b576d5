"""The photos the offline paired sets are cut from, and where their tiles lie.

The photos (:data:`PHOTOS`) are the colour photos shipped by scikit-image and
scikit-learn. Geometry, for an image size S (default 64):

* each photo is resized (antialiased) so its short side is 4*S (256 px for S = 64);
* the held-out part is a *region* of every photo, in one of two layouts (:data:`LAYOUTS`):

  - ``strip``: the rightmost strip of width ``S * ceil(W / 4 / S)`` px (W the resized width);
  - ``bands``: interleaved columns of width S: cell columns c = 1, 4, 7, ... (cells of
    S px from the left) that have a training column on their right, so every band has
    training columns on both sides (one band in 4-5 cell columns, two in 6-8);

* training tiles (S x S) cover the rest with stride S // 4 and never touch a held-out
  column; held-out tiles are the non-overlapping S x S grid over each held-out region.
  :func:`tile_geometry` gives the tiles, :func:`regions` the column ranges (which the
  sets' labels and edges are computed on one by one); :mod:`tfopt.data.paired_sets`
  builds the sets.

Example:
    photo = resized_photo("chelsea", 64)
    g = tile_geometry(*photo.shape[:2], 64, layout="bands")
"""
import dataclasses
import math

import numpy as np

from tfopt.core.errors import InputError

__all__ = ["LAYOUTS", "PHOTOS", "TileGeometry", "load_photo", "photo_shape", "regions", "resized_photo",
           "tile_geometry"]

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble", "ihc", "retina", "china", "flower")
"""The colour photos the offline sets are cut from (skimage.data and sklearn's sample images)."""

LAYOUTS = ("strip", "bands")
"""Where the held-out region of every photo lies (see the module docstring)."""

_TILES_PER_SHORT_SIDE = 4
_BAND_PERIOD = 3  # bands: one held-out cell column in three


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
        layout: "strip" or "bands" (:data:`LAYOUTS`).
        heldout_columns: ``(x0, x1)`` of each held-out region, left to right.
        train: ``(y, x)`` of the training tiles; none overlaps a held-out region.
        heldout: ``(y, x)`` of the held-out tiles, a grid inside each held-out region.
    """

    height: int
    width: int
    image_size: int
    stride: int
    layout: str
    heldout_columns: tuple
    train: tuple
    heldout: tuple


def _heldout_columns(width, size, layout):
    if layout == "strip":
        return ((width - size * math.ceil(width / _TILES_PER_SHORT_SIDE / size), width),)
    cells = width // size
    return tuple((c * size, c * size + size) for c in range(1, cells - 1, _BAND_PERIOD))


def tile_geometry(height, width, image_size, layout="strip"):
    """The training and held-out tiles of a photo already resized by :func:`photo_shape`.

    Args:
        height, width: the resized photo's size.
        image_size: S.
        layout: where the held-out region lies: "strip" or "bands" (:data:`LAYOUTS`).

    Returns:
        :class:`TileGeometry`.

    Raises:
        InputError: an unknown layout, or a photo too narrow for one held-out band.

    Example:
        g = tile_geometry(256, 385, 64)                 # strip at x 257: 169 training tiles, 8 held-out
        g = tile_geometry(256, 385, 64, layout="bands")  # bands at x 64 and 256: 91 training tiles, 8 held-out
    """
    if layout not in LAYOUTS:
        raise InputError(f"expected layout in {list(LAYOUTS)}; received: layout={layout!r}")
    size = int(image_size)
    stride = max(1, size // 4)
    columns = _heldout_columns(int(width), size, layout)
    if not columns:
        raise InputError(f"expected a photo at least {3 * size} px wide for held-out bands of {size} px; "
                         f"received: width={width}")
    tiles = {False: [], True: []}  # training tiles at stride S/4, held-out tiles on a grid of S
    for cols, is_heldout in _column_ranges(columns, int(width)):
        step = size if is_heldout else stride
        tiles[is_heldout] += [(y, x) for y in range(0, height - size + 1, step)
                              for x in range(cols.start, cols.stop - size + 1, step)]
    return TileGeometry(int(height), int(width), size, stride, layout, columns, tuple(sorted(tiles[False])),
                        tuple(sorted(tiles[True])))


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
    """The photo's column ranges, left to right: ``(slice, is_heldout)`` for every training and held-out region."""
    return _column_ranges(geometry.heldout_columns, geometry.width)


def _column_ranges(heldout_columns, width):
    out, x = [], 0
    for x0, x1 in heldout_columns:
        if x0 > x:
            out.append((slice(x, x0), False))
        out.append((slice(x0, x1), True))
        x = x1
    if x < width:
        out.append((slice(x, width), False))
    return tuple(out)
