"""Loss families and penalties: formulas on known numbers."""
import math

import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import losses, penalties

REAL = np.array([2.0, -1.0, 0.0], np.float32)
FAKE = np.array([-3.0, 0.5, 1.0], np.float32)


def _sp(x):
    return np.log1p(np.exp(x))


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_minimax_matches_log_formulas():
    d = losses.minimax_discriminator_loss(REAL, FAKE).numpy()
    expected = -np.log(_sig(REAL)) - np.log(1.0 - _sig(FAKE))
    np.testing.assert_allclose(d, expected, rtol=1e-5)
    g = losses.minimax_generator_loss(FAKE[:, None]).numpy()  # [B, 1] is flattened
    np.testing.assert_allclose(g, np.log(1.0 - _sig(FAKE)), rtol=1e-5)
    assert g.shape == (3,)


def test_non_saturating_generator_is_minus_log_d():
    g = losses.non_saturating_generator_loss(FAKE).numpy()
    np.testing.assert_allclose(g, -np.log(_sig(FAKE)), rtol=1e-5)
    # Same D loss as minimax; the G gradient at a rejected fake is larger than minimax's.
    np.testing.assert_allclose(losses.non_saturating_discriminator_loss(REAL, FAKE), _sp(-REAL) + _sp(FAKE), rtol=1e-5)
    x = tf.constant([-6.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ns, mm = losses.non_saturating_generator_loss(x), losses.minimax_generator_loss(x)
    assert abs(tape.gradient(ns, x).numpy()[0]) > 100 * abs(tape.gradient(mm, x).numpy()[0])


def test_hinge_wasserstein_least_squares():
    # relu(1 - real) + relu(1 + fake): (0 + 0), (2 + 1.5), (1 + 2)
    np.testing.assert_allclose(losses.hinge_discriminator_loss(REAL, FAKE), [0.0, 3.5, 3.0], rtol=1e-6)
    np.testing.assert_allclose(losses.hinge_generator_loss(FAKE), -FAKE)
    np.testing.assert_allclose(losses.wasserstein_discriminator_loss(REAL, FAKE), FAKE - REAL)
    np.testing.assert_allclose(losses.wasserstein_generator_loss(FAKE), -FAKE)
    np.testing.assert_allclose(losses.least_squares_discriminator_loss(REAL, FAKE),
                               0.5 * (REAL - 1) ** 2 + 0.5 * FAKE ** 2, rtol=1e-6)
    np.testing.assert_allclose(losses.least_squares_generator_loss(FAKE), 0.5 * (FAKE - 1) ** 2, rtol=1e-6)


def test_get_loss_names_and_errors():
    assert set(losses.LOSSES) == {"minimax", "non_saturating", "hinge", "wasserstein", "least_squares"}
    assert losses.get_loss("hinge") == (losses.hinge_generator_loss, losses.hinge_discriminator_loss)
    pair = (abs, abs)
    assert losses.get_loss(pair) == pair
    with pytest.raises(InputError, match="received: loss='nope'"):
        losses.get_loss("nope")


def test_gradient_penalty_and_r1_on_a_linear_critic():
    w = tf.constant(np.arange(1, 5, dtype=np.float32).reshape(1, 2, 2, 1) / 4.0)  # ||w|| = sqrt(30)/4

    def critic(x):
        return tf.reduce_sum(x * w, axis=[1, 2, 3])

    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(3, 2, 2, 1)).astype(np.float32), rng.normal(size=(3, 2, 2, 1)).astype(np.float32)
    gp = penalties.gradient_penalty(critic, real, fake, tf.constant([0.0, 0.3, 1.0])).numpy()
    np.testing.assert_allclose(gp, [(math.sqrt(30) / 4 - 1) ** 2] * 3, rtol=1e-5)
    np.testing.assert_allclose(penalties.r1_penalty(critic, real), [30 / 16] * 3, rtol=1e-5)
    x_hat = penalties.interpolate(real, fake, tf.constant([0.0, 0.5, 1.0])).numpy()
    np.testing.assert_allclose(x_hat[0], fake[0])
    np.testing.assert_allclose(x_hat[2], real[2])
    np.testing.assert_allclose(x_hat[1], (real[1] + fake[1]) / 2, rtol=1e-6)


def test_the_light_loss_names_are_the_families_and_the_package_exports_resolve():
    import tfopt.gan as gan
    from tfopt.gan.choices import LOSS_NAMES

    assert tuple(losses.LOSSES) == LOSS_NAMES
    for name in gan.__all__:  # each lazy export resolves to what its module defines
        assert getattr(gan, name) is not None
    assert gan.LOSSES is losses.LOSSES and gan.GANConfig.__module__ == "tfopt.gan.config"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gan.nope  # noqa: B018
