"""The DAMSM encoders' training and cache: the losses fall, R-precision is reported, a recipe trains once and
loads back with safe_mode, and hard negatives make batches that differ only in the digit."""
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.text2image import damsm_training


# A stand-in for the captioned digits: coloured squares on coloured backgrounds, three caption templates.
_COLOURS = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "white": (1, 1, 1)}
VOCAB = sorted({"a", "on", "background", "square", "in", "small", "big", *_COLOURS})


class _Set:
    def __init__(self, images, captions, attributes):
        self.images, self.captions, self.attributes = images, captions, attributes


def squares(split, image_size, num=48):
    rng = np.random.default_rng(["train", "test", "held_out"].index(split))
    names = list(_COLOURS)
    stroke = rng.integers(0, 4, num)
    background = (stroke + rng.integers(1, 4, num)) % 4
    big = rng.integers(0, 2, num)
    images = np.empty((num, image_size, image_size, 3), np.float32)
    captions = []
    for i in range(num):
        images[i] = np.array(_COLOURS[names[background[i]]]) * 2 - 1
        half = image_size // (4 if big[i] else 8)
        images[i, half:3 * half, half:3 * half] = np.array(_COLOURS[names[stroke[i]]]) * 2 - 1
        s, b, z = names[stroke[i]], names[background[i]], ("small", "big")[big[i]]
        captions.append([f"a {z} {s} square on {b}", f"on a {b} background, a {z} square in {s}", f"{s} {z} on {b}"])
    return _Set(images, np.array(captions), {"stroke": stroke, "background": background, "big": big})


_TINY = {"epochs": 3, "batch_size": 8, "embedding_dim": 16, "learning_rate": 5e-3, "vectorizer": VOCAB,
         "candidates": 5}


def test_train_damsm_lowers_the_losses_and_reports_r_precision():
    text, image, metrics = damsm_training.train_damsm(image_size=16, seed=0, quiet=True, data=squares, **_TINY)
    history = metrics["history"]
    assert history["word_loss"][-1] < history["word_loss"][0]
    assert history["sentence_loss"][-1] < history["sentence_loss"][0]
    assert metrics["steps"] == 3 * (48 // 8) and metrics["train_seconds"] > 0
    assert set(metrics["r_precision"]) == {"test", "held_out"}
    assert all(0.0 <= v <= 1.0 for v in metrics["r_precision"].values())
    assert metrics["r_precision_chance"] == pytest.approx(0.2)
    out = text(tf.constant(["a red square on blue"]))
    assert out["sentence"].shape == (1, 16)
    assert image(squares("test", 16).images[:2])["regions"].shape == (2, 64, 16)
    with pytest.raises(InputError, match="batch_size"):
        damsm_training.train_damsm(image_size=16, data=squares, **{**_TINY, "batch_size": 0})


def test_load_damsm_trains_once_then_loads_with_safe_mode(tmp_path, monkeypatch, capsys):
    recipe = {k: v for k, v in _TINY.items() if k != "candidates"}
    monkeypatch.setattr(damsm_training, "_RECIPE", {**recipe, "epochs": 1, "candidates": 5})
    monkeypatch.setattr(damsm_training, "_captioned_split", squares)
    calls = []
    trainer = damsm_training.train_damsm

    def counted(**kwargs):
        calls.append(kwargs)
        return trainer(**kwargs)

    monkeypatch.setattr(damsm_training, "train_damsm", counted)
    text, image, metrics = damsm_training.load_damsm(image_size=16, seed=1, cache_dir=tmp_path, quiet=True, with_metrics=True)
    assert len(calls) == 1 and calls[0]["seed"] == 1 and calls[0]["image_size"] == 16
    assert "training the DAMSM" in capsys.readouterr().err
    again_text, again_image = damsm_training.load_damsm(image_size=16, seed=1, cache_dir=tmp_path, quiet=True)
    assert len(calls) == 1 and "training" not in capsys.readouterr().err
    captions = tf.constant(["a big red square on blue", "white small on green"])
    np.testing.assert_allclose(again_text(captions)["sentence"], text(captions)["sentence"], atol=1e-6)
    pixels = squares("test", 16).images[:3]
    np.testing.assert_allclose(again_image(pixels)["global"], image(pixels)["global"], atol=1e-5)
    assert metrics["version"] == damsm_training.VERSION and "held_out" in metrics["r_precision"]
    # Another seed, or a changed recipe, is another cache entry: it trains.
    monkeypatch.setattr(damsm_training, "_RECIPE", {**damsm_training._RECIPE, "learning_rate": 1e-3})
    damsm_training.load_damsm(image_size=16, seed=1, cache_dir=tmp_path, quiet=True)
    assert len(calls) == 2


def test_hard_negative_order_makes_runs_that_differ_only_in_the_digit():
    import numpy as np

    from tfopt.text2image.damsm_training import _batch_order

    rng = np.random.default_rng(0)
    num = 400
    attributes = {"digit": rng.integers(0, 10, num), "stroke": rng.integers(0, 2, num),
                  "background": rng.integers(0, 2, num), "thickness": np.zeros(num, np.int64)}
    order = _batch_order(np.random.default_rng(1), attributes, num, 4)
    assert sorted(order.tolist()) == list(range(num))  # a permutation
    runs = order.reshape(-1, 4)
    same = [len({(attributes["stroke"][i], attributes["background"][i]) for i in run}) == 1 for run in runs]
    assert np.mean(same) > 0.95  # only runs that straddle two combinations mix them
    assert np.mean([len(set(attributes["digit"][run])) > 1 for run in runs]) > 0.9
    plain = _batch_order(np.random.default_rng(1), attributes, num, 1)
    assert np.mean([len({(attributes["stroke"][i], attributes["background"][i]) for i in run}) == 1
                    for run in plain.reshape(-1, 4)]) < 0.2
