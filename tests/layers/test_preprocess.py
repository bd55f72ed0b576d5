"""tfopt.layers.preprocess: each mode matches keras.applications' own preprocessing."""
import keras
import numpy as np
import pytest

from tfopt.layers.preprocess import Preprocess


def test_preprocess_matches_keras_applications():
    x = np.random.RandomState(0).rand(2, 5, 7, 3).astype("float32")
    caffe = Preprocess("caffe")(x)
    np.testing.assert_allclose(caffe, keras.applications.vgg19.preprocess_input(x * 255.0), atol=1e-4)
    tf_mode = Preprocess("tf")(x)
    np.testing.assert_allclose(tf_mode, keras.applications.mobilenet_v2.preprocess_input(x * 255.0), atol=1e-5)
    np.testing.assert_array_equal(Preprocess("none")(x), x)
    clone = Preprocess.from_config(Preprocess("tf", name="p").get_config())
    assert clone.mode == "tf" and clone.name == "p"
    with pytest.raises(ValueError, match="mode"):
        Preprocess("torchish")


def test_lite_torch_modes_and_caffe_means():
    x = np.random.RandomState(1).rand(2, 4, 5, 3).astype("float32")
    np.testing.assert_allclose(Preprocess("lite")(x), (x * 255 - 127) / 128, atol=1e-5)
    torch = keras.applications.imagenet_utils.preprocess_input(x * 255.0, mode="torch")
    np.testing.assert_allclose(Preprocess("torch")(x), torch, atol=1e-4)
    means = (104.0, 116.5, 122.5)
    layer = Preprocess("caffe", means=means)
    np.testing.assert_allclose(layer(x), x[..., ::-1] * 255 - np.asarray(means, "float32"), atol=1e-4)
    clone = Preprocess.from_config(layer.get_config())
    assert clone.means == means and Preprocess.from_config(Preprocess("caffe").get_config()).means is None
    with pytest.raises(ValueError, match="means"):
        Preprocess("tf", means=means)
