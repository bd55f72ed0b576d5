"""tfopt.pix2pix.segmenter and tfopt.nets.segmenter: the FCN-score segmenter learns, repeats, caches, retrains."""
import json

import numpy as np
import pytest
import tensorflow as tf

from tfopt import nets
from tfopt.core.errors import InputError
from tfopt.pix2pix.segmenter import fcn_scores, load_or_train_segmenter, train_segmenter

_COLOURS = np.array([[0.8, 0.2, 0.2], [0.2, 0.7, 0.3], [0.2, 0.3, 0.8]], "float32")   # class -> mean colour


def _regions(n, size=16, seed=0):
    """Photos [n, size, size, 3] of four rectangles cut at random rows and columns, each a noisy class colour,
    and their labels [n, size, size] (the class of each rectangle)."""
    rng = np.random.default_rng(seed)
    labels = np.empty((n, size, size), np.int64)
    for i in range(n):
        row, col = rng.integers(3, size - 2, size=2)
        classes = rng.integers(0, len(_COLOURS), size=4)
        labels[i, :row, :col], labels[i, :row, col:], labels[i, row:, :col], labels[i, row:, col:] = classes
    photos = _COLOURS[labels] + rng.normal(0, 0.08, labels.shape + (3,)).astype("float32")
    return np.clip(photos, 0, 1).astype("float32"), labels


def test_fcn_segmenter_is_registered_and_maps_pixels_to_logits():
    net = nets.build("fcn_segmenter", num_classes=5, filters=8)
    assert tuple(net(np.zeros((2, 24, 36, 3), "float32")).shape) == (2, 24, 36, 5)
    assert net.get_layer("logits").activation.__name__ == "linear"
    with pytest.raises(InputError, match="num_classes"):
        nets.build("fcn_segmenter", num_classes=1)
    with pytest.raises(InputError, match="multiples of 4"):
        nets.build("fcn_segmenter", num_classes=3, input_shape=(30, 32, 3))


def test_fcn_segmenter_field_of_view_is_about_53_pixels():
    net = nets.build("fcn_segmenter", num_classes=3)
    x = tf.Variable(np.random.default_rng(0).random((1, 128, 128, 3)).astype("float32"))
    with tf.GradientTape() as tape:
        centre = tf.reduce_sum(net(x)[0, 64, 64])
    reach = np.abs(tape.gradient(centre, x).numpy()[0]).sum(axis=-1) > 0
    rows, cols = np.nonzero(reach.any(axis=1))[0], np.nonzero(reach.any(axis=0))[0]
    assert 45 <= np.ptp(rows) + 1 <= 60 and 45 <= np.ptp(cols) + 1 <= 60


def test_segmenter_learns_colour_regions_and_scores_noise_far_lower():
    photos, labels = _regions(320, seed=0)
    held_photos, held_labels = _regions(64, seed=1)
    segmenter = train_segmenter(photos, labels, 3, steps=150, batch_size=16, seed=0)
    held = fcn_scores(segmenter, held_photos, held_labels, 3)
    assert held["per_pixel_accuracy"] > 0.9 and held["class_iou"] > 0.8
    noise = np.random.default_rng(2).random(held_photos.shape).astype("float32")
    scored_noise = fcn_scores(segmenter, noise, held_labels, 3)
    assert scored_noise["per_pixel_accuracy"] < 0.6 and scored_noise["class_iou"] < 0.5
    assert scored_noise["per_pixel_accuracy"] < held["per_pixel_accuracy"] - 0.3


def test_training_repeats_for_a_seed_and_differs_across_seeds():
    photos, labels = _regions(48, seed=3)
    first, again, other = (train_segmenter(photos, labels, 3, steps=6, batch_size=8, seed=s) for s in (5, 5, 6))
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(), again.get_weights()))
    assert not np.array_equal(first.get_weights()[1], other.get_weights()[1])  # stem's first weights


def test_load_or_train_caches_then_loads_and_retrains_when_labels_or_settings_change(tmp_path):
    photos, labels = _regions(48, seed=4)
    settings = dict(steps=12, batch_size=8, seed=0, cache_dir=tmp_path)
    model, info = load_or_train_segmenter("regions-v1-16", photos, labels, 3, **settings)
    path = tmp_path / "pix2pix" / "segmenter-regions-v1-16.keras"
    assert info["cached"] is False and info["path"] == str(path) and path.is_file()
    assert 0.0 <= info["train_pixel_accuracy"] <= 1.0 and info["seconds"] > 0
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["labels_sha256"] == info["labels_sha256"] and sidecar["num_classes"] == 3
    assert sorted(p.name for p in path.parent.iterdir()) == [path.with_suffix(".json").name, path.name]  # no temp

    loaded, again = load_or_train_segmenter("regions-v1-16", photos, labels, 3, **settings)
    assert again["cached"] is True and loaded is not model
    np.testing.assert_array_equal(np.asarray(loaded(photos[:8])), np.asarray(model(photos[:8])))
    assert again["train_pixel_accuracy"] == info["train_pixel_accuracy"]

    changed = labels.copy()
    changed[0, 0, 0] = (changed[0, 0, 0] + 1) % 3     # one pixel differs
    _, retrained = load_or_train_segmenter("regions-v1-16", photos, changed, 3, **settings)
    assert retrained["cached"] is False and retrained["labels_sha256"] != info["labels_sha256"]
    _, longer = load_or_train_segmenter("regions-v1-16", photos, changed, 3, **{**settings, "steps": 13})
    assert longer["cached"] is False
    _, same = load_or_train_segmenter("regions-v1-16", photos, changed, 3, **{**settings, "steps": 13})
    assert same["cached"] is True


def test_a_damaged_cached_model_is_trained_again(tmp_path):
    photos, labels = _regions(16, seed=5)
    settings = dict(steps=2, batch_size=8, cache_dir=tmp_path)
    _, first = load_or_train_segmenter("damaged", photos, labels, 3, **settings)
    (tmp_path / "pix2pix" / "segmenter-damaged.keras").write_bytes(b"not a keras file")
    _, second = load_or_train_segmenter("damaged", photos, labels, 3, **settings)
    assert first["cached"] is False and second["cached"] is False


@pytest.mark.parametrize("key, photos, labels, kwargs, match", [
    ("../escape", np.zeros((2, 8, 8, 3), "float32"), np.zeros((2, 8, 8), int), {}, "key"),
    ("ok", np.zeros((2, 10, 8, 3), "float32"), np.zeros((2, 10, 8), int), {}, "multiples of 4"),
    ("ok", np.zeros((2, 8, 8, 3), "float32"), np.zeros((2, 8, 4), int), {}, "matching photos"),
    ("ok", np.zeros((2, 8, 8, 3), "float32"), np.full((2, 8, 8), 3), {}, r"labels in \[0, 2\]"),
    ("ok", np.full((2, 8, 8, 3), 2.0, "float32"), np.zeros((2, 8, 8), int), {}, r"in \[0, 1\]"),
    ("ok", np.zeros((2, 8, 8, 3), "float32"), np.zeros((2, 8, 8), int), {"epochs": 3}, "epochs"),
])
def test_load_or_train_refuses_bad_input_before_training(tmp_path, key, photos, labels, kwargs, match):
    with pytest.raises(InputError, match=match):
        load_or_train_segmenter(key, photos, labels, 3, cache_dir=tmp_path, **kwargs)
    assert not (tmp_path / "pix2pix").exists()
