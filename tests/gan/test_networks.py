"""Networks: shapes, output range, safe_mode round trip, argument checks."""
import keras
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.gan import io, networks
from tfopt.gan.layers import Maxout


@pytest.mark.parametrize("size,channels", [(32, 1), (64, 3)])
def test_dcgan_shapes_and_tanh_range(size, channels):
    g = networks.dcgan_generator(latent_dim=6, image_size=size, channels=channels, filters=4)
    d = networks.dcgan_discriminator(image_size=size, channels=channels, filters=4)
    images = keras.ops.convert_to_numpy(g(np.random.default_rng(0).normal(size=(3, 6)) * 50, training=False))
    assert images.shape == (3, size, size, channels)
    assert images.min() >= -1.0 and images.max() <= 1.0 and images.std() > 0
    assert tuple(d(images).shape) == (3, 1)
    convs = [layer for layer in g.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert len(convs) == int(np.log2(size)) - 2  # one doubling per layer from 4x4


def test_mlp_pair_and_maxout():
    g, d = networks.build_networks("gan", latent_dim=5, image_size=8, channels=1)
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
    g, _ = networks.build_networks("gan", latent_dim=4, image_size=8, channels=1)
    d = networks.mlp_discriminator((8, 8, 1), units=(5,), pieces=3)
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
        networks.dcgan_generator(image_size=48)
    with pytest.raises(InputError, match="norm='group'"):
        networks.dcgan_discriminator(norm="group")
    with pytest.raises(InputError, match="model='vae'"):
        networks.build_networks("vae")
