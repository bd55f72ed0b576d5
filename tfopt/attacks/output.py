"""Files of an attack run: the 8-bit PNGs, adversarial.npz (written atomically) and the adversarial.png figure.

Adversarial images are judged as they are saved: 8-bit PNGs. :func:`tfopt.images.round_to_8bit` puts the
clean images on the 8-bit grid before the attack, and :func:`project_to_grid` rounds the
attack's float result onto that grid *inside* the eps ball, so the L-inf (or L2) distance
between the saved clean and adversarial PNGs never exceeds eps.

The figure has three rows per block of images: the originals, the perturbation
magnified to the full grey range (mid-grey = unchanged; the factor is in the label),
and the adversarial images, each labelled with the predicted class and confidence.
"""
import os
import re

import numpy as np

from tfopt import images
from tfopt.core.files import atomic_path

__all__ = ["grid_levels", "project_to_grid", "save_pngs", "load_pngs", "save_arrays", "load_arrays",
           "perturbation_image", "save_figure"]


def grid_levels(eps):
    """The largest whole number of 8-bit levels (1/255) within ``eps``."""
    return int(np.floor(float(eps) * 255 + 1e-6))


def project_to_grid(x, x_adv, *, norm="linf", eps=None):
    """The 8-bit image nearest ``x_adv`` whose distance from ``x`` (on the grid) stays within ``eps``.

    Rounding to 8 bits moves a pixel by up to half a level, which can take an image that
    sat on the eps sphere outside the ball. Here, for "linf", each pixel's change is
    rounded to whole levels and clipped to :func:`grid_levels` (``eps``) levels; for "l2",
    images whose rounded change is longer than ``eps`` have their change rounded towards
    zero instead (never longer than the float change).

    Args:
        x: clean images on the grid (see :func:`tfopt.images.round_to_8bit`), [B, H, W, C].
        x_adv: the attack's float images, [B, H, W, C] in [0, 1].
        norm: "linf" or "l2".
        eps: the ball radius; None (C&W) only rounds.

    Returns:
        float32 [B, H, W, C], values k/255.

    Example:
        project_to_grid(x, x + 0.01, eps=2 / 255)   # every pixel moved up by exactly 2/255
    """
    base = images.to_uint8(x).astype(np.int32)
    change = np.clip(np.asarray(x_adv, np.float64), 0, 1) * 255 - base
    levels = np.round(change)
    if eps is not None and norm == "linf":
        levels = np.clip(levels, -grid_levels(eps), grid_levels(eps))
    elif eps is not None:
        long = np.sqrt((levels.reshape(len(levels), -1) ** 2).sum(-1)) / 255 > eps
        levels[long] = np.trunc(change[long])
    return images.to_float((base + levels).clip(0, 255).astype(np.uint8))


def _png_names(count, names):
    names = list(names) if names else [""] * count
    stems = [re.sub(r"[^A-Za-z0-9_-]+", "_", os.path.splitext(os.path.basename(str(n)))[0])[:40] for n in names]
    return [f"{i:03d}{'_' + s if s else ''}.png" for i, s in enumerate(stems)]


def save_pngs(directory, batch, names=()):
    """Writes each image of ``batch`` as an 8-bit PNG ``NNN[_name].png`` in ``directory``.

    Args:
        directory: created if missing.
        batch: [B, H, W, C] in [0, 1].
        names: optional source names (paths or sample names) used in the file names.

    Returns:
        list of the paths written, in batch order.
    """
    return [images.save_image(os.path.join(directory, name), image)
            for name, image in zip(_png_names(len(batch), names), np.asarray(batch))]


def load_pngs(paths, channels=3):
    """Reads PNGs back into a float32 batch [B, H, W, channels] (values k/255)."""
    return np.stack([images.load_image(os.fspath(p), channels=channels).numpy() for p in paths])


def save_arrays(path, **arrays):
    """Writes ``arrays`` to an .npz file atomically (no compression: values are kept exactly).

    Returns:
        The path written.
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **{k: np.asarray(v) for k, v in arrays.items()})
    return path


def load_arrays(path):
    """Reads every array of an .npz file into a dict."""
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def perturbation_image(x, x_adv):
    """``0.5 + (x_adv - x) * factor`` with ``factor = 0.5 / max|x_adv - x|`` per image.

    Args:
        x: clean image [H, W, C].
        x_adv: adversarial image [H, W, C].

    Returns:
        (image in [0, 1], factor) - factor is 0 when nothing changed.
    """
    d = np.asarray(x_adv, np.float32) - np.asarray(x, np.float32)
    peak = float(np.abs(d).max()) if d.size else 0.0
    factor = 0.5 / peak if peak > 0 else 0.0
    return np.clip(0.5 + d * factor, 0.0, 1.0), factor


def _label(names, k, conf):
    return f"{names[k] if k < len(names) else k} {100 * conf:.0f}%"


def save_figure(path, x, x_adv, arrays, names, *, max_images=10):
    """Writes originals / magnified perturbations / adversarials with predictions and confidences.

    Args:
        path: the PNG to write.
        x, x_adv: [B, H, W, C] clean and adversarial images.
        arrays: :func:`~tfopt.attacks.common.measure`'s arrays (pred_clean, conf_clean,
            pred_adv, conf_adv).
        names: class names by index.
        max_images: columns shown (the first images of the batch).

    Returns:
        The path written.
    """
    n = min(len(x), max_images)
    row_x, row_d, row_a, lab_x, lab_d, lab_a = [], [], [], [], [], []
    for i in range(n):
        pert, factor = perturbation_image(x[i], x_adv[i])
        row_x.append(x[i])
        row_d.append(pert)
        row_a.append(x_adv[i])
        lab_x.append(_label(names, int(arrays["pred_clean"][i]), float(arrays["conf_clean"][i])))
        lab_d.append(f"diff x{factor:.3g}" if factor else "no change")
        lab_a.append(_label(names, int(arrays["pred_adv"][i]), float(arrays["conf_adv"][i])))
    side = max(int(x.shape[1]), int(x.shape[2]))
    scale = max(1, 96 // side)
    return images.save_grid(path, row_x + row_d + row_a, labels=lab_x + lab_d + lab_a, ncols=n, scale=scale)
