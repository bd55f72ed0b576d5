"""tfopt.models.zoo: get_model (applications, files, digits), class names."""
import pathlib

import keras
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.data import digits
from tfopt.layers.preprocess import Preprocess
from tfopt.models import zoo
from tfopt.net import unreachable_reason


def test_vgg19_random_is_flat_seeded_and_fully_convolutional():
    a = zoo.get_model("vgg19", weights="random", include_top=False, seed=0)
    b = zoo.get_model("vgg19", weights="random", include_top=False, seed=0)
    c = zoo.get_model("vgg19", weights="random", include_top=False, seed=1)
    assert not any(isinstance(layer, keras.Model) for layer in a.layers)  # one flat graph
    assert a.get_layer("block5_conv2").output.shape[-1] == 512
    assert [layer.name for layer in a.layers[:3]] == ["image", "preprocess", "block1_conv1"]
    x = np.random.RandomState(0).rand(1, 64, 64, 3).astype("float32")
    ya, yb, yc = a(x).numpy(), b(x).numpy(), c(x).numpy()
    assert ya.shape == (1, 2, 2, 512)
    np.testing.assert_array_equal(ya, yb)
    assert not np.allclose(ya, yc)
    assert zoo.describe_weights(a) == "random (seed 0)" and zoo.describe_weights(c) == "random (seed 1)"


def test_classifier_ends_in_softmax_over_logits():
    model = zoo.get_model("mobilenet_v2", weights="random", input_shape=(64, 64, 3), seed=0)
    assert model.layers[-1].name == "probs" and isinstance(model.layers[-1], keras.layers.Softmax)
    logits_model = keras.Model(model.input, model.layers[-1].input)
    x = np.random.RandomState(1).rand(2, 64, 64, 3).astype("float32")
    logits = logits_model(x).numpy()
    np.testing.assert_allclose(model(x).numpy(), keras.ops.softmax(logits).numpy(), atol=1e-5)
    assert logits.shape == (2, 1000) and np.abs(logits).max() > 0


def test_weights_file_round_trip_and_missing_file(tmp_path):
    a = zoo.get_model("mobilenet_v2", weights="random", include_top=False, seed=3)
    path = tmp_path / "m.weights.h5"
    a.save_weights(path)
    b = zoo.get_model("mobilenet_v2", weights=str(path), include_top=False, seed=4)
    x = np.random.RandomState(2).rand(1, 32, 32, 3).astype("float32")
    np.testing.assert_allclose(a(x).numpy(), b(x).numpy(), atol=1e-6)
    assert zoo.describe_weights(b) == f"file: {path}"
    with pytest.raises(InputError, match="not found"):
        zoo.get_model("mobilenet_v2", weights=str(tmp_path / "missing.h5"))


def test_keras_file_with_preprocess_loads_in_safe_mode(tmp_path):
    inputs = keras.Input((8, 8, 3))
    x = Preprocess("caffe")(inputs)
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="conv")(x))
    path = tmp_path / "tiny.keras"
    model.save(path)
    loaded = zoo.get_model(str(path))
    x = np.random.RandomState(0).rand(1, 8, 8, 3).astype("float32")
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-5)
    assert zoo.describe_weights(loaded).startswith("file: ")
    with pytest.raises(InputError, match="not found"):
        zoo.get_model(str(tmp_path / "nope.keras"))


def test_unknown_model_name_lists_valid_names():
    with pytest.raises(InputError) as err:
        zoo.get_model("vgg99")
    for name in zoo.MODEL_NAMES:
        assert name in str(err.value)
    with pytest.raises(InputError, match="weights"):
        zoo.get_model("vgg19", weights="imagenet21k", include_top=False)


@pytest.mark.parametrize("network", ["real", "simulated"])
def test_imagenet_weights_offline_fail_fast_in_one_line(tmp_path, monkeypatch, network):
    """Offline, ImageNet weights fail on the probe, before keras.applications tries the download."""
    if network == "real" and unreachable_reason(zoo._WEIGHTS_HOST) is None:
        pytest.skip("network available: this test checks the offline message")
    if network == "simulated":
        monkeypatch.setattr(zoo, "unreachable_reason", lambda url: "no network: cannot resolve storage.googleapis.com")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached weights
    builds = []
    monkeypatch.setattr(zoo, "_build_application", lambda *args, **kwargs: builds.append(kwargs))
    with pytest.raises(InputError) as err:
        zoo.get_model("vgg19", include_top=False)
    assert builds == []  # no download attempted
    message = str(err.value)
    assert "\n" not in message and message.startswith("cannot download ImageNet weights for vgg19 here")
    assert "--weights=random" in message


def test_class_names_and_index():
    assert zoo.class_index("vgg19", "ostrich") == 9
    assert zoo.class_index("vgg19", "Struthio camelus") == 9
    assert zoo.class_index("resnet50", 417) == 417
    assert zoo.class_names("vgg16")[:2] == ["tench", "goldfish"] and len(zoo.class_names("vgg16")) == 1000
    assert zoo.class_names("digits_cnn") == [str(k) for k in range(10)]
    assert zoo.class_index("digits_cnn", "7") == 7
    with pytest.raises(InputError, match=r"received: 'ostrih'; closest ImageNet classes: ostrich, Struthio camelus "
                                         r"\(9\); "):
        zoo.class_index("efficientnet_lite0", "ostrih")
    with pytest.raises(InputError, match=r"closest ImageNet classes: ostrich, Struthio camelus \(9\)$"):
        zoo.class_index("vgg19", "struthio")  # a word of a synonym
    with pytest.raises(InputError, match="999"):
        zoo.class_index("vgg19", 1000)


