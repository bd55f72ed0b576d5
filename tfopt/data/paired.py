"""Paired images for image-to-image translation, read in pix2pix's own folder formats.

pix2pix (Isola et al. 2017) ships its sets in one of two shapes, and both are read here:

* a folder of side-by-side images, each holding ``A|B`` (left half A, right half B);
* a folder with sub-folders ``A/`` and ``B/`` (or ``input/`` and ``target/``) whose
  files pair up by name (the extensions may differ).

``direction="AtoB"`` makes A the input (the condition) and B the target; ``"BtoA"`` the
reverse (the online facades set has the photo on the left, so labels -> photo is BtoA).
Every problem with a folder is an :class:`~tfopt.core.errors.InputError` raised before
anything is returned.

:func:`paired_dataset` turns the pairs into an unbatched tf.data pipeline with the
paper's augmentation: random jitter (resize to 286/256 of the size, random-crop back,
at the same offset for input and target) and random mirroring of both alike, both from
stateless random ops seeded by ``seed`` and the element's index, so runs repeat.

Example:
    train_dir, val_dir = split_dirs("facades")
    pairs = read_pairs(train_dir, direction="BtoA")
    ds = paired_dataset(pairs, image_size=256).shuffle(400).batch(1)
    batch = next(iter(ds))           # {"condition": [1, 256, 256, 3], "image": [1, 256, 256, 3]} in [-1, 1]
"""
import os
import pathlib

import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

from tfopt.core.errors import InputError

__all__ = ["DIRECTIONS", "IMAGE_EXTENSIONS", "JITTER_RATIO", "read_pairs", "paired_dataset", "split_dirs",
           "jitter_size"]

DIRECTIONS = ("AtoB", "BtoA")
"""Accepted values of ``direction``: which side (A or B) is the input."""

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
"""File name endings read as images (case-insensitive); other visible files are an error."""

JITTER_RATIO = 286 / 256
"""pix2pix's random jitter: resize 256 -> 286, then random-crop back to 256."""

_SUBFOLDERS = (("A", "B"), ("input", "target"))
_HELDOUT_NAMES = ("val", "test")
_SHOWN = 3  # unmatched names shown per side


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise InputError(f"expected direction in {list(DIRECTIONS)}; received: direction={direction!r}")


def _visible(folder):
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _image_files(folder, *, what):
    """Sorted image files of ``folder``; a visible non-image file is an InputError."""
    files = []
    for path in _visible(folder):
        if path.is_dir():
            continue
        if path.suffix.lower() not in IMAGE_EXTENSIONS:
            raise InputError(f"expected only image files ({', '.join(IMAGE_EXTENSIONS[:3])}, ...) in {what}; "
                             f"received: {str(path)!r}")
        files.append(path)
    if not files:
        subdirs = [p.name for p in _visible(folder) if p.is_dir()]
        hint = f" (only sub-folders {subdirs[:4]}; pick the train/ one, see split_dirs)" if subdirs else ""
        raise InputError(f"expected image files in {what}; received: an empty folder {str(folder)!r}{hint}")
    return files


