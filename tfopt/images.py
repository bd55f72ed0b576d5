"""Images in and out: load, resize, save, and labelled grids a person can look at.

Every image inside tfopt is a float32 tensor ``[H, W, C]`` (or ``[N, H, W, C]``) with
values in ``[0, 1]`` and RGB channel order. Wherever a path is accepted, a sample photo
shipped by scikit-image or scikit-learn can be named instead, so everything runs
offline: see :data:`SAMPLE_NAMES`.

Example:
    img = load_image("chelsea", max_side=256)        # [H, 256, 3] float32
    save_image("out/cat.png", img)
    save_grid("out/grid.png", [img, 1 - img], labels=["cat", "negative"])
"""
import math
import os
import pathlib
import sys

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from tfopt.core.errors import InputError
from tfopt.core.files import atomic_path

__all__ = [
    "SAMPLE_NAMES",
    "load_image",
    "resize_max_side",
    "fit_image",
    "upscale_note",
    "to_uint8",
    "to_float",
    "round_to_8bit",
    "from_tanh",
    "save_image",
    "image_grid",
    "save_grid",
    "side_by_side",
]

# name -> (module, attribute, argument) of the loader shipped by a dependency.
_SAMPLES = {
    "astronaut": ("skimage.data", "astronaut", None),
    "chelsea": ("skimage.data", "chelsea", None),
    "coffee": ("skimage.data", "coffee", None),
    "rocket": ("skimage.data", "rocket", None),
    "hubble": ("skimage.data", "hubble_deep_field", None),
    "ihc": ("skimage.data", "immunohistochemistry", None),
    "china": ("sklearn.datasets", "load_sample_image", "china.jpg"),
    "flower": ("sklearn.datasets", "load_sample_image", "flower.jpg"),
}

SAMPLE_NAMES = tuple(_SAMPLES)
"""Names accepted by :func:`load_image` in place of a path (photos shipped by skimage/sklearn)."""

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def _expected_image(received):
    return (
        f"expected an image file or a sample name ({', '.join(SAMPLE_NAMES[:2])}, ...); "
        f"received: {received}"
    )


def _load_sample(name):
    import importlib

    module, attr, arg = _SAMPLES[name]
    loader = getattr(importlib.import_module(module), attr)
    return np.asarray(loader(arg) if arg is not None else loader())


