"""The data a GAN trains on: any source, as a stream of example dicts grouped for Algorithm 1.

A source is one of:

* a ``tf.data.Dataset`` of images ``[H, W, C]``, ``(image, label)`` pairs, or dicts
  with ``image`` and any conditioning entries (batched datasets are unbatched);
  images are float in [0, 1] or uint8;
* a folder of images (``keras.utils.image_dataset_from_directory``); sub-folders
  become class labels;
* a named set: ``digits`` or ``stacked_digits`` (offline; the latter three digits as R, G
  and B, 1,000 classes, :mod:`tfopt.data.stacked_digits`) or a TFDS name (see
  :func:`tfopt.data.load_dataset`).

Every example becomes ``{"image": [S, S, C] in [-1, 1], "condition": label, ...}``
(the label only for a conditional model; other dict entries pass unchanged), and
:func:`group_minibatches` turns the stream into Algorithm 1's ``[B, k, ...]`` elements.

Example:
    ds, info = training_examples(DataConfig(dataset="runs/pngs", image_size=32), conditional=False)
    ds = group_minibatches(ds.shuffle(1000).repeat(), batch_size=64, k=1)
"""
import dataclasses
import pathlib

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.data import load_dataset
from tfopt.data.stacked_digits import NUM_EXAMPLES, NUM_MODES, stacked_digits

