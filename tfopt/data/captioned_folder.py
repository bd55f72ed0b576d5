"""Real captioned image sets from a folder, in the layout of CUB-200 / Oxford-102 / COCO captions.

The layout Reed et al. 2016 and StackGAN ship their caption files in::

    root/images/<name>.jpg                 root/text/<name>.txt
    root/images/001.Black_footed_Albatross/x.jpg   root/text/001.Black_footed_Albatross/x.txt

Each text file holds one caption per line (CUB and Oxford-102: ten). Images and caption files pair
up by their path under ``images/`` and ``text/`` without the extension. A file without its partner,
an empty caption file or an unreadable image is an :class:`~tfopt.core.errors.InputError` whose one
line names the first such file; nothing is returned (and nothing is ever written).

Example:
    data = load_captioned_folder("~/data/cub", image_size=64, captions_per_image=10)
    data.images.shape, data.captions.shape         # (11788, 64, 64, 3), (11788, 10)
"""
import os
import pathlib

import numpy as np
from PIL import Image, UnidentifiedImageError

from tfopt.core.errors import InputError
from tfopt.data.captioned_digits import CaptionedSet
from tfopt.data.paired import IMAGE_EXTENSIONS

__all__ = ["load_captioned_folder"]


def _files(folder, suffixes):
    """{path under folder without the extension: path} of the visible files under folder (recursive)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in suffixes:
            raise InputError(f"expected only {'/'.join(sorted(suffixes))} files under {folder}; received: {path}")
        key = relative.with_suffix("").as_posix()
        if key in found:
            raise InputError(f"expected one file per name under {folder}; received: {found[key]} and {path}")
        found[key] = path
    return found


def _read_captions(path):
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"expected a UTF-8 caption file; received: {path} ({error.__class__.__name__})") from None
    lines = [line for line in lines if line]
    if not lines:
        raise InputError(f"expected at least one caption line in each caption file; received: {path} (empty)")
    return lines


def _read_image(path, size):
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
    except (OSError, UnidentifiedImageError):
        raise InputError(f"expected a readable image; received: {path}") from None
    width, height = image.size
    side = min(width, height)  # the centred square, then resized
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
    return np.asarray(image, np.float32) / 127.5 - 1.0


def load_captioned_folder(root, *, image_size=64, captions_per_image=None):
    """Reads a folder of images and caption files (CUB / Oxford-102 / COCO style).

    Args:
        root: folder holding ``images/`` and ``text/`` (class sub-folders allowed, mirrored in both).
        image_size: side of the square images returned (the centred square of each image, resized).
        captions_per_image: captions kept per image (the first lines of its file); every file must have
            that many. None: as many as the shortest file has.

    Returns:
        A :class:`~tfopt.data.captioned_digits.CaptionedSet` (images float32 ``[N, S, S, 3]`` in [-1, 1],
        captions str ``[N, C]``, attributes ``{}``), in the sorted order of the names.

    Raises:
        InputError: a missing folder, an image without a caption file, a caption file without an image,
        an empty caption file, too few captions, an unreadable image or file, or a bad argument.
    """
    for name, value in (("image_size", image_size), ("captions_per_image", captions_per_image)):
        if value is None and name == "captions_per_image":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"expected {name} to be an integer >= 1; received: {name}={value!r}")
    root = pathlib.Path(os.path.expanduser(os.fspath(root)))
    images_dir, text_dir = root / "images", root / "text"
    for folder in (images_dir, text_dir):
        if not folder.is_dir():
            raise InputError(f"expected a folder {folder} (root/images and root/text); received: no such folder")
    images = _files(images_dir, set(IMAGE_EXTENSIONS))
    texts = _files(text_dir, {".txt"})
    if not images:
        raise InputError(f"expected images under {images_dir}; received: none")
    for name in sorted(set(images) | set(texts)):
        if name not in texts:
            raise InputError(f"expected a caption file {text_dir / name}.txt for every image; received: "
                             f"{images[name]} without one")
        if name not in images:
            raise InputError(f"expected an image for every caption file; received: {texts[name]} without one")
    names = sorted(images)
    captions = [_read_captions(texts[name]) for name in names]
    count = min(len(lines) for lines in captions) if captions_per_image is None else int(captions_per_image)
    for name, lines in zip(names, captions):
        if len(lines) < count:
            raise InputError(f"expected at least {count} captions per file; received: {texts[name]} "
                             f"with {len(lines)}")
    pixels = np.stack([_read_image(images[name], int(image_size)) for name in names]).astype(np.float32)
    return CaptionedSet(pixels, np.array([lines[:count] for lines in captions], dtype=str), {})