def _read_uint8(path):
    """An image file as uint8 [H, W, 3]: grey becomes 3 channels, alpha is dropped."""
    try:
        with Image.open(path) as pil:
            pil.load()
            if pil.mode.startswith("I"):  # 16/32-bit grey: scale to 8 bits
                array = np.asarray(pil, dtype=np.float64)
                array = np.clip(array / (65535.0 if array.max() > 255 else 255.0) * 255.0 + 0.5, 0, 255)
                array = array.astype(np.uint8)
            elif pil.mode == "F":
                array = (np.clip(np.asarray(pil, dtype=np.float64), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
            else:
                array = np.asarray(pil.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"expected a readable image file; received: {str(path)!r} ({reason})") from None
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    return np.ascontiguousarray(array[..., :3], dtype=np.uint8)


def _folder(path):
    folder = pathlib.Path(path)
    if not folder.exists():
        raise InputError(f"expected a folder of paired images; received: {str(path)!r} (no such folder)")
    if not folder.is_dir():
        raise InputError(f"expected a folder of paired images; received: {str(path)!r} (a file)")
    return folder


def _two_folder_layout(folder):
    for a, b in _SUBFOLDERS:
        if (folder / a).is_dir() and (folder / b).is_dir():
            return folder / a, folder / b
    return None


def _by_stem(files, folder):
    out = {}
    for path in files:
        if path.stem in out:
            raise InputError(f"expected one file per name in {str(folder)!r}; received: {out[path.stem].name!r} "
                             f"and {path.name!r}")
        out[path.stem] = path
    return out


def _read_two_folders(folder_a, folder_b):
    files_a = _by_stem(_image_files(folder_a, what=f"{str(folder_a)!r}"), folder_a)
    files_b = _by_stem(_image_files(folder_b, what=f"{str(folder_b)!r}"), folder_b)
    only_a = sorted(set(files_a) - set(files_b))
    only_b = sorted(set(files_b) - set(files_a))
    if only_a or only_b:
        def show(names):
            return f"{names[:_SHOWN]}{' ...' if len(names) > _SHOWN else ''}"
        raise InputError(f"expected the same file names in {folder_a.name}/ and {folder_b.name}/ of "
                         f"{str(folder_a.parent)!r}; received: only in {folder_a.name}/: {show(only_a)} "
                         f"({len(only_a)}), only in {folder_b.name}/: {show(only_b)} ({len(only_b)})")
    pairs = []
    for name in sorted(files_a):
        a, b = _read_uint8(files_a[name]), _read_uint8(files_b[name])
        if a.shape != b.shape:
            raise InputError(f"expected pair images of one size; received: {name!r} with {folder_a.name}/ "
                             f"{a.shape[1]}x{a.shape[0]} and {folder_b.name}/ {b.shape[1]}x{b.shape[0]}")
        pairs.append((name, a, b))
    return pairs


def _read_side_by_side(folder):
    pairs = []
    for path in _image_files(folder, what=f"{str(folder)!r}"):
        image = _read_uint8(path)
        width = image.shape[1]
        if width % 2:
            raise InputError(f"expected side-by-side A|B images of even width; received: {str(path)!r} "
                             f"of width {width}")
        half = width // 2
        pairs.append((path.stem, image[:, :half], image[:, half:]))
    return pairs


def read_pairs(path, *, direction="AtoB"):
    """Reads a folder of paired images (side-by-side A|B files, or A/ and B/ sub-folders).

    Args:
        path: a folder of side-by-side images (left half A, right half B), or a folder
            with sub-folders ``A/`` and ``B/`` (or ``input/`` and ``target/``) holding
            files of matching names. Hidden files (``.DS_Store``) are ignored.
        direction: "AtoB" (input = A, target = B) or "BtoA".

    Returns:
        list of ``(name, input, target)`` sorted by name; input and target are uint8
        ``[H, W, 3]`` of the same size (grey images repeated to 3 channels, alpha dropped).

    Raises:
        InputError: missing or empty folder, unknown direction, a visible non-image
            file, an unreadable image, a side-by-side image of odd width, names that do
            not match between the two sub-folders, or pair images of different sizes.

    Example:
        pairs = read_pairs("facades/train", direction="BtoA")    # labels -> photo
        name, condition, photo = pairs[0]
    """
    _check_direction(direction)
    folder = _folder(path)
    two = _two_folder_layout(folder)
    pairs = _read_two_folders(*two) if two else _read_side_by_side(folder)
    if direction == "BtoA":
        pairs = [(name, b, a) for name, a, b in pairs]
    return pairs


def jitter_size(image_size):
    """The size pix2pix's jitter resizes to before its random crop: round(S * 286 / 256)."""
    return int(round(int(image_size) * JITTER_RATIO))


def _resized_uint8(image, size):
    if image.shape[:2] == (size, size):
        return image
    resized = tf.image.resize(tf.convert_to_tensor(image, tf.float32), (size, size), method="bilinear")
    return np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8)


def paired_dataset(pairs, *, image_size, jitter=True, mirror=True, seed=0, shuffle=False, repeat=False):
    """An unbatched tf.data pipeline of pix2pix examples, with the paper's jitter and mirroring.

    Each pair is first resized to ``image_size`` square (bilinear) unless it already is.
    Jitter resizes input and target to :func:`jitter_size` and crops both back at one
    random offset; mirror flips both left-right alike with probability 1/2. The random
    draws are stateless, seeded by ``(seed, running example count)``: the same seed gives
    the same stream, and with ``repeat`` every pass draws afresh.

    Args:
        pairs: ``(name, input, target)`` tuples as returned by :func:`read_pairs`
            (uint8 ``[H, W, 3]``; float images in [0, 1] are accepted too).
        image_size: S, the side of the square examples.
        jitter: apply the random resize-and-crop.
        mirror: apply the random left-right flip.
        seed: integer seed of the random draws (and of the shuffle).
        shuffle: reshuffle the pairs on every pass (before the random draws).
        repeat: repeat forever.

    Returns:
        tf.data.Dataset of dicts ``{"condition": float32 [S, S, 3], "image": float32
        [S, S, 3]}`` in [-1, 1]: condition is the input, image the target.
        ``jitter=False, mirror=False`` gives the pairs unchanged (for evaluation).

    Raises:
        InputError: no pairs, image_size < 1, or a pair that is not two [H, W, 3] images
            of one size.

    Example:
        ds = paired_dataset(read_pairs(train_dir), image_size=64, seed=epoch).shuffle(256).batch(8)
    """
    size = int(image_size)
    if size < 1:
        raise InputError(f"expected image_size >= 1; received: image_size={image_size}")
    if not pairs:
        raise InputError("expected at least one (name, input, target) pair; received: none")
    inputs, targets = [], []
    for item in pairs:
        if len(item) != 3:
            raise InputError(f"expected (name, input, target) pairs; received: a tuple of {len(item)}")
        name, a, b = item
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != np.uint8:
            a = (np.clip(a.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        if b.dtype != np.uint8:
            b = (np.clip(b.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        if a.ndim != 3 or a.shape[-1] != 3 or a.shape != b.shape:
            raise InputError(f"expected input and target [H, W, 3] of one size; received: {name!r} with "
                             f"{a.shape} and {b.shape}")
        inputs.append(_resized_uint8(a, size))
        targets.append(_resized_uint8(b, size))
    inputs, targets = np.stack(inputs), np.stack(targets)
    big = jitter_size(size)
    seed = int(seed)

    @tf.autograph.experimental.do_not_convert  # plain TF ops
    def example(index, pair):
        both = tf.cast(tf.stack(pair), tf.float32)  # [2, S, S, 3]: the same ops move input and target
        key = tf.stack([tf.constant(seed, tf.int64), tf.cast(index, tf.int64)])
        crop_key, flip_key = tf.unstack(tf.random.experimental.stateless_split(key, num=2))
        if jitter:
            both = tf.image.resize(both, (big, big), method="bilinear")
            both = tf.image.stateless_random_crop(both, (2, size, size, 3), seed=crop_key)
        if mirror:
            flip = tf.random.stateless_uniform((), seed=flip_key) < 0.5
            both = tf.cond(flip, lambda: tf.reverse(both, axis=[2]), lambda: both)
        both = both / 127.5 - 1.0
        return {"condition": both[0], "image": both[1]}

    ds = tf.data.Dataset.from_tensor_slices((inputs, targets))
    if shuffle:
        ds = ds.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    # The running count, not the pair's index: a repeated pair gets new draws on every pass.
    ds = ds.enumerate()
    return ds.map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def split_dirs(path):
    """The training and held-out folders of a pix2pix set.

    Args:
        path: a set folder. With ``train/`` and ``val/`` (or ``test/``) sub-folders, as
            pix2pix's datasets ship, those are returned; otherwise the folder itself.

    Returns:
        ``(train_dir, heldout_dir_or_None)`` as strings.

    Raises:
        InputError: the folder does not exist.

    Example:
        train_dir, val_dir = split_dirs("facades")     # ("facades/train", "facades/val")
    """
    folder = _folder(path)
    if (folder / "train").is_dir():
        for name in _HELDOUT_NAMES:
            if (folder / name).is_dir():
                return os.fspath(folder / "train"), os.fspath(folder / name)
        return os.fspath(folder / "train"), None
    return os.fspath(folder), None
