import keras
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.models.features import FeatureModel


def _dense_softmax_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,))
    h = keras.layers.Dense(4, activation="relu", name="hidden")(inp)
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="out")(h))


def test_logits_of_a_dense_softmax_head_are_its_preactivation():
    m = _dense_softmax_model()
    x = np.random.RandomState(0).rand(5, 6).astype("float32")
    acts = FeatureModel(m, ["logits", "probs", "hidden"])(x)
    w, b = m.get_layer("out").get_weights()
    np.testing.assert_allclose(acts["logits"].numpy(), acts["hidden"].numpy() @ w + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts["probs"].numpy(), m(x).numpy(), rtol=1e-5, atol=1e-6)


def test_logits_of_a_softmax_layer_model(tiny_model):
    x = np.random.RandomState(0).rand(2, 16, 16, 3).astype("float32")
    acts = FeatureModel(tiny_model, ["logits"])(x)
    ref = keras.Model(tiny_model.inputs[0], tiny_model.get_layer("logits_dense").output)(x)
    np.testing.assert_allclose(acts["logits"].numpy(), ref.numpy(), rtol=1e-6)


def test_unknown_layer_error_lists_valid_names():
    with pytest.raises(InputError) as e:
        FeatureModel(_dense_softmax_model(), ["block5_conv2"])
    msg = str(e.value)
    assert "hidden" in msg and "block5_conv2" in msg and "\n" not in msg
