"""tf.data pipelines: sklearn's real handwritten digits offline, TFDS sets by name.

The offline default is ``digits``: scikit-learn's 1,797 real 8x8 handwritten digits,
upsampled to 32x32x1 float32 in [0, 1] with a fixed stratified train/test split.
Any TFDS name (mnist, fashion_mnist, cifar10, ...) goes through ``tfds.load``; where
the set cannot be downloaded (no network), one line says so and names the way out.

Paired image sets for image-to-image translation (pix2pix) live in two sub-modules:
:mod:`tfopt.data.paired` reads pix2pix's own folder formats into a tf.data pipeline,
and :mod:`tfopt.data.paired_sets` builds the offline sets (``labels2photo``,
``edges2photo``) and fetches the named online ones.

Example:
    ds, info = load_dataset("digits", split="train", batch_size=32)
    x, y = next(iter(ds))            # x: [32, 32, 32, 1] float32 in [0, 1]
"""
import dataclasses
import functools

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.net import unreachable_reason

__all__ = [
    "DIGIT_CLASS_NAMES",
    "DatasetInfo",
    "digits",
    "digits_dataset",
    "load_dataset",
]

DIGIT_CLASS_NAMES = [str(k) for k in range(10)]
_DIGIT_SIZE = 32
_SPLITS = ("train", "test")
_TFDS_HOST = "https://storage.googleapis.com"


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a caller needs to know about a loaded image-classification set.

    Attributes:
        name: the dataset name as given ("digits", "mnist", ...).
        num_classes: number of label values.
        image_shape: (height, width, channels) of the images the dataset yields.
        class_names: one readable name per label index.
        num_examples: examples in the requested split.
    """

    name: str
    num_classes: int
    image_shape: tuple
    class_names: list
    num_examples: int


@functools.lru_cache(maxsize=8)
def _digits_arrays(seed, test_fraction):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    raw = load_digits()
    images = (raw.images.astype(np.float32) / 16.0)[..., None]  # [N, 8, 8, 1] in [0, 1]
    images = tf.image.resize(images, (_DIGIT_SIZE, _DIGIT_SIZE), method="bilinear")
    images = np.clip(images.numpy(), 0.0, 1.0).astype(np.float32)
    labels = raw.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for array in arrays.values():
        array.setflags(write=False)  # the cache is shared: nobody may edit it in place
    return arrays


def digits(*, seed=0, test_fraction=0.25):
    """Returns sklearn's 1,797 real handwritten digits as 32x32x1 arrays, split by seed.

    The 8x8 images (values 0..16) are scaled to [0, 1] and upsampled bilinearly to
    32x32. The split is stratified, fixed for a given `seed`, and cached in-process;
    the arrays are read-only (copy them before editing).

    Args:
        seed: seed of the stratified train/test split.
        test_fraction: fraction of the examples held out for testing, in (0, 1).

    Returns:
        dict with x_train, x_test (float32 [N, 32, 32, 1] in [0, 1]) and y_train,
        y_test (int64 [N]).

    Example:
        d = digits(seed=0)
        d["x_train"].shape           # (1347, 32, 32, 1)
    """
    if not 0.0 < float(test_fraction) < 1.0:
        raise InputError(f"expected 0 < test_fraction < 1; received: test_fraction={test_fraction}")
    return dict(_digits_arrays(int(seed), float(test_fraction)))


def _check_split(split):
    if split not in _SPLITS:
        raise InputError(f"expected split in {list(_SPLITS)}; received: split={split!r}")


def _check_batch_size(batch_size):
    if int(batch_size) < 1:
        raise InputError(f"expected batch_size >= 1; received: batch_size={batch_size}")


def _finish(ds, *, num_examples, batch_size, shuffle, seed, repeat):
    if shuffle:
        buffer = min(num_examples, 10_000) if num_examples > 0 else 10_000
        ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)


def digits_dataset(split="train", *, batch_size=64, shuffle=True, seed=0, repeat=False):
    """Returns the digits split as a batched tf.data.Dataset of (image, label).

    Args:
        split: "train" or "test".
        batch_size: examples per batch.
        shuffle: shuffle the examples (the order is fixed by `seed`).
        seed: seed of both the train/test split and the shuffle order.
        repeat: repeat the split forever.

    Returns:
        tf.data.Dataset of (float32 [B, 32, 32, 1] in [0, 1], int64 [B]).

    Example:
        for x, y in digits_dataset("test", batch_size=128, shuffle=False): ...
    """
    _check_split(split)
    _check_batch_size(batch_size)
    arrays = digits(seed=seed)
    x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return _finish(ds, num_examples=len(x), batch_size=batch_size, shuffle=shuffle, seed=seed, repeat=repeat)


def _short(error):
    text = " ".join(str(error).split()) or error.__class__.__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _tfds_builder(name, data_dir):
    import difflib

    import tensorflow_datasets as tfds

    expected = "expected 'digits' or a TFDS dataset name (mnist, fashion_mnist, cifar10, ...)"
    known = tfds.list_builders(with_community_datasets=False)
    base = str(name).split(":")[0].split("/")[0]
    if base not in known:
        close = difflib.get_close_matches(base, known, n=3)
        hint = f"; close matches: {close}" if close else ""
        raise InputError(f"{expected}; received: {name!r}{hint}")
    try:
        return tfds.builder(name, data_dir=data_dir)
    except Exception as error:  # bad config or version, unreadable data_dir
        raise InputError(f"{expected}; received: {name!r} ({_short(str(error).split('. ')[0])})") from None


def _tfds_info(name, tfds_info, ds, split, image_size):
    features = tfds_info.features
    label = features["label"] if "label" in features else None
    image_shape = tuple(features["image"].shape) if "image" in features else None
    if label is None or image_shape is None:
        raise InputError(f"expected a TFDS image-classification set with 'image' and 'label'; received: {name!r}")
    if image_size is not None:
        image_shape = (int(image_size[0]), int(image_size[1]), image_shape[-1])
    elif None in image_shape[:2]:
        raise InputError(f"expected image_size=(height, width) for {name!r} (its images vary in size); "
                         f"received: image_size=None")
    try:
        num_examples = int(tfds_info.splits[split].num_examples)
    except (KeyError, ValueError, TypeError):
        num_examples = -1  # split statistics unknown (e.g. mocked data); the caller may count
    num_examples = num_examples if num_examples > 0 else int(ds.cardinality())
    return DatasetInfo(name, int(label.num_classes), image_shape, list(label.names), num_examples)


def _load_tfds(name, *, split, batch_size, image_size, data_dir, seed, shuffle, repeat):
    import tensorflow_datasets as tfds

    builder = _tfds_builder(name, data_dir)
    fix = "use --dataset=digits (offline) or --data_dir with a prepared copy"
    # builder.is_prepared() logs a warning for a missing folder; the binaries keep stderr to one line
    prepared = (builder.data_path / "dataset_info.json").exists()
    if not prepared:
        reason = unreachable_reason(_TFDS_HOST)
        if reason:
            raise InputError(f"cannot download TFDS dataset {name!r} here ({reason}); {fix}")
    try:
        ds, tfds_info = tfds.load(name, split=split, data_dir=data_dir, as_supervised=True, shuffle_files=False,
                                  with_info=True)
    except Exception as error:
        if prepared:
            raise InputError(f"expected a loadable split of TFDS dataset {name!r}; received: split={split!r} "
                             f"({_short(error)})") from None
        raise InputError(f"cannot download TFDS dataset {name!r} here ({_short(error)}); {fix}") from None
    info = _tfds_info(name, tfds_info, ds, split, image_size)

    def to_float(image, label):
        image = tf.cast(image, tf.float32) / 255.0
        if image_size is not None:
            image = tf.image.resize(image, info.image_shape[:2], method="bilinear", antialias=True)
        return image, tf.cast(label, tf.int64)

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    ds = _finish(ds, num_examples=info.num_examples, batch_size=batch_size, shuffle=shuffle, seed=seed, repeat=repeat)
    return ds, info


def load_dataset(name, *, split="train", batch_size=64, image_size=None, data_dir=None, seed=0,
                 shuffle=True, repeat=False):
    """Loads an image-classification set by name as batched (image, label) pairs.

    Args:
        name: "digits" (offline) or a TFDS name such as "mnist", "fashion_mnist", "cifar10".
        split: "train" or "test" (any TFDS split string for TFDS sets).
        batch_size: examples per batch.
        image_size: optional (height, width) to resize every image to.
        data_dir: TFDS data directory (a prepared copy is used without a download).
        seed: shuffle seed (and, for digits, the train/test split seed).
        shuffle: shuffle the examples.
        repeat: repeat forever.

    Returns:
        (dataset, info): dataset of (float32 [B, H, W, C] in [0, 1], int64 [B]) and a
        :class:`DatasetInfo`.

    Raises:
        InputError: unknown name or split, or a TFDS set that cannot be downloaded here.

    Example:
        ds, info = load_dataset("digits", split="test", shuffle=False)
    """
    _check_batch_size(batch_size)
    if image_size is not None:
        image_size = (image_size, image_size) if np.isscalar(image_size) else tuple(image_size)
        if len(image_size) != 2 or min(image_size) < 1:
            raise InputError(f"expected image_size (height, width) >= 1; received: image_size={image_size}")
    if name != "digits":
        return _load_tfds(name, split=split, batch_size=batch_size, image_size=image_size,
                          data_dir=data_dir, seed=seed, shuffle=shuffle, repeat=repeat)
    _check_split(split)
    ds = digits_dataset(split, batch_size=batch_size, shuffle=shuffle, seed=seed, repeat=repeat)
    shape = (_DIGIT_SIZE, _DIGIT_SIZE, 1)
    if image_size is not None:
        shape = (*image_size, 1)
        size = tf.constant(image_size, tf.int32)

        @tf.autograph.experimental.do_not_convert  # plain TF ops; AutoGraph only warns about the closure
        def resize(x, y):
            return tf.image.resize(x, size, method="bilinear"), y

        ds = ds.map(resize)
    num_examples = len(digits(seed=seed)[f"y_{split}"])
    info = DatasetInfo("digits", 10, shape, list(DIGIT_CLASS_NAMES), num_examples)
    return ds, info
