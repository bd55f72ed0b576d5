"""tfopt.layers: one registration package, config round trips, argument checks, old names still load."""
import json
import zipfile

import keras
import numpy as np
import pytest

import tfopt.layers
from tfopt.layers import CropLike, InstanceNorm, NearestUpsample, ReflectConv, ResidualBlock, ResizeLike, UpsampleConv

_LAYERS = [(ReflectConv, {"filters": 4, "kernel_size": 3, "strides": 2}), (UpsampleConv, {"filters": 5}),
           (NearestUpsample, {}),
           (InstanceNorm, {"epsilon": 1e-3}), (ResidualBlock, {"filters": 3})]


def _x(shape=(2, 7, 9, 3), seed=0):
    return np.random.RandomState(seed).rand(*shape).astype("float32")


def test_no_layer_is_registered_outside_tfopt_layers():
    import pathlib

    root = pathlib.Path(tfopt.layers.__file__).parents[1]
    outside = [str(p.relative_to(root)) for p in root.rglob("*.py")
               if "register_keras_serializable" in p.read_text() and p.parent.name != "layers"]
    assert outside == []


def test_every_layer_is_registered_under_tfopt():
    classes = [getattr(tfopt.layers, n) for n in tfopt.layers.__all__ if isinstance(getattr(tfopt.layers, n), type)]
    assert {c.__name__ for c in classes} == {"ReflectConv", "NearestUpsample", "UpsampleConv", "CropLike",
                                             "ResizeLike", "InstanceNorm",
                                             "ResidualBlock", "Preprocess", "Maxout", "CategoricalCode",
                                             "ClassProjection", "SpectralConv2D", "SpectralDense",
                                             "ConditionalBatchNorm", "SelfAttention", "LatentChunks",
                                             "EqualizedDense", "EqualizedConv2D", "PixelNorm", "MinibatchStddev",
                                             "FadeIn", "ConditioningAugmentation", "WordAttention", "GLU",
                                             "TokenMask", "MaskedWords"}
    for cls in classes:
        assert keras.saving.get_registered_name(cls) == f"tfopt>{cls.__name__}"
        assert keras.saving.get_registered_object(f"tfopt>{cls.__name__}") is cls


@pytest.mark.parametrize("cls, kwargs", _LAYERS, ids=lambda v: getattr(v, "__name__", ""))
def test_config_round_trip_gives_the_same_layer(cls, kwargs):
    layer = cls(**kwargs, name="a")
    x = _x()
    y = np.asarray(layer(x))
    assert y.shape == layer.compute_output_shape(x.shape)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(clone) is cls and clone.get_config() == layer.get_config() and clone.built  # built from its config
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x)), y, atol=1e-6)


def test_shapes_of_reflect_upsample_and_crop():
    x = _x((1, 7, 9, 3))
    assert tuple(ReflectConv(4, 9, 2)(x).shape) == (1, 4, 5, 4)   # ceil(7 / 2), ceil(9 / 2)
    assert tuple(UpsampleConv(2)(x).shape) == (1, 14, 18, 2)
    assert tuple(CropLike()([UpsampleConv(2)(x), x]).shape) == (1, 7, 9, 2)


def test_resize_like_is_tf_bilinear_resize_to_the_other_size():
    import tensorflow as tf

    small, like = _x((1, 3, 4, 2)), _x((1, 7, 9, 3))
    y = np.asarray(ResizeLike()([small, like]))
    np.testing.assert_allclose(y, tf.image.resize(small, (7, 9), method="bilinear").numpy(), atol=1e-6)


def test_instance_norm_normalizes_each_sample_and_channel():
    x = _x() * np.array([1.0, 5.0, 20.0], "float32") + 3.0
    y = np.asarray(InstanceNorm()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-2)


@pytest.mark.parametrize("make, match", [
    (lambda: ReflectConv(0), "received: filters=0"),
    (lambda: ReflectConv(4, kernel_size=4), "received: kernel_size=4"),
    (lambda: ReflectConv(4, strides=3), "received: strides=3"),
    (lambda: InstanceNorm(epsilon=0.0), "received: epsilon=0.0"),
    (lambda: ResidualBlock(4)(_x()), "expected 4 input channels; received: 3"),
])
def test_bad_arguments_raise_one_line(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


def test_config_with_the_old_style_package_name_still_deserializes():
    config = {"module": "tfopt.style.network", "class_name": "InstanceNorm",
              "config": {"name": "norm", "epsilon": 0.25, "trainable": True, "dtype": "float32"},
              "registered_name": "tfopt_style>InstanceNorm"}
    layer = keras.saving.deserialize_keras_object(config, safe_mode=True)
    assert type(layer) is InstanceNorm and layer.epsilon == 0.25 and layer.name == "norm"


def test_keras_file_saved_with_the_old_names_loads_in_safe_mode(tmp_path):
    image = keras.Input((None, None, 3))
    x = ResidualBlock(4)(InstanceNorm()(ReflectConv(4, 3)(image)))
    model = keras.Model(image, CropLike()([UpsampleConv(3)(x), image]))
    new, old = tmp_path / "new.keras", tmp_path / "old.keras"
    model.save(new)
    with zipfile.ZipFile(new) as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":   # as tfopt.style.network wrote it
                text = data.decode().replace('"tfopt>', '"tfopt_style>')
                for module in ("conv", "norms", "blocks"):
                    text = text.replace(f'"tfopt.layers.{module}"', '"tfopt.style.network"')
                assert "tfopt.layers" not in text and text.count("tfopt_style>") == 5
                data = text.encode()
            dst.writestr(item, data)
    assert "tfopt_style>ResidualBlock" in json.dumps(json.loads(zipfile.ZipFile(old).read("config.json")))
    loaded = keras.saving.load_model(old, safe_mode=True)
    x = _x((1, 6, 10, 3))
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_nearest_upsample_repeats_every_pixel_into_a_2x2_block():
    x = _x((2, 3, 5, 4))
    y = np.asarray(NearestUpsample()(x))
    assert y.shape == (2, 6, 10, 4)
    for dy in (0, 1):
        for dx in (0, 1):
            np.testing.assert_array_equal(y[:, dy::2, dx::2], x)
