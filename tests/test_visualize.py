"""Fooling images, class models, feature inversion: behaviour on tiny models."""
import keras
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.models import zoo
from tfopt.models.features import FeatureModel
from tfopt.optim import evaluate
from tfopt.optim import objectives as O
from tfopt.visualize import class_model, compare_tv, fooling_images, invert
from tfopt.visualize.common import check_classes, first_crossings, pairwise_rms, penultimate_layer, total_variation


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
    with pytest.raises(InputError, match=r"class index in \[0, 4\]; received: 7"):
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


def test_class_names_work_like_indices_on_the_digits_cnn():
    model = zoo.get_model("digits_cnn", weights="random", seed=0)  # its classes are "0".."9"
    by_index = class_model(model, [3, 8], steps=3, seed=1)
    by_name = class_model(model, ["3", "8"], steps=3, seed=1)
    assert by_name.classes.tolist() == by_index.classes.tolist() == [3, 8]
    np.testing.assert_allclose(by_name.images, by_index.images, atol=1e-6)
    np.testing.assert_allclose(by_name.confidence, by_index.confidence, atol=1e-6)
    assert check_classes("3", model).tolist() == [3] and check_classes(np.array([7, 1]), model).tolist() == [7, 1]


@pytest.mark.parametrize("call", ["class_model", "compare_tv", "fooling_images"])
def test_a_name_the_model_does_not_have_is_one_line_input_error(call):
    model = zoo.get_model("digits_cnn", weights="random", seed=0)
    run = {"class_model": lambda: class_model(model, [1, "ostrich"], steps=1),
           "compare_tv": lambda: compare_tv(model, ["ostrich"], steps=1),
           "fooling_images": lambda: fooling_images(model, ["ostrich"], np.full([32, 32, 1], 0.5, np.float32),
                                                    steps=1)}[call]
    with pytest.raises(InputError) as err:
        run()
    message = str(err.value)
    assert "\n" not in message and message.startswith("expected a class name") and "received: 'ostrich'" in message
    with pytest.raises(InputError, match="expected at least one class"):
        check_classes([], model)


def _imagenet_like():
    """A tiny 1000-way classifier recorded with ImageNet classes, as get_model records its applications."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3))
    logits = keras.layers.Dense(1000, name="logits")(keras.layers.GlobalAveragePooling2D()(inp))
    return zoo._record(keras.Model(inp, keras.layers.Softmax(name="probs")(logits)), "random (seed 0)", "imagenet")


def test_imagenet_class_names_and_synonyms_resolve_in_every_visualization():
    pytest.importorskip("tensorflow_datasets")  # the ImageNet names come with it
    model = _imagenet_like()
    res = class_model(model, ["ostrich", "Struthio camelus", "king penguin", 417], steps=1)
    assert res.classes.tolist() == [9, 9, 145, 417]
    without, with_tv, _ = compare_tv(model, ["ostrich"], steps=1)
    assert without.classes.tolist() == with_tv.classes.tolist() == [9]
    fooled = fooling_images(model, "ostrich", np.full([8, 8, 3], 0.5, np.float32), steps=1)
    assert fooled.targets.tolist() == [9]
    with pytest.raises(InputError, match=r"received: 'ostrih'; closest ImageNet classes: ostrich, Struthio camelus"):
        class_model(model, ["ostrih"], steps=1)


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


def test_without_a_model_photos_and_worded_classes_go_to_the_offline_imagenet_classifier():
    from tfopt.visualize.run import VisualizeConfig, resolve_model

    assert resolve_model(VisualizeConfig(classes=("3", 7))).model == "digits_cnn"
    assert resolve_model(VisualizeConfig(classes=("3", "ostrich"))).model == "digits_cnn"  # then "ostrich" fails
    assert resolve_model(VisualizeConfig(mode="invert")).model == "digits_cnn"
    assert resolve_model(VisualizeConfig(mode="invert", image="coffee")).model == "efficientnet_lite0"
    assert resolve_model(VisualizeConfig(mode="fooling", classes=("ostrich",))).model == "efficientnet_lite0"
    assert resolve_model(VisualizeConfig(model="vgg19", classes=("ostrich",))).model == "vgg19"
