"""The FCN score of pix2pix: a segmenter trained on real photo -> label pairs labels the generated photos.

If generated photos are realistic, a segmenter trained on real photos labels them about
as well as real held-out photos, whose score is the ceiling. :func:`train_segmenter`
trains :func:`tfopt.nets.segmenter.fcn_segmenter`; :func:`load_or_train_segmenter`
trains it once per data set and caches it at ``<cache>/pix2pix/segmenter-<key>.keras``
(beside a JSON sidecar naming the training labels' checksum and settings);
:func:`fcn_scores` labels photos with it and scores the labels.

Example:
    segmenter, info = load_or_train_segmenter("tiles-v1-64", photos, labels, num_classes=8)
    fcn_scores(segmenter, generated, held_out_labels, 8)        # vs the ceiling:
    fcn_scores(segmenter, held_out_photos, held_out_labels, 8)
"""
import hashlib
import inspect
import json
import pathlib
import re
import sys
import time

import numpy as np

from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.pix2pix.metrics import segmentation_scores

__all__ = ["train_segmenter", "load_or_train_segmenter", "fcn_scores"]

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _check_photos(photos):
    array = np.asarray(photos)
    if array.ndim != 4 or array.shape[-1] != 3 or not np.issubdtype(array.dtype, np.floating):
        raise InputError(f"expected photos as float images [N, H, W, 3] in [0, 1]; received: shape {array.shape}, "
                         f"dtype {array.dtype}")
    if len(array) < 1 or array.shape[1] % 4 or array.shape[2] % 4 or min(array.shape[1:3]) < 4:
        raise InputError(f"expected N >= 1 photos with height and width multiples of 4 (the segmenter halves "
                         f"them twice); received: shape {array.shape}")
    if not np.all(np.isfinite(array)) or array.min() < 0.0 or array.max() > 1.0:
        raise InputError(f"expected photos in [0, 1]; received: values in [{np.nanmin(array):.4g}, "
                         f"{np.nanmax(array):.4g}]")
    return array.astype(np.float32)


def _check_num_classes(num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise InputError(f"expected num_classes to be an integer >= 2; received: num_classes={num_classes!r}")
    return int(num_classes)


def _check_pairs(photos, labels, num_classes):
    photos = _check_photos(photos)
    num_classes = _check_num_classes(num_classes)
    labels = np.asarray(labels)
    if labels.shape != photos.shape[:3] or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(f"expected integer labels [N, H, W] matching photos {photos.shape[:3]}; received: shape "
                         f"{labels.shape}, dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise InputError(f"expected labels in [0, {num_classes - 1}]; received: values in "
                         f"[{labels.min()}, {labels.max()}]")
    return photos, labels.astype(np.int32), num_classes


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"expected {name} to be an integer >= 1; received: {name}={value!r}")
    return int(value)