def test_digits_cnn_reaches_98_percent(digits_model):
    d = digits(seed=0)
    predictions = np.argmax(digits_model.predict(d["x_test"], verbose=0), axis=-1)
    accuracy = float(np.mean(predictions == d["y_test"]))
    print(f"digits CNN test accuracy {accuracy:.4f}")
    assert accuracy >= 0.98
    for name in ("penultimate", "logits", "probs"):
        digits_model.get_layer(name)
    assert zoo.class_names(digits_model) == [str(k) for k in range(10)]


def test_digits_cnn_reloads_from_cache(digits_cache, digits_model, monkeypatch):
    path = pathlib.Path(digits_cache) / "digits_cnn" / "model.keras"
    assert path.is_file()
    trained = []

    def train(**kwargs):
        trained.append(kwargs)
        raise AssertionError("a cached digits CNN must not be retrained")

    monkeypatch.setattr(zoo, "train_digits_classifier", train)
    again = zoo.get_model("digits_cnn", cache_dir=str(digits_cache))
    assert trained == []  # loaded, not retrained
    assert str(path) in zoo.describe_weights(again)
    x = digits(seed=0)["x_test"][:16]
    np.testing.assert_allclose(again(x).numpy(), digits_model(x).numpy(), atol=1e-6)
    random = zoo.get_model("digits_cnn", weights="random", seed=0)
    assert not np.allclose(random(x).numpy(), digits_model(x).numpy(), atol=1e-3)


def test_default_digits_model_is_trained_with_seed_0_whatever_the_callers_seed(tmp_path, monkeypatch):
    """The cached judge must not depend on the seed of the run that happens to create the cache."""
    seeds = []

    def fake_train(*, seed, quiet):
        seeds.append(seed)
        return zoo.digits_cnn(10), {}

    monkeypatch.setattr(zoo, "train_digits_classifier", fake_train)
    zoo.get_model("digits_cnn", weights="default", seed=5, cache_dir=str(tmp_path))
    assert seeds == [0]
    assert (tmp_path / "digits_cnn" / "model.keras").is_file()


def test_two_callers_at_once_train_the_default_digits_model_once(tmp_path, monkeypatch):
    """Two processes (test workers, runs) asking for an uncached model take turns: the second loads the file."""
    import threading
    import time

    built, calls = zoo.digits_cnn(10), []

    def slow_train(*, seed, quiet):
        calls.append(seed)
        time.sleep(0.5)
        return built, {}

    monkeypatch.setattr(zoo, "train_digits_classifier", slow_train)
    got = []
    threads = [threading.Thread(target=lambda: got.append(zoo.get_model("digits_cnn", cache_dir=str(tmp_path))))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [0] and len(got) == 2
    assert sorted(p.name for p in (tmp_path / "digits_cnn").iterdir()) == ["model.keras"]  # no temporary left


def test_training_does_not_depend_on_the_global_seeds_set_before_nor_change_them():
    """The cached judges are trained in whatever process asks first, after whatever it ran: a global seed set
    before (keras.utils.set_random_seed, as fixtures and binaries do) must not change the model, and the
    caller's own random sequence goes on as if no training had happened."""
    import tensorflow as tf

    from tfopt.models.digits import train_classifier

    keras.utils.set_random_seed(7)
    expected = tf.random.uniform([4]).numpy(), np.random.rand(3)
    weights = []
    for seed in (0, 7):
        keras.utils.set_random_seed(seed)
        model, _ = train_classifier("digits", epochs=1, batch_size=256, seed=0, quiet=True)
        weights.append(model.get_weights())
    np.testing.assert_array_equal(tf.random.uniform([4]).numpy(), expected[0])
    np.testing.assert_array_equal(np.random.rand(3), expected[1])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_the_seed_guard_also_works_in_a_process_that_never_set_a_seed(monkeypatch):
    """(Such a process's eager context has no _rng field at all: the first digits CNN of a fresh worker.)"""
    from tensorflow.python.eager import context

    from tfopt.models.digits import _without_global_tf_seed

    ctx = context.context()
    monkeypatch.setattr(ctx, "_seed", None)
    monkeypatch.delattr(ctx, "_rng", raising=False)
    with _without_global_tf_seed():
        assert context.global_seed() is None
    assert context.global_seed() is None and not hasattr(ctx, "_rng")
    keras.utils.set_random_seed(3)
    with _without_global_tf_seed():
        assert context.global_seed() is None
    assert context.global_seed() == 3


def test_vgg19_receptive_fields_are_the_published_ones():
    from tfopt.models.features import receptive_field

    vgg = zoo.get_model("vgg19", weights="random", include_top=False, seed=0)
    got = {n: receptive_field(vgg, n) for n in ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
                                                  "block5_conv1", "block5_conv2")}
    assert got == {"block1_conv1": (3, 1), "block2_conv1": (10, 2), "block3_conv1": (24, 4),
                   "block4_conv1": (68, 8), "block5_conv1": (156, 16), "block5_conv2": (188, 16)}
