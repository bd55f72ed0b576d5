"""Files of an attack run: adversarial.npz (written atomically) and the adversarial.png figure.

The figure has three rows per block of images: the originals, the perturbation
magnified to the full grey range (mid-grey = unchanged; the factor is in the label),
and the adversarial images, each labelled with the predicted class and confidence.
"""
import numpy as np

from tfopt import images
from tfopt.core.files import atomic_path

__all__ = ["save_arrays", "load_arrays", "perturbation_image", "save_figure"]


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
