"""The GAN train_step: D learns on an easy case, k steps per G step, EMA, conditions, terms, input checks."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt import nets
from tfopt.core.errors import InputError
from tfopt.gan import GAN, group_minibatches, losses
from tfopt.gan import terms as T


def _gan(k=1, ema_decay=None, loss="non_saturating", d_lr=1e-2, g_lr=0.0, norm="batch", d_terms=None, g_terms=None,
         num_classes=0, augment=None, ema_statistics="forward"):
    keras.utils.set_random_seed(0)
    g = nets.build("dcgan_generator", latent_dim=4, image_size=8, channels=1, filters=4, num_classes=num_classes)
    d = nets.build("dcgan_discriminator", image_size=8, channels=1, filters=4, norm=norm, num_classes=num_classes)
    gan = GAN(g, d, k_d_steps=k, ema_decay=ema_decay, seed=1, augment=augment, ema_statistics=ema_statistics)
    if d_terms is None and loss == "wasserstein":
        d_terms = [(1.0, T.d_adversarial(loss)), (10.0, T.gradient_penalty())]
    gan.compile(keras.optimizers.Adam(d_lr, beta_1=0.5), keras.optimizers.SGD(g_lr), loss=loss, d_terms=d_terms,
                g_terms=g_terms)
    return gan


def _data(n=64, k=1, batch=8):
    x = np.ones((n, 8, 8, 1), np.float32)  # every real image is white: easy to tell from G's grey
    return group_minibatches(tf.data.Dataset.from_tensor_slices(x).repeat(), batch_size=batch, k=k)


def _d_loss(gan, real, loss):
    fake = gan.generator(np.random.default_rng(5).normal(size=(8, 4)).astype(np.float32), training=False)
    r, f = gan.discriminator(real, training=False), gan.discriminator(fake, training=False)
    return float(tf.reduce_mean(losses.get_loss(loss)[1](r, f)))


@pytest.mark.parametrize("loss", ["non_saturating", "hinge", "wasserstein"])
def test_train_steps_lower_the_discriminator_loss(loss):
    gan = _gan(loss=loss, norm="layer" if loss == "wasserstein" else "batch")
    real = np.ones((8, 8, 8, 1), np.float32)
    before = _d_loss(gan, real, loss)
    logs = gan.fit(_data(), steps_per_epoch=4, epochs=1, verbose=0, shuffle=False).history
    assert _d_loss(gan, real, loss) < before - 0.05
    assert set(logs) >= {"d_loss", "g_loss", "d_real", "d_fake", "d_adversarial", "g_adversarial"}
    assert np.isfinite(logs["d_loss"][-1])
    if loss == "wasserstein":
        assert logs["d_gp"][-1] >= 0
        # The total is the weighted sum of the logged terms.
        assert logs["d_loss"][-1] == pytest.approx(logs["d_adversarial"][-1] + 10 * logs["d_gp"][-1], rel=1e-4)


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
    gan._update_ema(tf.constant(z), None)
    kernel = gan.ema_generator.get_layer("project").kernel.numpy()
    width = bn.moving_mean.shape[0]
    pre_bn = (z @ kernel).reshape(16, 4, 4, width)
    expected = (1.0 - momentum) * pre_bn.mean(axis=(0, 1, 2))  # moving mean started at 0
    np.testing.assert_allclose(bn.moving_mean.numpy(), expected, rtol=1e-4, atol=1e-6)
    # The live generator's statistics are untouched and differ from the average's.
    live = gan.generator.get_layer("bn_0").moving_mean.numpy()
    np.testing.assert_array_equal(live, np.zeros_like(live))
    assert np.abs(expected).max() > 1e-4  # a real move away from the initial zeros


def test_ema_generator_can_average_the_live_batch_norm_statistics_instead():
    gan = _gan(ema_decay=0.5, ema_statistics="average")
    ema_bn, live_bn = gan.ema_generator.get_layer("bn_0"), gan.generator.get_layer("bn_0")
    live_bn.moving_mean.assign(np.full(live_bn.moving_mean.shape, 2.0, np.float32))
    live_bn.moving_variance.assign(np.full(live_bn.moving_variance.shape, 5.0, np.float32))
    gan.g_optimizer.iterations.assign(20)  # past the warm-up: decay min(0.5, 21 / 30) = 0.5
    z = np.random.default_rng(0).normal(1.0, 1.0, size=(16, 4)).astype(np.float32)
    gan._update_ema(tf.constant(z), None)
    # (0.5 * 0 + 0.5 * 2) and (0.5 * 1 + 0.5 * 5): the average of the live statistics, not the batch's.
    np.testing.assert_allclose(ema_bn.moving_mean.numpy(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(ema_bn.moving_variance.numpy(), 3.0, rtol=1e-6)
    with pytest.raises(InputError, match="ema_statistics"):
        _gan(ema_decay=0.5, ema_statistics="standing")


def test_conditions_reach_both_networks_and_every_example_form_is_accepted():
    gan = _gan(num_classes=3, ema_decay=0.5)
    assert gan.conditional and gan.condition_names == ("condition",)
    x = np.random.default_rng(0).uniform(-1, 1, (24, 8, 8, 1)).astype(np.float32)
    y = np.arange(24, dtype=np.int32) % 3
    pairs = group_minibatches(tf.data.Dataset.from_tensor_slices((x, y)).repeat(), batch_size=8)
    dicts = group_minibatches(tf.data.Dataset.from_tensor_slices({"image": x, "condition": y}).repeat(), batch_size=8)
    for ds in (pairs, dicts):
        logs = gan.fit(ds, steps_per_epoch=1, epochs=1, verbose=0, shuffle=False).history
        assert np.isfinite(logs["d_loss"][-1])
    # The condition changes what both networks compute.
    images = gan.generate(3, seed=0, condition=np.arange(3))
    assert not np.allclose(images[0], images[1])
    scores = gan.discriminate(tf.constant(x[:3]), tf.constant([0, 1, 2]))["logits"].numpy()
    other = gan.discriminate(tf.constant(x[:3]), tf.constant([1, 2, 0]))["logits"].numpy()
    assert not np.allclose(scores, other)
    with pytest.raises(InputError, match="expected a condition"):
        gan.generate(3)


def test_terms_read_the_record_and_are_logged_by_name():
    seen = {}

    def spy(record):
        seen["keys"] = {"real", "fake", "z", "d_real", "d_fake"} <= set(record)
        seen["fake_shape"] = tuple(record["fake"].shape)
        return tf.reduce_mean(tf.square(record["fake"] - record["real"]), axis=[1, 2, 3])

    g_terms = [(1.0, T.g_adversarial()), (0.0, T.Term("pixel_l2", spy)), (2.0, T.l1())]
    gan = _gan(g_terms=g_terms, g_lr=1e-2)
    logs = gan.fit(_data(), steps_per_epoch=2, epochs=1, verbose=0, shuffle=False).history
    assert seen == {"keys": True, "fake_shape": (8, 8, 8, 1)}
    assert {"g_pixel_l2", "g_l1"} <= set(logs)
    assert logs["g_loss"][-1] == pytest.approx(logs["g_adversarial"][-1] + 2 * logs["g_l1"][-1], rel=1e-4)
    # L1 is the mean absolute difference to the real (white) images: G's grey starts near 1.
    assert 0.5 < logs["g_l1"][-1] <= 2.0
    with pytest.raises(InputError, match="one generator term per name"):
        gan.compile(keras.optimizers.SGD(), keras.optimizers.SGD(), g_terms=[(1, T.l1()), (1, T.l1())])
    with pytest.raises(InputError, match="weights >= 0"):
        gan.compile(keras.optimizers.SGD(), keras.optimizers.SGD(), g_terms=[(-1, T.l1())])


def test_an_image_condition_moves_with_its_image_under_augmentation():
    gan = _gan(augment="translation")
    image = tf.constant(np.random.default_rng(0).uniform(-1, 1, (6, 8, 8, 1)).astype(np.float32))
    seen_image, seen_condition = gan._augment(image, image * 1.0)
    np.testing.assert_allclose(seen_image.numpy(), seen_condition.numpy())  # the same offsets for both
    assert not np.allclose(seen_image.numpy(), image.numpy())  # and they did move
    labels = tf.constant([0, 1, 2, 0, 1, 2])
    moved, kept = gan._augment(image, labels)
    np.testing.assert_array_equal(kept.numpy(), labels.numpy())  # a class id is not an image


def test_networks_must_name_their_inputs():
    g = nets.build("dcgan_generator", latent_dim=4, image_size=8, channels=1, filters=4)
    x = keras.Input((8, 8, 1), name="pixels")
    d = keras.Model(x, keras.layers.Dense(1)(keras.layers.Flatten()(x)))
    with pytest.raises(InputError, match="discriminator input named 'image'"):
        GAN(g, d)
