"""Small helpers shared by the visualizations: measurements, model facts, output files.

Measurements are plain numpy on finished images, so a number in summary.json is
what anyone re-computing it from ``images.npz`` gets.
"""
import numbers
import pathlib

import keras
import numpy as np

from tfopt import report
from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.images import save_grid

__all__ = [
    "total_variation", "first_crossings", "pairwise_rms", "predict_probs", "input_size",
    "penultimate_layer", "check_classes", "write_outputs",
]


def total_variation(images):
    """Isotropic total variation per image: mean over pixels of ``sqrt(dx^2 + dy^2)``.

    The same finite differences as :func:`tfopt.optim.objectives.tv` with beta=1, so it
    is the quantity the TV^beta regularizer pushes down, measured in pixel units.

    Args:
        images: [N, H, W, C] array.

    Returns:
        numpy float64 [N].
    """
    x = np.asarray(images, np.float64)
    dx = x[:, :-1, :-1, :] - x[:, :-1, 1:, :]
    dy = x[:, :-1, :-1, :] - x[:, 1:, :-1, :]
    return np.sqrt(dx ** 2 + dy ** 2).reshape(len(x), -1).mean(-1)


def first_crossings(history, thresholds):
    """The first step at which each sample's value reached each threshold.

    Args:
        history: [T, N] values, row ``t`` measured after ``t`` updates.
        thresholds: increasing numbers.

    Returns:
        ``{threshold: int numpy [N]}``, -1 where the sample never reached it.
    """
    history = np.asarray(history, np.float64)
    out = {}
    for thr in thresholds:
        hit = history >= thr
        out[thr] = np.where(hit.any(0), hit.argmax(0), -1).astype(np.int64) if len(history) else \
            np.full([history.shape[1]], -1, np.int64)
    return out


def pairwise_rms(images):
    """Root-mean-square pixel difference between every pair of images.

    Args:
        images: [K, H, W, C] array.

    Returns:
        (matrix [K, K] float64, mean over pairs i < j; 0.0 for a single image).
    """
    x = np.asarray(images, np.float64).reshape(len(images), -1)
    d = np.sqrt(np.maximum(((x[:, None, :] - x[None, :, :]) ** 2).mean(-1), 0.0))
    iu = np.triu_indices(len(x), 1)
    return d, float(d[iu].mean()) if len(iu[0]) else 0.0


def predict_probs(model, images, batch_size=64):
    """Class probabilities of a classifier ending in a softmax (re-prediction, inference mode).

    Args:
        model: keras.Model.
        images: [N, H, W, C].
        batch_size: prediction batch.

    Returns:
        numpy [N, K].
    """
    return np.asarray(model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0))


def input_size(model, size=None):
    """(H, W, C) of the images to optimize for ``model``.

    Args:
        model: keras.Model with one image input.
        size: (H, W) used where the model's input size is free (None); ignored otherwise.

    Returns:
        tuple of three ints.

    Raises:
        InputError: the model leaves the size free and ``size`` is None.
    """
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) != 3 or shape[-1] is None:
        raise InputError(f"expected a model taking images [H, W, C]; received input shape {shape}")
    h, w, c = shape
    if h is None or w is None:
        if size is None:
            raise InputError(f"expected an image size for a model of free input size {shape}; received none")
        h, w = size
    return int(h), int(w), int(c)


def penultimate_layer(model):
    """The name of the layer feeding a classifier's logits.

    Args:
        model: keras.Model; a layer named "penultimate" wins, otherwise the layer two
            before a separate final softmax layer, else the one before the last layer.

    Returns:
        str layer name.
    """
    names = [layer.name for layer in model.layers]
    if "penultimate" in names:
        return "penultimate"
    last = model.layers[-1]
    separate_softmax = isinstance(last, keras.layers.Softmax) or (
        isinstance(last, keras.layers.Activation) and getattr(last.activation, "__name__", "") == "softmax")
    index = -3 if separate_softmax else -2
    return names[index]


def check_classes(classes, model):
    """Class indices from indices or class names of ``model``.

    Each entry is resolved with :func:`tfopt.models.zoo.class_index`, the resolver the
    attacks use: ints (Python or numpy), digit strings, and, for models whose classes
    are known, their names ("ostrich" or any ImageNet synonym for ImageNet
    classifiers; "0".."9" for the digits CNN).

    Args:
        classes: one class (int or str) or an iterable of them.
        model: the classifier the classes belong to.

    Returns:
        int64 numpy [N].

    Raises:
        InputError: empty, an index out of range, or a name the model does not have
            (one line naming it, with close matches).

    Example:
        check_classes(["ostrich", 417], vgg19)   # array([  9, 417])
    """
    from tfopt.models import zoo

    single = isinstance(classes, (str, numbers.Integral))
    items = [classes] if single else np.asarray(list(classes), object).reshape(-1).tolist()
    if not items:
        raise InputError("expected at least one class; received none")
    return np.asarray([zoo.class_index(model, item) for item in items], np.int64)


def write_outputs(outdir, *, grids, arrays, summary, curves=None):
    """Writes a visualization's PNG grids, images.npz and summary.json into ``outdir``.

    Args:
        outdir: existing directory.
        grids: ``{filename.png: (images, labels, ncols, scale)}``.
        arrays: ``{name: numpy array}`` saved to images.npz.
        summary: dict written to summary.json (a "files" list is added).
        curves: optional ``{filename.png: (series dict, title, ylabel)}`` plotted with
            :func:`tfopt.report.plot_curves`.

    Returns:
        The summary dict as written.
    """
    outdir = pathlib.Path(outdir)
    written = []
    for name, (images, labels, ncols, scale) in grids.items():
        save_grid(outdir / name, images, labels=labels, ncols=ncols, scale=scale)
        written.append(name)
    for name, (series, title, ylabel) in (curves or {}).items():
        report.plot_curves(outdir / name, series, title=title, ylabel=ylabel)
        written.append(name)
    with files.atomic_path(outdir / "images.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **{k: np.asarray(v) for k, v in arrays.items()})
    written.append("images.npz")
    summary = dict(summary, files=written + ["summary.json"])
    files.write_summary(outdir, summary)
    return summary
