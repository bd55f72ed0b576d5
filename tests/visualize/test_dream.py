"""DeepDream: octaves, tiling with roll, any model; the dream changes the image and keeps its size."""
import keras
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.visualize.dream import deepdream, octave_sizes


@pytest.fixture(scope="module")
def conv_model():
    keras.utils.set_random_seed(2)
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")(inp)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")(x)
    return keras.Model(inp, x)


@pytest.fixture()
def photo():
    rng = np.random.default_rng(0)
    return np.clip(0.5 + 0.1 * rng.standard_normal((30, 40, 3)), 0, 1).astype(np.float32)


def test_octave_sizes_grow_to_the_full_size_and_skip_too_small_ones():
    sizes = octave_sizes(100, 130, 4, 1.3, 32)
    assert sizes[-1] == (100, 130) and len(sizes) == 4
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in zip(sizes, sizes[1:]))
    assert octave_sizes(40, 40, 4, 1.3, 32) == [(40, 40)]  # 31 < 32: smaller octaves dropped


def test_dream_changes_the_image_keeps_its_size_and_raises_the_objective(conv_model, photo):
    res = deepdream(conv_model, photo, layers=["c2"], octaves=2, octave_scale=1.4, steps=5, step_size=0.02,
                    tile_size=16, min_side=8)
    assert res.image.shape == photo.shape
    assert res.sizes[-1] == photo.shape[:2] and len(res.octaves) == 2
    assert res.final_value > 1.5 * res.start_value
    assert 0.01 < res.summary()["rms_change"] < 0.5
    assert res.image.min() >= 0.0 and res.image.max() <= 1.0


def test_dream_is_repeatable_for_a_seed(conv_model, photo):
    a = deepdream(conv_model, photo, layers=["c1"], octaves=1, steps=2, tile_size=16, seed=4)
    b = deepdream(conv_model, photo, layers=["c1"], octaves=1, steps=2, tile_size=16, seed=4)
    np.testing.assert_allclose(a.image, b.image, atol=1e-6)


def test_dream_on_a_fixed_size_classifier_uses_tiles_of_its_input_size(tiny_model):
    rng = np.random.default_rng(1)
    image = rng.random((24, 20, 3)).astype(np.float32)
    res = deepdream(tiny_model, image, layers=["conv2"], octaves=3, steps=3, step_size=0.02)
    assert res.image.shape == image.shape
    assert all(min(s) >= 16 for s in res.sizes)  # octaves smaller than the 16x16 input are dropped
    assert res.final_value > res.start_value


def test_dream_bad_input(conv_model, photo, tiny_model):
    with pytest.raises(InputError, match="image"):
        deepdream(conv_model, photo[..., :1], layers=["c1"])
    with pytest.raises(InputError, match="octave_scale"):
        deepdream(conv_model, photo, layers=["c1"], octave_scale=1.0)
    with pytest.raises(InputError, match="layer"):
        deepdream(conv_model, photo, layers=["nope"])
    with pytest.raises(InputError, match="at least"):
        deepdream(tiny_model, photo[:10, :10], layers=["conv"])


def test_dream_defaults_to_real_vgg16_features():
    from tfopt.visualize.run import DreamConfig, _weights_note

    assert (DreamConfig().model, DreamConfig().weights) == ("vgg16", "imagenet")
    assert _weights_note("hed (VGG16 ...); offline fallback for imagenet (no network)").startswith("real VGG16")
    assert _weights_note("random (seed 0)").startswith("random weights, as asked")
