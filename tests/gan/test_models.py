"""The GAN train_step: D learns on an easy case, k steps per G step, EMA, input checks."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.gan import GAN, group_minibatches, networks


def _gan(k=1, ema_decay=None, loss="non_saturating", d_lr=1e-2, g_lr=0.0, norm="batch"):
    keras.utils.set_random_seed(0)
    g = networks.dcgan_generator(latent_dim=4, image_size=8, channels=1, filters=4)
    d = networks.dcgan_discriminator(image_size=8, channels=1, filters=4, norm=norm)
    gan = GAN(g, d, k_d_steps=k, ema_decay=ema_decay, seed=1)
    gp = 10.0 if loss == "wasserstein" else 0.0
    gan.compile(keras.optimizers.Adam(d_lr, beta_1=0.5), keras.optimizers.SGD(g_lr), loss=loss, gp_weight=gp)
    return gan


def _data(n=64, k=1, batch=8):
    x = np.ones((n, 8, 8, 1), np.float32)  # every real image is white: easy to tell from G's grey
    return group_minibatches(tf.data.Dataset.from_tensor_slices(x).repeat(), batch_size=batch, k=k)


def _d_loss(gan, real):
    fake = gan.generator(np.random.default_rng(5).normal(size=(8, 4)).astype(np.float32), training=False)
    r, f = gan.discriminator(real, training=False), gan.discriminator(fake, training=False)
    return float(tf.reduce_mean(gan.d_loss_fn(r, f)))


@pytest.mark.parametrize("loss", ["non_saturating", "hinge", "wasserstein"])
def test_train_steps_lower_the_discriminator_loss(loss):
    gan = _gan(loss=loss, norm="layer" if loss == "wasserstein" else "batch")
    real = np.ones((8, 8, 8, 1), np.float32)
    before = _d_loss(gan, real)
    logs = gan.fit(_data(), steps_per_epoch=4, epochs=1, verbose=0, shuffle=False).history
    assert _d_loss(gan, real) < before - 0.05
    assert set(logs) >= {"d_loss", "g_loss", "d_real", "d_fake"} and np.isfinite(logs["d_loss"][-1])
    if loss == "wasserstein":
        assert "gp" in logs and logs["gp"][-1] >= 0


def test_k_discriminator_steps_per_generator_step_each_on_its_own_minibatch():
    gan = _gan(k=3)
    x = np.arange(48, dtype=np.float32).reshape(48, 1, 1, 1) * np.ones((1, 8, 8, 1), np.float32)
    element = next(iter(group_minibatches(tf.data.Dataset.from_tensor_slices(x), batch_size=4, k=3)))
    assert element.shape == (4, 3, 8, 8, 1)
    # D step j sees x[:, j]: 4 disjoint images per step, 12 distinct images per iteration.
    assert len(np.unique(element.numpy()[..., 0, 0, 0])) == 12
    gan.fit(_data(k=3), steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    assert int(gan.d_optimizer.iterations) == 6 and int(gan.g_optimizer.iterations) == 2
    with pytest.raises(Exception, match="k=3"):
        gan.train_step(tf.ones((8, 8, 8, 1)))


def test_ema_generator_tracks_the_generator():
    gan = _gan(ema_decay=0.5, g_lr=0.5)
    before = [w.copy() for w in gan.ema_generator.get_weights()]
    np.testing.assert_allclose(before[0], gan.generator.get_weights()[0])
    gan.fit(_data(), steps_per_epoch=1, epochs=1, verbose=0, shuffle=False)
    live = gan.generator.get_weights()[0]
    decay = min(0.5, 2.0 / 11.0)  # warm-up after the first G step
    np.testing.assert_allclose(gan.ema_generator.get_weights()[0], decay * before[0] + (1 - decay) * live,
                               rtol=1e-5, atol=1e-7)
    assert not np.allclose(live, before[0])
    assert gan.sampler is gan.ema_generator
    a, b = gan.generate(5, seed=3), gan.generate(5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 8, 8, 1)


def test_ema_generator_keeps_its_own_batch_norm_statistics():
    gan = _gan(ema_decay=0.5)
    bn = gan.ema_generator.get_layer("bn_0")
    momentum = bn.momentum
    # Give the average different weights from the live generator's.
    for v in gan.ema_generator.trainable_variables:
        v.assign(v * 3.0 + 0.1)
    z = np.random.default_rng(0).normal(1.0, 1.0, size=(16, 4)).astype(np.float32)
    gan._update_ema(tf.constant(z))
    kernel = gan.ema_generator.get_layer("project").kernel.numpy()
    width = bn.moving_mean.shape[0]
    pre_bn = (z @ kernel).reshape(16, 4, 4, width)
    expected = (1.0 - momentum) * pre_bn.mean(axis=(0, 1, 2))  # moving mean started at 0
    np.testing.assert_allclose(bn.moving_mean.numpy(), expected, rtol=1e-4, atol=1e-6)
    # The live generator's statistics are untouched and differ from the average's.
    live = gan.generator.get_layer("bn_0").moving_mean.numpy()
    np.testing.assert_array_equal(live, np.zeros_like(live))
    assert np.abs(expected).max() > 1e-4  # a real move away from the initial zeros
