"""Sample metrics beside FID: k-NN precision and recall, intra-class FID, class accuracy.

* Precision and recall (Kynkäänniemi et al. 2019): the real features' manifold is the
  union of balls around each real feature with radius its distance to its k-th nearest
  real neighbour; precision is the share of generated features inside it (fidelity),
  recall the share of real features inside the generated manifold (variety).
* Intra-class FID (Miyato & Koyama 2018): FID between the real and the generated
  images of each class, averaged over the classes.
* Class accuracy: the share of samples a classifier reads as the class they were
  generated for.

All read features from the same :class:`~tfopt.gan.metrics.FeatureNetwork` as FID.

Example:
    precision, recall = precision_recall(real_features, fake_features, k=3)
"""
import numpy as np

from tfopt.core.errors import InputError
from tfopt.gan.metrics import fid

__all__ = ["precision_recall", "intra_class_fid", "class_accuracy"]


def _squared_distances(a, b, chunk=1024):
    out = np.empty((len(a), len(b)))
    b2 = (b * b).sum(axis=1)
    for i in range(0, len(a), chunk):
        x = a[i : i + chunk]
        out[i : i + chunk] = np.maximum((x * x).sum(axis=1)[:, None] + b2[None, :] - 2.0 * x @ b.T, 0.0)
    return out


def _radii(features, k):
    d = _squared_distances(features, features)
    return np.sort(d, axis=1)[:, k]  # column 0 is the point itself


def _coverage(reference, radii, queries):
    """Share of ``queries`` inside at least one ball (centre ``reference[i]``, squared radius ``radii[i]``)."""
    return float(np.mean((_squared_distances(queries, reference) <= radii[None, :]).any(axis=1)))


def precision_recall(real, fake, *, k=3):
    """k-NN manifold precision and recall of generated features against real ones.

    Args:
        real: ``[N, D]`` real features.
        fake: ``[M, D]`` generated features.
        k: the neighbour whose distance sets each ball's radius (3 in the paper).

    Returns:
        ``(precision, recall)``, floats in [0, 1].
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if min(len(real), len(fake)) <= k:
        raise InputError(f"expected more than k={k} real and generated features; received: {len(real)} and "
                         f"{len(fake)}")
    precision = _coverage(real, _radii(real, k), fake)
    recall = _coverage(fake, _radii(fake, k), real)
    return precision, recall


def intra_class_fid(real, real_labels, fake, fake_labels):
    """FID per class between real and generated features, and its mean over the classes both have.

    Args:
        real, fake: ``[N, D]`` and ``[M, D]`` features.
        real_labels, fake_labels: their classes (ints).

    Returns:
        ``(mean, {class: fid})``; classes with fewer than 2 examples on either side are skipped.
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    real_labels, fake_labels = np.asarray(real_labels), np.asarray(fake_labels)
    per_class = {}
    for c in sorted(set(real_labels.tolist()) & set(fake_labels.tolist())):
        r, f = real[real_labels == c], fake[fake_labels == c]
        if min(len(r), len(f)) >= 2:
            per_class[int(c)] = fid(r, f)
    if not per_class:
        raise InputError("expected at least 2 real and 2 generated examples of some class; received: none")
    return float(np.mean(list(per_class.values()))), per_class


def class_accuracy(probs, labels):
    """The share of samples whose most probable class is their label."""
    return float(np.mean(np.asarray(probs).argmax(axis=1) == np.asarray(labels)))
