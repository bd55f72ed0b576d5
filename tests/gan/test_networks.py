"""GAN networks from the registry: shapes, output range, conditioning, safe_mode round trip, checks."""
import keras
import numpy as np
import pytest

from tfopt import nets
from tfopt.core.errors import InputError
from tfopt.gan import GANConfig, io, zoo
from tfopt.layers import ClassProjection, Maxout


@pytest.mark.parametrize("size,channels", [(32, 1), (64, 3)])
def test_dcgan_shapes_and_tanh_range(size, channels):
    g = nets.build("dcgan_generator", latent_dim=6, image_size=size, channels=channels, filters=4)
    d = nets.build("dcgan_discriminator", image_size=size, channels=channels, filters=4)
    images = keras.ops.convert_to_numpy(g(np.random.default_rng(0).normal(size=(3, 6)) * 50, training=False))
    assert images.shape == (3, size, size, channels)
    assert images.min() >= -1.0 and images.max() <= 1.0 and images.std() > 0
    assert tuple(d(images).shape) == (3, 1)
    convs = [layer for layer in g.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert len(convs) == int(np.log2(size)) - 2  # one doubling per layer from 4x4


def test_mlp_pair_and_maxout():
    config = GANConfig.from_flat(model="gan", latent_dim=5, image_size=8).resolved(channels=1)
    g, d = zoo.get("gan").networks(config)
    out = g(np.zeros((2, 5), np.float32))
    assert tuple(out.shape) == (2, 8, 8, 1) and tuple(d(out).shape) == (2, 1)
    layer = Maxout(3, pieces=2)
    x = np.array([[1.0, -2.0]], np.float32)
    y = keras.ops.convert_to_numpy(layer(x))
    z = x @ keras.ops.convert_to_numpy(layer.kernel)  # bias is zero
    np.testing.assert_allclose(y, z.reshape(1, 3, 2).max(-1), rtol=1e-6)
    with pytest.raises(ValueError, match="Received: units=0"):
        Maxout(0)


def test_generator_round_trips_with_safe_mode(tmp_path):
    g = nets.build("mlp_generator", latent_dim=4, image_shape=(8, 8, 1))
    d = nets.build("mlp_discriminator", image_shape=(8, 8, 1), units=(5,), pieces=3)
    z = np.random.default_rng(1).normal(size=(2, 4)).astype(np.float32)
    io.save_generator(g, tmp_path / io.GENERATOR_FILE)
    io.write_config(tmp_path, {"latent_dim": 4, "model": "gan"})
    loaded, config = io.load_generator(tmp_path)
    np.testing.assert_allclose(loaded(z), g(z), atol=1e-6)
    assert config["model"] == "gan"
    d.save(tmp_path / "d.keras")  # the custom Maxout layer reloads without custom_objects
    x = np.random.default_rng(2).normal(size=(2, 8, 8, 1)).astype(np.float32)
    reloaded = keras.saving.load_model(tmp_path / "d.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded(x), d(x), atol=1e-6)
    with pytest.raises(InputError, match="not found"):
        io.load_generator(tmp_path / "missing")


def test_bad_arguments_name_the_value():
    with pytest.raises(InputError, match="image_size=48"):
        nets.build("dcgan_generator", image_size=48)
    with pytest.raises(InputError, match="norm='group'"):
        nets.build("dcgan_discriminator", norm="group")
    with pytest.raises(InputError, match="model='vae'"):
        zoo.get("vae")
    with pytest.raises(InputError, match="'resnet'"):
        nets.build("resnet")
    with pytest.raises(InputError, match="classes"):
        zoo.get("cdcgan").networks(GANConfig.from_flat(model="cdcgan").resolved(channels=1), num_classes=0)


def test_class_conditional_pair_projects_the_class_and_round_trips(tmp_path):
    g = nets.build("dcgan_generator", latent_dim=6, image_size=8, channels=1, filters=4, num_classes=3)
    d = nets.build("dcgan_discriminator", image_size=8, channels=1, filters=4, num_classes=3, norm="none")
    assert [t.name for t in g.inputs] == ["z", "condition"] and [t.name for t in d.inputs] == ["image", "condition"]
    z = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)
    labels = np.array([0, 1, 2], np.int32)
    images = keras.ops.convert_to_numpy(g([z, labels]))
    assert images.shape == (3, 8, 8, 1)
    # D's logit = psi(h) + <embed(y), h>: changing only y changes the score by the projection difference.
    projection = d.get_layer("projection")
    h = keras.Model(d.inputs, d.get_layer("flatten").output)([images, labels])
    emb = keras.ops.convert_to_numpy(projection.embeddings)
    expected = np.sum((emb[[1, 2, 0]] - emb[labels]) * keras.ops.convert_to_numpy(h), axis=1, keepdims=True)
    diff = keras.ops.convert_to_numpy(d([images, labels[[1, 2, 0]]]) - d([images, labels]))
    np.testing.assert_allclose(diff, expected, rtol=1e-4, atol=1e-6)
    assert isinstance(projection, ClassProjection)
    io.save_generator(g, tmp_path / io.GENERATOR_FILE)
    loaded, config = io.load_generator(tmp_path)
    np.testing.assert_allclose(loaded([z, labels]), images, atol=1e-6)
    assert config["latent_dim"] == 6
