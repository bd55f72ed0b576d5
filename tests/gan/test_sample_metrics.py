"""Precision/recall, intra-class FID and the truncated normal on known cases."""
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.gan import sample_metrics
from tfopt.gan.truncation import class_rows, truncated_normal


def test_precision_and_recall_separate_fidelity_from_variety():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(400, 4))
    same = rng.normal(size=(400, 4))
    p, r = sample_metrics.precision_recall(real, same)
    assert p > 0.8 and r > 0.8
    collapsed = rng.normal(scale=0.1, size=(400, 4))  # all near the centre: faithful, no variety
    p, r = sample_metrics.precision_recall(real, collapsed)
    assert p > 0.95 and r < 0.3
    far = rng.normal(loc=10.0, size=(400, 4))  # off the real manifold
    p, r = sample_metrics.precision_recall(real, far)
    assert p == 0.0 and r == 0.0
    with pytest.raises(InputError, match="more than k=3"):
        sample_metrics.precision_recall(real[:3], same)


def test_intra_class_fid_compares_each_class_with_its_own_images():
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 200)
    real = rng.normal(size=(400, 3)) + 5.0 * labels[:, None]
    right = rng.normal(size=(400, 3)) + 5.0 * labels[:, None]
    swapped = rng.normal(size=(400, 3)) + 5.0 * (1 - labels)[:, None]  # right images, wrong classes
    good, per_class = sample_metrics.intra_class_fid(real, labels, right, labels)
    bad, _ = sample_metrics.intra_class_fid(real, labels, swapped, labels)
    assert set(per_class) == {0, 1} and good < 0.2 < 50.0 < bad
    assert sample_metrics.class_accuracy(np.eye(3)[[0, 1, 2, 1]], [0, 1, 2, 2]) == 0.75


def test_truncated_normal_resamples_instead_of_clipping():
    z = truncated_normal(np.random.default_rng(2), (20000, 8), 0.5)
    assert np.abs(z).max() <= 0.5 and z.dtype == np.float32
    assert np.mean(np.abs(z) > 0.49) < 0.03  # clipping would put ~62% of the mass at the edges
    assert abs(z.std() - 0.2816) < 0.005  # the standard deviation of N(0, 1) truncated to [-0.5, 0.5]
    plain = truncated_normal(np.random.default_rng(2), (5, 3), None)
    np.testing.assert_array_equal(plain, np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32))
    with pytest.raises(InputError, match="truncation=-1"):
        truncated_normal(np.random.default_rng(0), (2, 2), -1)


def _toy_conditional_generator(num_classes=3, latent_dim=2):
    """image[..., 0] = 0.5 * class / num_classes + 0.1 * tanh(z_0): the class and the noise read back apart."""
    import keras

    z = keras.Input((latent_dim,), name="z")
    y = keras.Input((), dtype="int32", name="condition")
    embedding = keras.layers.Embedding(num_classes, 1)
    level = embedding(y)
    mixed = keras.layers.Lambda(lambda t: t[0] + 0.1 * keras.ops.tanh(t[1][:, :1]))([level, z])
    image = keras.layers.Reshape((1, 1, 1))(mixed)
    model = keras.Model([z, y], keras.layers.UpSampling2D(4)(image))
    embedding.set_weights([np.arange(num_classes, dtype=np.float32)[:, None] / num_classes])
    return model


def test_class_rows_puts_each_class_on_its_own_row_with_shared_noise():
    generator = _toy_conditional_generator()
    images = class_rows(generator, columns=4, truncation=0.5, seed=3)
    assert images.shape == (12, 4, 4, 1)
    value = images[:, 0, 0, 0].reshape(3, 4) * 2.0 - 1.0  # back to [-1, 1]: class / 3 + 0.1 tanh(z_0)
    noise = value - np.arange(3)[:, None] / 3.0
    np.testing.assert_allclose(noise, np.broadcast_to(noise[0], noise.shape), atol=1e-6)  # same z in every row
    z = truncated_normal(np.random.default_rng(3), (4, 2), 0.5)
    np.testing.assert_allclose(noise[0], 0.1 * np.tanh(z[:, 0]), atol=1e-6)  # the truncated draw of that seed
    assert np.all(np.abs(noise) <= 0.1 * np.tanh(0.5) + 1e-6)
    wider = class_rows(generator, columns=4, truncation=None, seed=3)[:, 0, 0, 0].reshape(3, 4) * 2.0 - 1.0
    assert not np.allclose(wider, value)
    import keras

    z = keras.Input((2,), name="z")
    with pytest.raises(InputError, match="class-conditional"):
        class_rows(keras.Model(z, keras.layers.Reshape((1, 1, 2))(z)), columns=2)