def _load_file(path):
    try:
        with Image.open(path) as pil:
            pil.load()
            if pil.mode in ("I;16", "I;16B", "I;16L", "I"):
                array = np.asarray(pil, dtype=np.float32) / 65535.0
                return np.clip(array, 0.0, 1.0)[..., None]
            if pil.mode not in ("L", "RGB"):
                pil = pil.convert("RGBA" if "A" in pil.mode or pil.mode == "P" else "RGB")
            return np.asarray(pil)
    except FileNotFoundError:
        raise InputError(_expected_image(f"{str(path)!r} (no such file)")) from None
    except IsADirectoryError:
        raise InputError(_expected_image(f"{str(path)!r} (a directory)")) from None
    except PermissionError:
        raise InputError(_expected_image(f"{str(path)!r} (permission denied)")) from None
    except (UnidentifiedImageError, OSError, ValueError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(_expected_image(f"{str(path)!r} (not a readable image: {reason})")) from None


def round_to_8bit(image):
    """Rounds to the 8-bit grid k/255: exactly the values an 8-bit PNG of ``image`` holds, as float32."""
    return to_float(to_uint8(image))


def to_float(image):
    """Converts an image array to float32 in [0, 1] (uint8 is divided by 255, floats are clipped).

    Args:
        image: numpy array or tensor, uint8 / uint16 or float, any shape.

    Returns:
        A float32 numpy array of the same shape.
    """
    array = np.asarray(image)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    return np.clip(array.astype(np.float32), 0.0, 1.0)


def _convert_channels(array, channels):
    """array: float32 [H, W, C] with C in 1..4 -> [H, W, channels]."""
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[-1] == 4:  # composite RGBA on white
        alpha = array[..., 3:4]
        array = array[..., :3] * alpha + (1.0 - alpha)
    elif array.shape[-1] == 2:  # LA
        alpha = array[..., 1:2]
        array = array[..., :1] * alpha + (1.0 - alpha)
    if channels == 3 and array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    elif channels == 1 and array.shape[-1] == 3:
        array = array @ np.array([0.2989, 0.5870, 0.1140], np.float32)
        array = array[..., None]
    return np.ascontiguousarray(array, dtype=np.float32)


def load_image(path_or_name, *, max_side=None, channels=3):
    """Loads a PNG/JPEG file or a named sample photo as float32 ``[H, W, C]`` in [0, 1].

    Args:
        path_or_name: a file path, or one of :data:`SAMPLE_NAMES` (an existing file of
            that name wins over the sample).
        max_side: if given, resize (antialiased, keeping aspect) so the longer side is
            exactly this many pixels.
        channels: 3 (RGB; grey images are repeated) or 1 (luminance).

    Returns:
        A float32 ``tf.Tensor`` of shape ``[H, W, channels]``.

    Raises:
        InputError: missing or unreadable file, unknown name, bad ``max_side`` or ``channels``.

    Example:
        img = load_image("astronaut", max_side=128)   # shape [128, 128, 3]
    """
    if channels not in (1, 3):
        raise InputError(f"expected channels in (1, 3); received: channels={channels!r}")
    if max_side is not None:
        _check_max_side(max_side)
    text = os.fspath(path_or_name)
    if not os.path.exists(text) and text.strip().lower() in _SAMPLES:
        array = _load_sample(text.strip().lower())
    elif not os.path.exists(text):
        raise InputError(_expected_image(f"{text!r} (no such file)"))
    else:
        array = _load_file(text)
    image = tf.constant(_convert_channels(to_float(array), channels))
    if max_side is not None:
        image = resize_max_side(image, max_side)
    return image


def _check_max_side(max_side):
    if isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer)) or max_side < 1:
        raise InputError(f"expected max_side to be a positive integer; received: max_side={max_side!r}")


def resize_max_side(image, max_side):
    """Resizes so the longer side is ``max_side`` pixels, keeping aspect ratio (antialiased).

    Args:
        image: float tensor or array ``[H, W, C]`` or ``[N, H, W, C]``.
        max_side: target length of the longer side, a positive integer.

    Returns:
        A float32 ``tf.Tensor`` with values clipped to [0, 1].
    """
    _check_max_side(max_side)
    image = tf.convert_to_tensor(image)
    if image.dtype == tf.uint8:
        image = tf.cast(image, tf.float32) / 255.0
    image = tf.cast(image, tf.float32)
    height, width = int(image.shape[-3]), int(image.shape[-2])
    factor = max_side / max(height, width)
    size = (max(1, round(height * factor)), max(1, round(width * factor)))
    if size == (height, width):
        return image
    resized = tf.image.resize(image, size, method="bilinear", antialias=True)
    return tf.clip_by_value(resized, 0.0, 1.0)


def upscale_note(name, size, target, *, what="the network takes"):
    """One line saying that ``name``, of (h, w) ``size``, was upscaled to ``target`` (``what`` that is); None if
    it was not smaller."""
    (h, w), (th, tw) = size, target
    if h >= th and w >= tw:
        return None
    return (f"{name} is {h}x{w} px, smaller than the {th}x{tw} {what}: upscaled {max(th / h, tw / w):.1f}x "
            f"(blurry to the network)")


