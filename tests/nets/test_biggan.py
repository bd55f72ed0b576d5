"""BigGAN networks: shapes, hierarchical latent, conditioning, projection vs one-hot planes, safe_mode, checks."""
import keras
import numpy as np
import pytest

from tfopt import nets
from tfopt.core.errors import InputError
from tfopt.layers import ConditionalBatchNorm, SpectralConv2D, update_spectral_norms


def _pair(**kw):
    keras.utils.set_random_seed(0)
    common = dict(image_size=16, channels=3, width=4, num_classes=3)
    g = nets.build("biggan_generator", latent_dim=9, embed_dim=4, **common)
    d = nets.build("biggan_discriminator", **{**common, **kw})
    return g, d


def test_shapes_range_and_every_conv_is_spectral():
    g, d = _pair()
    z = np.random.default_rng(0).normal(size=(5, 9)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1], np.int32)
    images = keras.ops.convert_to_numpy(g([z, y], training=False))
    assert images.shape == (5, 16, 16, 3) and images.min() >= -1 and images.max() <= 1 and images.std() > 0.01
    assert tuple(d([images, y]).shape) == (5, 1)
    assert not [layer.name for layer in g.layers + d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert sum(isinstance(layer, SpectralConv2D) for layer in g.layers) == 7  # 2 blocks x 3 + output
    assert sum(isinstance(layer, ConditionalBatchNorm) for layer in g.layers) == 4
    assert update_spectral_norms(g) > 10 and update_spectral_norms(d) > 5


def test_each_block_reads_its_own_chunk_of_z_and_the_class():
    g, _ = _pair()
    z = np.random.default_rng(1).normal(size=(1, 9)).astype(np.float32)
    y = np.array([1], np.int32)
    base = g([z, y], training=False).numpy()
    for chunk in range(3):  # changing any one chunk (input, block 1, block 2) changes the image
        other = z.copy()
        other[0, 3 * chunk : 3 * chunk + 3] += 1.0
        assert np.abs(g([other, y], training=False).numpy() - base).max() > 1e-3, chunk
    assert np.abs(g([z, np.array([2], np.int32)], training=False).numpy() - base).max() > 1e-3


def test_the_first_layer_has_a_spatial_template_that_survives_zero_noise():
    g, _ = _pair()
    project = g.get_layer("project")
    project.bias.assign(np.random.default_rng(2).normal(size=project.bias.shape).astype(np.float32))
    start = keras.Model(g.inputs, g.get_layer("reshape").output)
    h = keras.ops.convert_to_numpy(start([np.zeros((1, 9), np.float32), np.array([0], np.int32)]))
    # z = 0 (the limit of truncation) still gives each channel a 4x4 pattern, which batch norm keeps.
    assert h.shape == (1, 4, 4, 8) and h.std(axis=(1, 2)).min() > 0.1


def test_projection_head_and_one_hot_planes_baseline():
    _, d = _pair()
    _, planes = _pair(projection=False)
    x = np.random.default_rng(2).normal(size=(3, 16, 16, 3)).astype(np.float32)
    for net in (d, planes):
        assert not np.allclose(net([x, np.array([0, 0, 0])]), net([x, np.array([1, 2, 0])]))
    assert "projection" in [layer.name for layer in d.layers]
    assert "projection" not in [layer.name for layer in planes.layers]
    # The baseline's planes hold each example's one-hot everywhere (a broadcast, not a band).
    probe = keras.Model(planes.inputs, planes.get_layer("class_broadcast").output)
    maps = probe([x, np.array([2, 0, 1])]).numpy()
    assert maps.shape == (3, 16, 16, 3) and np.all(maps[0, :, :, 2] == 1) and np.all(maps[0, :, :, :2] == 0)


def test_round_trip_with_safe_mode_and_bad_arguments(tmp_path):
    g, _ = _pair()
    z = np.random.default_rng(3).normal(size=(2, 9)).astype(np.float32)
    y = np.array([0, 2], np.int32)
    g.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras", safe_mode=True)
    np.testing.assert_allclose(loaded([z, y], training=False), g([z, y], training=False), atol=1e-5)
    with pytest.raises(InputError, match="latent_dim=10"):
        nets.build("biggan_generator", latent_dim=10, image_size=16, num_classes=3)
    with pytest.raises(InputError, match="attention=12"):
        nets.build("biggan_discriminator", image_size=16, num_classes=3, attention=12)
    with pytest.raises(InputError, match="num_classes=1"):
        nets.build("biggan_discriminator", image_size=16, num_classes=1)