def train_segmenter(photos, labels, num_classes, *, steps=400, batch_size=16, seed=0, filters=32,
                    learning_rate=3e-3, quiet=True):
    """Trains :func:`~tfopt.nets.segmenter.fcn_segmenter` on photo -> label pairs.

    Keras ``fit`` with Adam (learning rate cosine-decayed to zero over ``steps``), per-pixel
    sparse categorical cross-entropy on the logits, and random horizontal flips of each
    pair as augmentation. Deterministic for a seed on CPU: the initial weights, the
    shuffle order and the flips all derive from ``seed``.

    Args:
        photos: float images [N, H, W, 3] in [0, 1], H and W multiples of 4.
        labels: integer labels [N, H, W] in [0, num_classes).
        num_classes: number of classes (>= 2).
        steps: optimizer steps (batches).
        batch_size: pairs per step.
        seed: seed of the weights, shuffling and flips.
        filters: the network's width (see fcn_segmenter).
        learning_rate: peak Adam learning rate.
        quiet: no Keras progress lines.

    Returns:
        The trained keras.Model (photos -> logits [B, H, W, num_classes]), compiled.

    Example:
        segmenter = train_segmenter(photos, labels, 8, steps=400)
    """
    import keras
    import tensorflow as tf

    from tfopt.models.digits import _seeded
    from tfopt.nets.segmenter import fcn_segmenter

    photos, labels, num_classes = _check_pairs(photos, labels, num_classes)
    steps, batch_size = _positive("steps", steps), _positive("batch_size", batch_size)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"expected seed to be a non-negative integer; received: seed={seed!r}")
    seed = int(seed)

    def flip(photo, label, op_seed):
        flipped = tf.random.stateless_uniform(tf.shape(label)[:1], seed=op_seed) < 0.5   # one coin per pair
        photo = tf.where(flipped[:, None, None, None], tf.reverse(photo, [2]), photo)
        label = tf.where(flipped[:, None, None], tf.reverse(label, [2]), label)
        return photo, label

    pairs = tf.data.Dataset.from_tensor_slices((photos, labels))
    pairs = pairs.shuffle(len(photos), seed=seed, reshuffle_each_iteration=True).repeat().batch(batch_size)
    flip_seeds = tf.data.Dataset.random(seed=seed).batch(2)
    data = (tf.data.Dataset.zip((pairs, flip_seeds)).map(lambda pair, op_seed: flip(*pair, op_seed),
                                                         num_parallel_calls=1, deterministic=True).prefetch(2))
    model = _seeded(seed, lambda: fcn_segmenter(num_classes=num_classes, filters=filters))
    schedule = keras.optimizers.schedules.CosineDecay(float(learning_rate), decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy"])
    model.fit(data, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0 if quiet else 2)
    return model


def _predict_labels(segmenter, photos, batch_size):
    batch_size = _positive("batch_size", batch_size)
    out = [np.argmax(np.asarray(segmenter(photos[start:start + batch_size], training=False)), axis=-1)
           for start in range(0, len(photos), batch_size)]
    return np.concatenate(out)


def fcn_scores(segmenter, photos, labels, num_classes, batch_size=32):
    """Labels photos with the segmenter (argmax per pixel) and scores that against ``labels``.

    Args:
        segmenter: a model mapping [B, H, W, 3] in [0, 1] to per-pixel scores [B, H, W, num_classes].
        photos: float images [N, H, W, 3] in [0, 1] (generated, or real for the ceiling).
        labels: the true integer labels [N, H, W] of the pairs the photos stand for.
        num_classes: number of classes.
        batch_size: photos per forward pass.

    Returns:
        :func:`~tfopt.pix2pix.metrics.segmentation_scores`: per_pixel_accuracy,
        per_class_accuracy, class_iou and confusion.

    Example:
        fcn_scores(segmenter, generated, held_out_labels, 8)["class_iou"]
    """
    photos, labels, num_classes = _check_pairs(photos, labels, num_classes)
    return segmentation_scores(_predict_labels(segmenter, photos, batch_size), labels, num_classes)


def _checksum(labels, num_classes):
    digest = hashlib.sha256(f"{labels.shape}|{num_classes}|".encode())
    digest.update(np.ascontiguousarray(labels, dtype="<i4").tobytes())
    return digest.hexdigest()


def _read_sidecar(path):
    try:
        return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_or_train_segmenter(key, photos, labels, num_classes, *, cache_dir=None, **train_kwargs):
    """Returns the segmenter of a data set: trained once, then loaded from the tfopt cache.

    The model lives at ``<cache_dir>/pix2pix/segmenter-<key>.keras`` and its sidecar
    ``segmenter-<key>.json`` holds a SHA-256 of the training labels (with their shape and
    ``num_classes``) and the training settings. The model is (re)trained when it is missing,
    unloadable, or the sidecar does not match these labels and settings; otherwise it is
    loaded with ``safe_mode=True``. Both files are written atomically (a temporary name,
    then a rename), the sidecar last, so a crash never pairs a model with the wrong labels.
    The photos are not checksummed: ``key`` names them, so a new version of the data needs a new key.

    Args:
        key: a name for the data set, e.g. its name + version + image size (letters,
            digits, ".", "_", "-"); data sets with different keys never share a model.
        photos: float training photos [N, H, W, 3] in [0, 1], H and W multiples of 4.
        labels: integer training labels [N, H, W] in [0, num_classes).
        num_classes: number of classes (>= 2).
        cache_dir: the cache directory (default :func:`tfopt.core.files.cache_dir`).
        **train_kwargs: steps, batch_size, seed, filters, learning_rate, quiet of
            :func:`train_segmenter`.

    Returns:
        (model, info): the keras.Model and a dict with ``cached`` (loaded, not trained),
        ``seconds`` (spent training, or loading), ``train_pixel_accuracy`` (on the training
        photos, no augmentation), ``path`` and ``labels_sha256``.

    Example:
        segmenter, info = load_or_train_segmenter("tiles-v1-64", photos, labels, 8, steps=400)
    """
    import keras

    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InputError(f"expected key to be a name of letters, digits, '.', '_' or '-' (not starting with "
                         f"'.', '_' or '-'); received: key={key!r}")
    defaults = {name: p.default for name, p in inspect.signature(train_segmenter).parameters.items()
                if p.kind is p.KEYWORD_ONLY}
    unknown = sorted(set(train_kwargs) - set(defaults))
    if unknown:
        raise InputError(f"expected training settings among steps, batch_size, seed, filters, learning_rate, "
                         f"quiet; received: {', '.join(unknown)}")
    photos, labels, num_classes = _check_pairs(photos, labels, num_classes)
    folder = pathlib.Path(files.cache_dir(cache_dir)) / "pix2pix"
    path = folder / f"segmenter-{key}.keras"
    sidecar_path = folder / f"segmenter-{key}.json"
    settings = {name: value for name, value in {**defaults, **train_kwargs}.items() if name != "quiet"}
    expected = {"key": key, "labels_sha256": _checksum(labels, num_classes), "num_classes": num_classes,
                "train_settings": settings}

    model = None
    start = time.perf_counter()
    sidecar = _read_sidecar(sidecar_path)
    if (path.is_file() and sidecar is not None and "train_pixel_accuracy" in sidecar
            and all(sidecar.get(k) == v for k, v in expected.items())):
        try:
            model = keras.saving.load_model(path, safe_mode=True, compile=False)
        except Exception as error:  # a damaged or foreign file: train a new one
            print(f"tfopt: cannot load the cached segmenter {path} ({type(error).__name__}); training it again",
                  file=sys.stderr)
    cached = model is not None
    if not cached:
        print(f"tfopt: training the pix2pix segmenter once; caching it at {path}", file=sys.stderr)
        model = train_segmenter(photos, labels, num_classes, **train_kwargs)
        folder.mkdir(parents=True, exist_ok=True)
        sidecar_path.unlink(missing_ok=True)   # no sidecar may vouch for the old model while it is replaced
        with files.atomic_path(path) as tmp:
            model.save(tmp)
        seconds = time.perf_counter() - start
        # Measured once, when trained: a cached model is the same model, so its sidecar keeps the number.
        train_accuracy = fcn_scores(model, photos, labels, num_classes)["per_pixel_accuracy"]
        files.write_json(sidecar_path, {**expected, "train_seconds": round(seconds, 2),
                                        "train_pixel_accuracy": train_accuracy})
    else:
        seconds = time.perf_counter() - start
        train_accuracy = sidecar["train_pixel_accuracy"]
    info = {"cached": cached, "seconds": round(seconds, 2), "train_pixel_accuracy": train_accuracy,
            "path": str(path), "labels_sha256": expected["labels_sha256"]}
    return model, info