def fit_image(image, height, width, *, name="image", announce=True):
    """Central crop to the aspect of (height, width), then an antialiased resize to it.

    A photo smaller than the network's input is upscaled, not refused; the note says so.

    Args:
        image: ``[H, W, C]`` float in [0, 1].
        height, width: the network's input size; the image is kept as it is if either is None.
        name: what the note calls the image.
        announce: print the note (``tfopt: ...``) on stderr.

    Returns:
        (float32 numpy ``[height, width, C]`` in [0, 1], note: a line from :func:`upscale_note` or None).
    """
    image = tf.convert_to_tensor(image, tf.float32)
    if height is None or width is None:
        return image.numpy(), None
    ih, iw = int(image.shape[0]), int(image.shape[1])
    if ih * width != iw * height:
        ch, cw = (ih, max(1, ih * width // height)) if ih * width <= iw * height else (max(1, iw * height // width), iw)
        image = tf.image.crop_to_bounding_box(image, (ih - ch) // 2, (iw - cw) // 2, ch, cw)
    note = upscale_note(name, tuple(image.shape[:2]), (height, width))
    if note and announce:
        print(f"tfopt: {note}", file=sys.stderr)
    image = tf.image.resize(image, (height, width), method="bilinear", antialias=True)
    return np.clip(image.numpy(), 0.0, 1.0).astype(np.float32), note


def from_tanh(images):
    """Images in [-1, 1] (a tanh generator's outputs) as [0, 1] floats, clipped."""
    return np.clip((np.asarray(images) + 1.0) / 2.0, 0.0, 1.0)


def to_uint8(image):
    """Converts a float image in [0, 1] to uint8 (clipping, rounding); uint8 passes through.

    Args:
        image: tensor or numpy array, ``[H, W, C]`` or ``[N, H, W, C]`` (any shape works).

    Returns:
        A numpy uint8 array of the same shape.
    """
    array = np.asarray(image)
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16:
        return (array // 257).astype(np.uint8)
    array = np.nan_to_num(array.astype(np.float32), nan=0.0)
    return np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)


def _as_hwc_uint8(image, channels=None):
    array = to_uint8(image)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise InputError(f"expected an image [H, W, 1|3|4]; received: shape {tuple(array.shape)}")
    if array.shape[-1] == 4:
        array = array[..., :3]
    if channels == 3 and array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    return array


def save_image(path, image):
    """Writes an image as PNG or JPEG (chosen by extension), atomically.

    Args:
        path: destination ending in .png, .jpg or .jpeg; parent dirs are created.
        image: float in [0, 1] or uint8, ``[H, W]``, ``[H, W, 1]`` or ``[H, W, 3]``
            (a batch of one ``[1, H, W, C]`` is accepted too).

    Returns:
        The path written, as a ``pathlib.Path``.
    """
    path = pathlib.Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"expected an image path ending in .png, .jpg or .jpeg; received: {str(path)!r}")
    array = np.asarray(image)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    array = _as_hwc_uint8(array)
    pil = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        pil.save(tmp, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return path


def _font():
    return ImageFont.load_default()


def _fit_text(draw, font, text, width):
    """Truncates text with an ellipsis so it fits in ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…" if text else ""


def _upsample(array, scale):
    if scale == 1:
        return array
    return np.repeat(np.repeat(array, scale, axis=0), scale, axis=1)


def image_grid(images, *, labels=None, ncols=None, pad=2, scale=1):
    """Tiles images on a white canvas, with a text label under each tile.

    Args:
        images: a batch ``[N, H, W, C]`` or a list of ``[H, W, C]`` / ``[H, W]`` images
            (float in [0, 1] or uint8; sizes may differ, smaller ones are centred).
        labels: optional list of N strings drawn under the tiles (PIL's default font;
            long labels are truncated with an ellipsis).
        ncols: tiles per row; default ``ceil(sqrt(N))``.
        pad: white pixels between and around tiles.
        scale: integer nearest-neighbour upsampling so tiny images (32x32 digits) are
            visible, e.g. 4.

    Returns:
        A uint8 numpy array ``[H, W, 3]``.

    Example:
        grid = image_grid(digits[:16], labels=[str(k) for k in preds], scale=4)
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise InputError(f"expected scale to be a positive integer; received: scale={scale!r}")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise InputError(f"expected pad to be a non-negative integer; received: pad={pad!r}")
    tiles = [_upsample(_as_hwc_uint8(im, channels=3), int(scale)) for im in list(images)]
    if not tiles:
        raise InputError("expected at least one image for a grid; received: 0 images")
    count = len(tiles)
    if labels is not None:
        labels = [str(label) for label in labels]
        if len(labels) != count:
            raise InputError(f"expected {count} labels (one per image); received: {len(labels)}")
    if ncols is None:
        ncols = math.ceil(math.sqrt(count))
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise InputError(f"expected ncols to be a positive integer; received: ncols={ncols!r}")
    ncols = min(int(ncols), count)
    nrows = math.ceil(count / ncols)
    cell_h = max(t.shape[0] for t in tiles)
    cell_w = max(t.shape[1] for t in tiles)
    font = _font()
    label_h = 0
    if labels is not None:
        top, bottom = font.getbbox("Ag|")[1::2]
        label_h = bottom - min(top, 0) + 4
    row_h = cell_h + label_h
    canvas = np.full((nrows * row_h + (nrows + 1) * pad, ncols * cell_w + (ncols + 1) * pad, 3), 255, np.uint8)
    origins = []
    for index, tile in enumerate(tiles):
        row, col = divmod(index, ncols)
        y0, x0 = pad + row * (row_h + pad), pad + col * (cell_w + pad)
        dy, dx = (cell_h - tile.shape[0]) // 2, (cell_w - tile.shape[1]) // 2
        canvas[y0 + dy : y0 + dy + tile.shape[0], x0 + dx : x0 + dx + tile.shape[1]] = tile
        origins.append((x0, y0 + cell_h))
    if labels is None:
        return canvas
    pil = Image.fromarray(canvas)
    draw = ImageDraw.Draw(pil)
    for (x0, y0), label in zip(origins, labels):
        text = _fit_text(draw, font, label, cell_w)
        x = x0 + max(0, (cell_w - draw.textlength(text, font=font)) // 2)
        draw.text((x, y0 + 2), text, fill=(0, 0, 0), font=font)
    return np.asarray(pil)


def save_grid(path, images, *, labels=None, ncols=None, scale=1):
    """Writes :func:`image_grid` of ``images`` to ``path`` (PNG/JPEG, atomic).

    Args:
        path: destination file.
        images, labels, ncols, scale: as for :func:`image_grid`.

    Returns:
        The path written, as a ``pathlib.Path``.
    """
    return save_image(path, image_grid(images, labels=labels, ncols=ncols, scale=scale))


def side_by_side(images, captions, *, height=256):
    """Puts images in one row at a common height with a caption under each.

    Images are resized to ``height`` keeping aspect: antialiased when shrinking,
    nearest-neighbour when enlarging by 2x or more (so tiny images stay crisp).

    Args:
        images: list of ``[H, W, C]`` images (float in [0, 1] or uint8).
        captions: one string per image, e.g. ``["content", "style", "result"]``.
        height: row height in pixels.

    Returns:
        A uint8 numpy array ``[H, W, 3]``.
    """
    if isinstance(height, bool) or not isinstance(height, (int, np.integer)) or height < 1:
        raise InputError(f"expected height to be a positive integer; received: height={height!r}")
    images = list(images)
    captions = [str(c) for c in captions]
    if len(captions) != len(images):
        raise InputError(f"expected {len(images)} captions (one per image); received: {len(captions)}")
    row = []
    for image in images:
        array = _as_hwc_uint8(image, channels=3)
        h, w = array.shape[:2]
        new_w = max(1, round(w * height / h))
        method = Image.NEAREST if height >= 2 * h else Image.LANCZOS
        row.append(np.asarray(Image.fromarray(array).resize((new_w, height), method)))
    return image_grid(row, labels=captions, ncols=len(row), pad=4)