__all__ = ["DataInfo", "group_minibatches", "training_examples", "reference_examples"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


@dataclasses.dataclass(frozen=True)
class DataInfo:
    """What the trainer learns about its data.

    Attributes:
        source: ``"digits"``, ``"stacked_digits"``, ``"tfds:<name>"``, ``"folder:<path>"`` or ``"dataset"``.
        image_shape: ``(S, S, C)`` of the training images.
        num_examples: examples in the training stream (-1 when unknown).
        num_classes: label values (0 without labels).
        class_names: a name per label (empty without labels, and for ``stacked_digits``,
            whose 1,000 labels are their own names).
        reference: what FID/KID compare against (``"test split"`` or ``"training data"``).
        source_shape: the images' shape as the source gives them, before resizing (a folder's
            are read at ``image_size`` already).
    """

    source: str
    image_shape: tuple
    num_examples: int
    num_classes: int = 0
    class_names: tuple = ()
    reference: str = "test split"
    source_shape: tuple = ()


def group_minibatches(dataset, *, batch_size, k=1, drop_remainder=True):
    """Turns a dataset of single examples into Algorithm 1 iterations ``[B, k, ...]``.

    Consecutive examples are grouped by ``k`` and then ``batch_size`` groups are
    batched, so the ``k`` minibatches of one iteration are disjoint. Works on images,
    tuples and dicts alike (every entry gets the two leading axes).

    Args:
        dataset: ``tf.data.Dataset`` of single examples.
        batch_size: global batch size ``B`` (examples per D step, over all replicas).
        k: discriminator steps per generator step.
        drop_remainder: drop a last incomplete group/batch (needed for equal
            per-replica shards).

    Returns:
        A ``tf.data.Dataset`` of ``[B, k, ...]`` elements (prefetched).
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"expected k to be an integer >= 1; received: k={k!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"expected batch_size to be an integer >= 1; received: batch_size={batch_size!r}")
    return dataset.batch(k, drop_remainder=True).batch(batch_size, drop_remainder=drop_remainder).prefetch(2)


def _has_subfolders_of_images(folder):
    return any(p.is_dir() and any(f.suffix.lower() in _IMAGE_SUFFIXES for f in p.iterdir()) for p in folder.iterdir())


def _folder(path, image_size, channels):
    folder = pathlib.Path(path)
    labelled = _has_subfolders_of_images(folder)
    if not labelled and not any(f.suffix.lower() in _IMAGE_SUFFIXES for f in folder.iterdir()):
        raise InputError(f"expected a folder of images ({', '.join(_IMAGE_SUFFIXES)}) or of class sub-folders; "
                         f"received: {str(path)!r} (none found)")
    ds = keras.utils.image_dataset_from_directory(
        folder, labels="inferred" if labelled else None, label_mode="int", batch_size=None, shuffle=False,
        image_size=(image_size, image_size), color_mode="grayscale" if channels == 1 else "rgb", verbose=False)
    names = tuple(ds.class_names) if labelled else ()
    ds = ds.map(lambda *x: (x[0] / 255.0, *x[1:]))  # image_dataset_from_directory gives float 0..255
    return ds, names


def _as_dicts(dataset):
    """Any element form -> ``{"image": float [0, 1] [H, W, C], "label"?: ..., ...}`` (unbatched)."""
    spec = dataset.element_spec
    image_spec = spec["image"] if isinstance(spec, dict) else spec[0] if isinstance(spec, tuple) else spec
    if image_spec.shape.rank == 4:
        dataset = dataset.unbatch()
    elif image_spec.shape.rank != 3:
        raise InputError(f"expected images [H, W, C] (or batches of them); received: shape {image_spec.shape}")

    def to_dict(*element):
        if len(element) == 1 and isinstance(element[0], dict):
            example = dict(element[0])
        else:
            example = {"image": element[0]}
            if len(element) > 1:
                example["label"] = element[1]
        image = example["image"]
        example["image"] = tf.cast(image, tf.float32) / 255.0 if image.dtype == tf.uint8 else tf.cast(image, tf.float32)
        return example

    return dataset.map(to_dict, num_parallel_calls=tf.data.AUTOTUNE)


def _source(data, dataset, split):
    """``(unbatched dict dataset in [0, 1], info)`` of a config's data or a given dataset."""
    if dataset is not None:
        if not isinstance(dataset, tf.data.Dataset):
            raise InputError(f"expected a tf.data.Dataset; received: {type(dataset).__name__}")
        ds = _as_dicts(dataset)
        shape = tuple(ds.element_spec["image"].shape)
        return ds, DataInfo("dataset", shape, int(ds.cardinality()), reference="training data")
    if pathlib.Path(str(data.dataset)).is_dir():
        ds, names = _folder(data.dataset, data.image_size, data.channels)
        ds = _as_dicts(ds)
        info = DataInfo(f"folder:{data.dataset}", tuple(ds.element_spec["image"].shape), -1, len(names), names,
                        reference="training data")
        return ds, info
    if data.dataset == "stacked_digits":
        return _stacked(data.image_size, split)
    ds, loaded = load_dataset(data.dataset, split=split, batch_size=256, data_dir=data.data_dir, shuffle=False,
                              repeat=False)
    source = "digits" if data.dataset == "digits" else f"tfds:{data.dataset}"
    info = DataInfo(source, tuple(loaded.image_shape), loaded.num_examples, loaded.num_classes,
                    tuple(loaded.class_names))
    return _as_dicts(ds), info


def _stacked(image_size, split):
    """The named set ``stacked_digits``: NUM_EXAMPLES images of the split (seed 0), 1,000 classes."""
    images, labels = stacked_digits(NUM_EXAMPLES, image_size=image_size, split=split, seed=0)
    ds = tf.data.Dataset.from_tensor_slices(((images + 1.0) / 2.0, labels))
    return _as_dicts(ds), DataInfo("stacked_digits", images.shape[1:], NUM_EXAMPLES, NUM_MODES)


def _prepare(ds, *, image_size, conditional):
    def fix(example):
        image = example.pop("image")
        if tuple(image.shape[:2]) != (image_size, image_size):
            image = tf.image.resize(image, (image_size, image_size), method="bilinear")
        label = example.pop("label", None)
        out = {"image": image * 2.0 - 1.0}
        if conditional:
            if label is not None and "condition" not in example:
                out["condition"] = tf.cast(label, tf.int32)
            out.update(example)
        return out

    return ds.map(fix, num_parallel_calls=tf.data.AUTOTUNE)


def training_examples(data, *, dataset=None, conditional=False):
    """The training stream: one dict per example, images in [-1, 1] at ``data.image_size``.

    Args:
        data: a :class:`~tfopt.gan.config.DataConfig`.
        dataset: a ``tf.data.Dataset`` that replaces ``data.dataset`` (see the module doc).
        conditional: keep labels (as ``condition``) and other conditioning entries.

    Returns:
        ``(dataset, info)``: unbatched, unshuffled dicts and a :class:`DataInfo`.

    Raises:
        InputError: an unknown name, an empty folder, labels missing for a conditional model.
    """
    ds, info = _source(data, dataset, "train")
    if conditional and "label" not in ds.element_spec and "condition" not in ds.element_spec:
        raise InputError(f"expected labels or a 'condition' entry for a conditional model; received: "
                         f"{info.source} with entries {sorted(ds.element_spec)}")
    if dataset is not None and conditional and "label" in ds.element_spec and not info.num_classes:
        labels = np.concatenate([np.ravel(x["label"].numpy()) for x in ds.batch(4096)])
        info = dataclasses.replace(info, num_classes=int(labels.max()) + 1)
    shape = (data.image_size, data.image_size, info.image_shape[-1])
    return _prepare(ds, image_size=data.image_size, conditional=conditional), dataclasses.replace(
        info, image_shape=shape, source_shape=info.image_shape)


def reference_examples(data, *, dataset=None, conditional=False, limit=10000):
    """The reference set for FID/KID and sample conditions, as numpy arrays.

    The named sets' test split; the training data itself for a folder or a given dataset.

    Returns:
        ``{"image": float32 [N, S, S, C] in [0, 1], "condition": ...}`` (N <= ``limit``).
    """
    ds, info = _source(data, dataset, "test" if dataset is None else None)
    ds = _prepare(ds, image_size=data.image_size, conditional=conditional).take(limit)
    batches = list(ds.batch(500).as_numpy_iterator())
    if not batches:
        raise InputError(f"expected reference images; received: none from {info.source}")
    out = {key: np.concatenate([b[key] for b in batches], axis=0) for key in batches[0]}
    out["image"] = ((out["image"] + 1.0) / 2.0).astype(np.float32)
    return out
