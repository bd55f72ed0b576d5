"""Scoring a pix2pix generator on held-out pairs: L1, PSNR, SSIM, sharpness, and the FCN-score analogue.

The FCN-score (Isola et al. 2017, sec. 4.2) asks whether a segmenter trained on real
photos recognizes in a generated photo the labels it was generated from. Here the
segmenter (:mod:`tfopt.pix2pix.segmenter`) is trained once per labelled set on the
training pairs' real photos and labels, and cached; its scores on the held-out *real*
photos are the ceiling the generated ones are read against.

The offline ``edges2photo`` set is cut from the same photos, in the same tiles, as
``labels2photo`` built in the same held-out layout: its outputs are scored by that
labels2photo's segmenter against the label map of the same tile (built on first use), so
both offline sets have an FCN-score.

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
    if source.meta.get("layout", "strip") != "strip":  # sets built before layouts existed held out the strip
        key += f"-{source.meta['layout']}"
    model, info = segmenter.load_or_train_segmenter(key, photos, labels, num_classes)
    return model, info


def _labelled(source, pairs, config, train_pairs):
    """``(label_source, label_pairs, label_train_pairs)``: whose labels score ``pairs``, or None.

    A labelled set scores itself. Offline edges2photo borrows the label map of the same tile
    from labels2photo built in its layout (the two then share their photos, tile names and
    held-out regions).
    """
    if source.meta.get("palette"):
        return source, pairs, train_pairs
    if source.name != "edges2photo" or "version" not in source.meta:
        return None
    labels = paired_sets.resolve_paired("labels2photo", image_size=config.image_size, num_classes=config.num_classes,
                                        layout=source.meta.get("layout", "strip"))
    by_name = {name: (name, condition, photo) for name, condition, photo in
               paired.read_pairs(labels.heldout_dir, direction=labels.direction)}
    missing = [name for name, _, _ in pairs if name not in by_name]
    if missing:  # a set built by another recipe: say so rather than score against the wrong tiles
        print(f"no FCN-score: {len(missing)} held-out edges tiles have no labels2photo tile (first: {missing[0]})")
        return None
    return labels, [by_name[name] for name, _, _ in pairs], paired.read_pairs(labels.train_dir,
                                                                               direction=labels.direction)


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
        arrays ``{"inputs", "outputs", "targets"}`` in [0, 1]. Offline edges2photo is scored
        with labels2photo's segmenter and label maps ("fcn_labels" names the set).
    """
    inputs, targets = pair_arrays(pairs, config.image_size)
    outputs = translate(generator, inputs, test_mode=config.test_mode)
    scores = {"pairs": len(inputs), **metrics.image_scores(outputs, targets)}
    labelled = _labelled(source, pairs, config, train_pairs)
    if labelled:
        label_source, label_pairs, label_train = labelled
        palette = label_source.meta["palette"]
        num_classes = len(palette)
        model, info = _segmenter_for(label_source, label_train, config.image_size, num_classes, palette)
        truth = paired_sets.labels_from_colours(pair_arrays(label_pairs, config.image_size)[0], palette)
        scores["fcn"] = _without_confusion(segmenter.fcn_scores(model, outputs, truth, num_classes))
        scores["fcn_real"] = _without_confusion(segmenter.fcn_scores(model, targets, truth, num_classes))
        scores["segmenter"] = info
        scores["fcn_labels"] = label_source.name
    return scores, {"inputs": inputs, "outputs": outputs, "targets": targets}


def _without_confusion(scores):
    return {k: v for k, v in scores.items() if k != "confusion"}
