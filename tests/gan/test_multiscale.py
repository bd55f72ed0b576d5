"""The GAN core with a discriminator that judges several images at once (one per generator stage, by input name)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import feeds
from tfopt.gan.models import GAN


def _networks():
    """G: z -> {"image" 8x8, "small" 4x4 (its own head)}; D: [image, small] -> logits, each image through its own
    layers."""
    keras.utils.set_random_seed(0)
    z = keras.Input((4,), name="z")
    h = keras.layers.Dense(16, activation="relu", name="hidden")(z)
    small = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16, activation="tanh", name="small_head")(h))
    image = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64, activation="tanh", name="image_head")(h))
    g = keras.Model(z, {"image": image, "small": small}, name="g")
    x, x_small = keras.Input((8, 8, 1), name="image"), keras.Input((4, 4, 1), name="small")
    logits = keras.layers.Concatenate(name="logits")([
        keras.layers.Dense(1, name="judge_image")(keras.layers.Flatten()(x)),
        keras.layers.Dense(1, name="judge_small")(keras.layers.Flatten()(x_small))])
    d = keras.Model([x, x_small], logits, name="d")
    return g, d


def _both(images):
    return {"image": images, "small": tf.nn.avg_pool2d(images, 2, 2, "VALID")}


def test_feed_takes_a_dict_of_images_by_input_name():
    _, d = _networks()
    a, b = np.zeros((2, 8, 8, 1), np.float32), np.ones((2, 4, 4, 1), np.float32)
    fed = feeds.feed(d, image={"small": b, "image": a})
    assert fed[0] is a and fed[1] is b
    with pytest.raises(InputError, match="missing"):
        feeds.feed(d, image={"image": a})


def test_each_scale_is_judged_and_both_heads_learn():
    g, d = _networks()
    gan = GAN(g, d, seed=0, real_transform=_both)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    real = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype(np.float32)
    record = gan._record({"image": tf.constant(real)})
    assert set(record["fake"]) == {"image", "small"}
    assert record["fake"]["small"].shape == (8, 4, 4, 1)  # the generator's own small output, not a resize
    np.testing.assert_allclose(record["real"]["small"], _both(real)["small"])
    heads = {name: g.get_layer(name).kernel.numpy().copy() for name in ("small_head", "image_head")}
    judges = {name: d.get_layer(name).kernel.numpy().copy() for name in ("judge_image", "judge_small")}
    logs = gan.train_step(tf.constant(real))
    assert np.isfinite(float(logs["d_loss"])) and np.isfinite(float(logs["g_loss"]))
    for name, before in heads.items():  # G learns through both of D's judges
        assert np.abs(g.get_layer(name).kernel.numpy() - before).max() > 1e-6, name
    for name, before in judges.items():
        assert np.abs(d.get_layer(name).kernel.numpy() - before).max() > 1e-6, name


def test_augment_refuses_a_dict_of_images():
    g, d = _networks()
    gan = GAN(g, d, seed=0, real_transform=_both, augment="translation")
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    with pytest.raises(InputError, match="one image per example"):
        gan.train_step(tf.zeros((4, 8, 8, 1)))
