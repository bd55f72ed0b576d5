"""Text-to-image networks: shapes, dict outputs, conditioning augmentation, frozen Stage I, safe_mode round trips."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.layers.conditioning_augmentation import ConditioningAugmentation
from tfopt.nets import registry
from tfopt.nets import text2image  # noqa: F401  (registers the builders)

E = 10


def _normal(*shape, seed=0):
    return tf.constant(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _stage1(ca=True, **kwargs):
    return registry.build("stackgan_stage1_generator", latent_dim=8, embedding_dim=E, image_size=16, filters=8,
                          ca_dim=6, conditioning_augmentation=ca, **kwargs)


def test_gan_int_cls_generator_and_discriminator_shapes():
    g = registry.build("gan_int_cls_generator", latent_dim=8, embedding_dim=E, image_size=32, filters=8,
                       projection_dim=6)
    d = registry.build("text_discriminator", embedding_dim=E, image_size=32, filters=8, projection_dim=6)
    assert [t.name for t in g.inputs] == ["z", "condition"] and [t.name for t in d.inputs] == ["image", "condition"]
    images = g([_normal(4, 8), _normal(4, E)])
    assert images.shape == (4, 32, 32, 3) and float(tf.reduce_max(tf.abs(images))) <= 1.0
    assert d([images, _normal(4, E)]).shape == (4, 1)
    # The text reaches the logit: another caption, another score.
    assert float(tf.reduce_max(tf.abs(d([images, _normal(4, E, seed=1)]) - d([images, _normal(4, E)])))) > 0


def test_stackgan_generators_output_dicts():
    s1 = _stage1()
    out = s1([_normal(4, 14), _normal(4, E)])
    assert {k: tuple(v.shape) for k, v in out.items()} == {"image": (4, 16, 16, 3), "ca_mean": (4, 6),
                                                           "ca_log_var": (4, 6)}
    assert set(_stage1(ca=False)([_normal(4, 8), _normal(4, E)])) == {"image"}
    s2 = registry.build("stackgan_stage2_generator", stage1=s1, ca_dim=6, filters=8, residual_blocks=1)
    assert s2.inputs[0].shape[-1] == 14 + 6  # Stage I's z, then Stage II's eps
    out2 = s2([_normal(4, 20), _normal(4, E)])
    assert {k: tuple(v.shape) for k, v in out2.items()} == {"image": (4, 32, 32, 3), "stage1_image": (4, 16, 16, 3),
                                                            "ca_mean": (4, 6), "ca_log_var": (4, 6)}
    np.testing.assert_allclose(out2["stage1_image"], s1([_normal(4, 20)[:, :14], _normal(4, E)])["image"], atol=1e-5)


def test_stage1_inside_stage2_is_frozen():
    s1 = _stage1()
    s2 = registry.build("stackgan_stage2_generator", stage1=s1, ca_dim=6, filters=8)
    stage1_ids = {id(v) for v in s1.weights}
    assert not s1.trainable and s2.trainable_variables
    assert not stage1_ids & {id(v) for v in s2.trainable_variables}


def test_conditioning_augmentation_layer():
    ca = ConditioningAugmentation(3)
    embedding = _normal(2, 4)
    c0, mean, log_var = ca([embedding, tf.zeros((2, 3))])
    np.testing.assert_allclose(c0, mean)  # eps = 0: the mean
    kernel = np.zeros((4, 6), np.float32)
    kernel[0, :3], kernel[0, 3:] = 1.0, 2.0  # mean from the first 3 columns, log variance from the last 3
    ca.set_weights([kernel, np.zeros(6, np.float32)])
    eps = _normal(2, 3, seed=5)
    c, mean, log_var = ca([embedding, eps])
    e0 = embedding.numpy()[:, :1]
    np.testing.assert_allclose(mean, np.repeat(e0, 3, 1), rtol=1e-6)
    np.testing.assert_allclose(log_var, np.repeat(2 * e0, 3, 1), rtol=1e-6)
    np.testing.assert_allclose(c, e0 + np.exp(e0) * eps.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="units"):
        ConditioningAugmentation(0)


def _c_of(generator):
    """The condition c the generator concatenates to its noise."""
    return keras.Model(generator.inputs, generator.get_layer("z_and_c").input[1])


def test_c_varies_for_one_caption_with_ca_and_is_fixed_without():
    caption = tf.repeat(_normal(1, E), 8, axis=0)
    on = _c_of(_stage1())([_normal(8, 14), caption]).numpy()
    assert np.std(on, axis=0).mean() > 0.1  # eps ~ N(0, 1) with sigma ~ 1 at the start
    off = _c_of(_stage1(ca=False))([_normal(8, 8), caption]).numpy()
    np.testing.assert_allclose(off, np.repeat(off[:1], 8, axis=0), atol=1e-6)


def test_bad_arguments_are_one_line_input_errors():
    with pytest.raises(InputError, match="image_size"):
        registry.build("gan_int_cls_generator", image_size=24)
    with pytest.raises(InputError, match="Stage I generator"):
        registry.build("stackgan_stage2_generator", stage1="stage1.keras")
    with pytest.raises(InputError, match="downsamples"):
        registry.build("stackgan_stage2_generator", stage1=_stage1(), downsamples=5)


def test_projection_adds_the_inner_product_of_projected_text_and_pooled_image_features():
    d = registry.build("text_discriminator", embedding_dim=E, image_size=16, filters=8, projection_dim=6,
                       projection=True)
    images, text = _normal(4, 16, 16, 3), _normal(4, E)
    parts = keras.Model(d.inputs, [d.get_layer("logits").output, d.get_layer("pooled").output,
                                   d.get_layer("text_embedding").output, d.output])
    concat_logit, pooled, embedded, logit = (t.numpy() for t in parts([images, text]))
    assert pooled.shape == embedded.shape == (4, 16)  # the last 4x4 features' width
    np.testing.assert_allclose(logit, concat_logit + (pooled * embedded).sum(-1, keepdims=True), rtol=1e-4, atol=1e-5)
    plain = registry.build("text_discriminator", embedding_dim=E, image_size=16, filters=8, projection_dim=6)
    assert "projection" not in [layer.name for layer in plain.layers]


@pytest.mark.parametrize("builder", ["gan_int_cls_generator", "stackgan_stage1_generator"])
def test_text_norm_takes_every_batch_norms_gain_and_bias_from_the_text(builder):
    kwargs = dict(latent_dim=8, embedding_dim=E, image_size=16, filters=8)
    if builder == "stackgan_stage1_generator":
        kwargs.update(ca_dim=6, conditioning_augmentation=False)
    g = registry.build(builder, text_norm=True, **kwargs)
    norms = [layer for layer in g.layers if "bn" in layer.name]
    assert norms and all(type(layer).__name__ == "ConditionalBatchNorm" for layer in norms)
    plain = registry.build(builder, **kwargs)
    assert [type(layer).__name__ for layer in plain.layers if "bn" in layer.name] == \
        ["BatchNormalization"] * len(norms)
    # The maps start at zero (plain batch norm); once they are not, the text moves every norm's gain and bias.
    z, text = _normal(4, 8), _normal(4, E)
    before = g([z, text], training=True)
    before = before["image"] if isinstance(before, dict) else before
    for layer in norms:
        for dense in (layer.gain, layer.offset):
            dense.kernel.assign(0.3 * _normal(*dense.kernel.shape, seed=7))
    after = g([z, text], training=True)
    after = after["image"] if isinstance(after, dict) else after
    assert float(tf.reduce_max(tf.abs(after - before))) > 1e-3


@pytest.mark.parametrize("which", ["gan_int_cls", "text_d", "stage1", "stage2", "text_norm", "projection"])
def test_networks_round_trip_with_safe_mode(tmp_path, which):
    z = {"gan_int_cls": 8, "stage1": 14, "stage2": 20, "text_norm": 8}.get(which)
    if which in ("gan_int_cls", "text_norm"):
        net = registry.build("gan_int_cls_generator", latent_dim=8, embedding_dim=E, image_size=16, filters=8,
                             text_norm=which == "text_norm")
    elif which in ("text_d", "projection"):
        net = registry.build("text_discriminator", embedding_dim=E, image_size=16, filters=8,
                             projection=which == "projection")
    elif which == "stage1":
        net = _stage1()
    else:
        net = registry.build("stackgan_stage2_generator", stage1=_stage1(), ca_dim=6, filters=8)
    first = _normal(3, 16, 16, 3) if which in ("text_d", "projection") else _normal(3, z)
    inputs = [first, _normal(3, E)]
    net.save(tmp_path / "net.keras")
    loaded = keras.saving.load_model(tmp_path / "net.keras", safe_mode=True)
    expected, got = net(inputs), loaded(inputs)
    for name, value in (expected.items() if isinstance(expected, dict) else [("out", expected)]):
        np.testing.assert_allclose(got[name] if isinstance(got, dict) else got, value, atol=1e-5)
    assert len(loaded.trainable_variables) == len(net.trainable_variables)
