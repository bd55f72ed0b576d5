"""Fooling images, class models, feature inversion: behaviour on tiny models."""
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.models.features import FeatureModel
from tfopt.optim import evaluate
from tfopt.optim import objectives as O
from tfopt.visualize import class_model, compare_tv, fooling_images, invert
from tfopt.visualize.common import first_crossings, pairwise_rms, penultimate_layer, total_variation


def _probs(model, x, k):
    return model.predict(x, verbose=0)[np.arange(len(k)), k]


def test_first_crossings_reads_the_first_step_at_or_above_each_threshold():
    hist = np.array([[0.1, 0.6], [0.55, 0.995], [0.9995, 0.2], [0.99995, 0.999]])
    out = first_crossings(hist, [0.5, 0.99, 0.999, 0.9999])
    assert out[0.5].tolist() == [1, 0]
    assert out[0.99].tolist() == [2, 1]
    assert out[0.999].tolist() == [2, 3]
    assert out[0.9999].tolist() == [3, -1]


def test_measurements():
    flat = np.full([1, 8, 8, 1], 0.3)
    stripes = np.tile(np.array([0.0, 1.0]), [1, 8, 4, 1]).reshape(1, 8, 8, 1)
    tv = total_variation(np.concatenate([flat, stripes]))
    assert tv[0] == 0.0 and tv[1] == pytest.approx(1.0)
    d, mean = pairwise_rms(np.concatenate([flat, flat, stripes]))
    assert d[0, 1] == 0.0 and d[0, 2] > 0.3 and mean == pytest.approx((d[0, 2] + d[1, 2]) / 3)


def test_penultimate_layer(tiny_model):
    assert penultimate_layer(tiny_model) == "penultimate"


def test_fooling_reaches_the_threshold_and_records_crossings(digits_model):
    from tfopt.data import digits

    mean = digits(seed=0)["x_train"].mean(0)
    targets = np.array([0, 3, 7])
    start = fooling_images(digits_model, targets, mean, steps=0, threshold=0.999)
    res = fooling_images(digits_model, targets, mean, steps=80, threshold=0.999)
    assert np.all(start.confidence < 0.5) and np.all(res.confidence >= 0.999)
    assert np.allclose(res.confidence, _probs(digits_model, res.images, targets), atol=1e-6)
    assert np.allclose(res.history[0], start.confidence, atol=1e-4)
    assert res.reached.all() and np.all(res.steps < 80)
    for i in range(len(targets)):  # frozen at the step it crossed, crossings in order
        assert 0 <= res.first_step[0.5][i] <= res.first_step[0.99][i] <= res.first_step[0.999][i] == res.steps[i]
        assert res.history[res.steps[i], i] >= 0.999 - 1e-6 and res.history[res.steps[i] - 1, i] < 0.999
    assert res.first_step[0.9999].shape == (3,)
    assert res.summary()["num_reached"] == 3


def test_fooling_bad_input(tiny_model):
    mean = np.full([16, 16, 3], 0.5, np.float32)
    with pytest.raises(InputError, match="class indices"):
        fooling_images(tiny_model, [7], mean, steps=1)
    with pytest.raises(InputError, match="threshold"):
        fooling_images(tiny_model, [1], mean, steps=1, threshold=1.5)


def test_tv_regularizer_lowers_total_variation(tiny_model):
    without, with_tv, numbers = compare_tv(tiny_model, [1, 2], tv=30.0, l2=0.0, steps=30, learning_rate=0.05)
    assert numbers["tv_with"] < numbers["tv_without"]
    assert numbers["tv_ratio"] == pytest.approx(without.total_variation.mean() / with_tv.total_variation.mean())
    assert without.settings["tv"] == 0.0 and with_tv.settings["tv"] == 30.0


def test_class_model_raises_the_class_logit(tiny_model):
    res = class_model(tiny_model, [2], steps=20, learning_rate=0.05, tv=0.0, l2=0.0, jitter=0)
    start = evaluate(O.class_logit([2]), tiny_model, np.full([1, 16, 16, 3], 0.5, np.float32))
    assert res.logit[0] > start[0] + 0.01


def test_inversion_error_falls_for_every_restart(tiny_model, images):
    res = invert(tiny_model, images[0], restarts=3, steps=60, learning_rate=0.05, tv=0.0, alpha_weight=0.0)
    assert res.layer == "penultimate"
    rng = np.random.default_rng(0)
    starts = np.clip(0.5 + 0.2 * rng.standard_normal((3, 16, 16, 3)), 0, 1).astype(np.float32)
    target = FeatureModel(tiny_model, ["penultimate"])(images[:1])["penultimate"].numpy()
    before = evaluate(O.feature_match("penultimate", np.repeat(target, 3, 0)), tiny_model, starts)
    assert np.all(res.errors < 0.5 * before)
    assert res.diversity.shape == (3, 3) and res.mean_diversity > 0
    assert len(res.summary()["errors"]) == 3
