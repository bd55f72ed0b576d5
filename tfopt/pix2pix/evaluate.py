"""Scoring a pix2pix generator on held-out pairs: L1, PSNR, SSIM, sharpness, and the FCN-score analogue.

The FCN-score (Isola et al. 2017, sec. 4.2) asks whether a segmenter trained on real
photos recognizes in a generated photo the labels it was generated from. Here the
segmenter (:mod:`tfopt.pix2pix.segmenter`) is trained once per labelled set on the
training pairs' real photos and labels, and cached; its scores on the held-out *real*
photos are the ceiling the generated ones are read against.

Example:
    scores, arrays = evaluate(generator, heldout_pairs, config=config, source=source, train_pairs=pairs)
    scores["l1"], scores["fcn"]["per_pixel_accuracy"], scores["fcn_real"]["per_pixel_accuracy"]
"""
import numpy as np

from tfopt.data import paired, paired_sets
from tfopt.pix2pix import metrics, segmenter
from tfopt.pix2pix.translator import translate

__all__ = ["evaluate", "pair_arrays"]


def pair_arrays(pairs, image_size):
    """``(inputs, targets)`` float32 ``[N, S, S, 3]`` in [0, 1]: the pairs resized, no jitter."""
    ds = paired.paired_dataset(pairs, image_size=image_size, jitter=False, mirror=False).batch(256)
    inputs, targets = [], []
    for batch in ds:
        inputs.append((batch["condition"].numpy() + 1.0) / 2.0)
        targets.append((batch["image"].numpy() + 1.0) / 2.0)
    return np.concatenate(inputs), np.concatenate(targets)


def _segmenter_for(source, train_pairs, image_size, num_classes, palette):
    inputs, photos = pair_arrays(train_pairs, image_size)
    labels = paired_sets.labels_from_colours(inputs, palette)
    key = f"{source.name}-{image_size}px-{num_classes}c-{source.meta.get('version', 'v1')}"
    model, info = segmenter.load_or_train_segmenter(key, photos, labels, num_classes)
    return model, info


def evaluate(generator, pairs, *, config, source, train_pairs):
    """Translates held-out pairs and scores the outputs against the targets.

    Args:
        generator: the pix2pix generator.
        pairs: held-out ``(name, input, target)`` pairs (see :func:`tfopt.data.paired.read_pairs`).
        config: the run's :class:`~tfopt.pix2pix.config.Pix2PixConfig` (image size, test mode).
        source: the :class:`~tfopt.data.paired_sets.PairedSource` (a labelled set's palette
            turns on the FCN-score).
        train_pairs: the training pairs (the segmenter's training data).

    Returns:
        ``(scores, arrays)``: scores ``{"pairs", "l1", "psnr", "ssim", "sharpness_ratio",
        "high_frequency_ratio"}`` plus, for a labelled set, ``"fcn"`` (on the generated
        photos), ``"fcn_real"`` (on the real ones, the ceiling) and ``"segmenter"``;
        arrays ``{"inputs", "outputs", "targets"}`` in [0, 1].
    """
    inputs, targets = pair_arrays(pairs, config.image_size)
    outputs = translate(generator, inputs, test_mode=config.test_mode)
    scores = {"pairs": len(inputs), **metrics.image_scores(outputs, targets)}
    palette = source.meta.get("palette")
    if palette:
        num_classes = len(palette)
        model, info = _segmenter_for(source, train_pairs, config.image_size, num_classes, palette)
        truth = paired_sets.labels_from_colours(inputs, palette)
        scores["fcn"] = _without_confusion(segmenter.fcn_scores(model, outputs, truth, num_classes))
        scores["fcn_real"] = _without_confusion(segmenter.fcn_scores(model, targets, truth, num_classes))
        scores["segmenter"] = info
    return scores, {"inputs": inputs, "outputs": outputs, "targets": targets}


def _without_confusion(scores):
    return {k: v for k, v in scores.items() if k != "confusion"}
