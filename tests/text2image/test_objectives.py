"""The paper objectives on the GAN core: matching-aware D weights, GAN-INT, conditioning augmentation's KL."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import terms as T
from tfopt.gan.models import GAN
from tfopt.nets import registry
from tfopt.nets import text2image  # noqa: F401
from tfopt.text2image import objectives

E, S, B = 4, 8, 6


def _stub_networks():
    """A generator of the condition only (no z: its output is known) and a linear D on (mean image, condition)."""
    keras.utils.set_random_seed(1)  # the same weights whatever ran before in this process (xdist orders vary)
    condition = keras.Input((E,), name="condition")
    h = keras.layers.Dense(S * S * 3, activation="tanh", name="g_dense")(condition)
    g = keras.Model(condition, keras.layers.Reshape((S, S, 3))(h), name="g")
    image = keras.Input((S, S, 3), name="image")
    d_condition = keras.Input((E,), name="condition")
    pooled = keras.layers.GlobalAveragePooling2D()(image)
    logits = keras.layers.Dense(1, name="d_dense")(keras.layers.Concatenate()([pooled, d_condition]))
    d = keras.Model([image, d_condition], logits, name="d")
    return g, d


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (B, S, S, 3)).astype(np.float32), rng.standard_normal((B, E)).astype(np.float32))


def _one_step(g, d, d_terms, g_terms, images, conditions):
    keras.utils.set_random_seed(0)
    gan = GAN(g, d, seed=0)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0), d_terms=d_terms, g_terms=g_terms)
    return {k: float(v) for k, v in gan.train_step({"image": tf.constant(images),
                                                     "condition": tf.constant(conditions)}).items()}


def _run(model, *inputs):
    """Calls a network on numpy or tensor inputs; returns numpy."""
    inputs = [tf.convert_to_tensor(np.asarray(x, np.float32)) for x in inputs]
    return np.asarray(model(inputs if len(inputs) > 1 else inputs[0]))


def _softplus(x):
    return np.log1p(np.exp(x))


@pytest.mark.parametrize("cls", [True, False])
def test_matching_aware_discriminator_weights_real_plus_half_wrong_plus_half_fake(cls):
    g, d = _stub_networks()
    images, conditions = _data()
    logs = _one_step(g, d, objectives.discriminator_terms(cls=cls), objectives.generator_terms(), images, conditions)
    real = np.ravel(_run(d, images, conditions))
    wrong = np.ravel(_run(d, images, np.roll(conditions, 1, axis=0)))  # the core's wrong caption: the next example's
    fake = np.ravel(_run(d, _run(g, conditions), conditions))
    parts = {"real_part": _softplus(-real).mean(), "fake_part": _softplus(fake).mean(),
             "mismatch": _softplus(wrong).mean()}
    for name, value in parts.items():
        assert logs[f"d_{name}"] == pytest.approx(value, rel=1e-5), name
    expected = parts["real_part"] + (0.5 * (parts["mismatch"] + parts["fake_part"]) if cls else parts["fake_part"])
    assert logs["d_loss"] == pytest.approx(expected, rel=1e-5)
    assert abs(parts["mismatch"] - parts["fake_part"]) > 1e-3  # the weights are told apart


def test_interpolation_term_uses_the_mixed_condition_and_no_real_image():
    g, d = _stub_networks()
    images, conditions = _data()
    g_terms = objectives.generator_terms(interpolation_weight=0.5)
    assert [t.name for _, t in g_terms] == ["adversarial", "interpolation"]
    logs = _one_step(g, d, objectives.discriminator_terms(), g_terms, images, conditions)
    mixed = 0.5 * conditions + 0.5 * np.roll(conditions, 1, axis=0)
    expected = _softplus(-np.ravel(_run(d, _run(g, mixed), mixed))).mean()
    assert logs["g_interpolation"] == pytest.approx(expected, rel=1e-5)
    assert logs["g_loss"] == pytest.approx(logs["g_adversarial"] + 0.5 * expected, rel=1e-5)
    other_images, _ = _data(seed=7)  # other real images, same captions: the same interpolation term
    assert _one_step(g, d, objectives.discriminator_terms(), g_terms, other_images, conditions)[
        "g_interpolation"] == pytest.approx(logs["g_interpolation"], rel=1e-6)
    unmixed = _softplus(-np.ravel(_run(d, _run(g, conditions), conditions))).mean()
    assert abs(expected - unmixed) > 1e-4  # it is not the ordinary term


def test_conditioning_kl_term_on_known_mean_and_log_variance():
    g = registry.build("stackgan_stage1_generator", latent_dim=4, embedding_dim=E, image_size=8, filters=4, ca_dim=3)
    d = registry.build("text_discriminator", embedding_dim=E, image_size=8, filters=4, projection_dim=3)
    ca = g.get_layer("ca")
    mean, log_var = np.array([0.5, -1.0, 2.0]), np.array([0.3, -0.7, 0.0])
    ca.set_weights([np.zeros((E, 6), np.float32), np.concatenate([mean, log_var]).astype(np.float32)])
    images, conditions = _data()
    terms = objectives.generator_terms(kl_weight=2.0)
    logs = _one_step(g, d, objectives.discriminator_terms(), terms, images[:, :8, :8], conditions)
    kl = 0.5 * np.mean(np.exp(log_var) + mean ** 2 - 1.0 - log_var)  # per dimension, as StackGAN's code
    assert logs["g_kl"] == pytest.approx(kl, rel=1e-5)
    assert logs["g_loss"] == pytest.approx(logs["g_adversarial"] + 2.0 * kl, rel=1e-5)


def test_term_lists_and_bad_weights():
    assert [t.name for _, t in objectives.generator_terms()] == ["adversarial"]
    assert [w for w, _ in objectives.discriminator_terms(cls_weight=0.25)] == [1.0, 0.75, 0.25]
    for bad in (dict(cls_weight=1.5), dict(cls_weight=-1)):
        with pytest.raises(InputError, match="cls_weight"):
            objectives.discriminator_terms(**bad)
    with pytest.raises(InputError, match="kl_weight"):
        objectives.generator_terms(kl_weight="1")
    with pytest.raises(InputError, match="beta"):
        T.interpolation(beta=2.0)


def test_sentence_matching_term_is_damsm_sentence_loss_of_the_generated_images():
    from tfopt.text2image.damsm import sentence_loss

    keras.utils.set_random_seed(0)
    images = keras.Input((16, 16, 3))
    encoder = keras.Model(images, {"global": keras.layers.Dense(E)(keras.layers.Flatten()(images))})
    rng = np.random.default_rng(1)
    condition = tf.constant(rng.standard_normal((B, E)).astype(np.float32))
    terms = objectives.generator_terms(damsm_weight=2.0, image_encoder=encoder)
    weight, term = terms[-1]
    assert (weight, term.name) == (2.0, "damsm")
    fake = tf.constant(rng.uniform(-1, 1, (B, 16, 16, 3)).astype(np.float32))
    got = term({"generated": {"image": fake}, "condition": condition}).numpy()
    np.testing.assert_allclose(got, sentence_loss(encoder(fake)["global"], condition).numpy(), rtol=1e-5)
    assert got.shape == (B,) and np.all(got > 0)
    # A Stage I image at half the encoder's size is resized to it first.
    half = tf.constant(rng.uniform(-1, 1, (B, 8, 8, 3)).astype(np.float32))
    np.testing.assert_allclose(term({"generated": {"image": half}, "condition": condition}).numpy(),
                               sentence_loss(encoder(tf.image.resize(half, (16, 16)))["global"], condition).numpy(),
                               rtol=1e-5)
    with pytest.raises(InputError, match="image encoder"):
        objectives.generator_terms(damsm_weight=1.0)
