"""AttnGAN: the word attention layer, the two-stage networks, the term list on the GAN core, one training step."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import losses
from tfopt.layers.word_attention import GLU, WordAttention
from tfopt.nets import registry
from tfopt.nets import attngan  # noqa: F401  (registers the builders)
from tfopt.text2image import attngan_objectives, models

E, T, S = 6, 5, 32
TINY = dict(image_size=S, embedding_dim=E, latent_dim=4, filters=4, projection_dim=4, ca_dim=4, residual_blocks=1)


def _normal(*shape, seed=0):
    return tf.constant(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _mask(batch, lengths):
    return tf.constant((np.arange(T)[None] < np.asarray(lengths)[:, None]).astype(np.float32)[:batch])


def _condition(batch, seed=0):
    lengths = (np.arange(batch) % (T - 1)) + 2  # 2..T real words
    mask = _mask(batch, lengths)
    return {"sentence": _normal(batch, E, seed=seed), "words": _normal(batch, T, E, seed=seed + 1) * mask[..., None],
            "mask": mask}


def test_word_attention_rows_sum_to_one_over_real_words_and_padding_gets_nothing():
    layer = WordAttention()
    h, words = _normal(3, 4, 4, 8), _normal(3, T, E, seed=1)
    mask = _mask(3, [5, 3, 1])
    context, attention = layer([h, words, mask])
    assert context.shape == (3, 4, 4, 8) and attention.shape == (3, 16, T)
    np.testing.assert_allclose(tf.reduce_sum(attention, -1), np.ones((3, 16)), atol=1e-5)
    assert float(tf.reduce_max(attention[1, :, 3:])) == 0.0 and float(tf.reduce_max(attention[2, :, 1:])) == 0.0
    np.testing.assert_allclose(attention[2, :, 0], np.ones(16), atol=1e-6)  # one word takes all of it
    # Padding is ignored whatever it holds: changing padded words changes nothing.
    noisy = tf.concat([words[:, :3], 100.0 * _normal(3, T - 3, E, seed=4)], axis=1)
    again, attention_again = layer([h, noisy, mask])
    np.testing.assert_allclose(again[1:], context[1:], atol=1e-5)
    np.testing.assert_allclose(attention_again[1:], attention[1:], atol=1e-6)
    # context_i = sum_j softmax_j(h_i . U e_j) U e_j, computed by hand for one example.
    u = layer.kernel.numpy()
    projected = words[0].numpy() @ u
    scores = h[0].numpy().reshape(16, 8) @ projected.T
    weights = np.exp(scores - scores.max(1, keepdims=True))
    weights /= weights.sum(1, keepdims=True)
    np.testing.assert_allclose(attention[0], weights, atol=1e-5)
    np.testing.assert_allclose(context[0].numpy().reshape(16, 8), weights @ projected, atol=1e-4)


def test_glu_gates_half_the_channels_with_the_other_half():
    x = _normal(2, 3, 3, 6)
    np.testing.assert_allclose(GLU()(x), x[..., :3] * tf.sigmoid(x[..., 3:]), atol=1e-6)
    with pytest.raises(ValueError, match="even"):
        GLU()(_normal(2, 5))


def test_generator_and_discriminator_shapes_and_what_reaches_them():
    g = registry.build("attngan_generator", latent_dim=4, embedding_dim=E, image_size=S, filters=4, ca_dim=4,
                       residual_blocks=1)
    assert [t.name for t in g.inputs] == ["z", "sentence", "words", "mask"]
    c = _condition(3)
    out = g([_normal(3, 8), c["sentence"], c["words"], c["mask"]])
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "image": (3, S, S, 3), "stage1_image": (3, S // 2, S // 2, 3), "attention": (3, (S // 2) ** 2, T),
        "ca_mean": (3, 4), "ca_log_var": (3, 4)}
    assert float(tf.reduce_max(tf.abs(out["image"]))) <= 1.0
    np.testing.assert_allclose(tf.reduce_sum(out["attention"], -1), np.ones((3, (S // 2) ** 2)), atol=1e-5)
    # The words reach the final image, not Stage 1's.
    other = g([_normal(3, 8), c["sentence"], _normal(3, T, E, seed=9) * c["mask"][..., None], c["mask"]])
    np.testing.assert_allclose(other["stage1_image"], out["stage1_image"], atol=1e-6)
    assert float(tf.reduce_max(tf.abs(other["image"] - out["image"]))) > 1e-6
    d = registry.build("attngan_discriminator", embedding_dim=E, image_size=S, filters=4, projection_dim=4)
    assert [t.name for t in d.inputs] == ["image", "stage1_image", "sentence"]
    logits = d([out["image"], out["stage1_image"], c["sentence"]])
    assert {k: tuple(v.shape) for k, v in logits.items()} == {"logits": (3, 2), "cond_logits": (3, 2)}
    # Each stage's discriminator judges its own image: a new Stage 1 image moves column 0 only.
    moved = d([out["image"], _normal(3, S // 2, S // 2, 3), c["sentence"]])
    for head in ("logits", "cond_logits"):
        np.testing.assert_allclose(moved[head][:, 1], logits[head][:, 1], atol=1e-6)
        assert float(tf.reduce_max(tf.abs(moved[head][:, 0] - logits[head][:, 0]))) > 1e-6
    # The sentence moves the conditional logits only.
    text = d([out["image"], out["stage1_image"], _normal(3, E, seed=5)])
    np.testing.assert_allclose(text["logits"], logits["logits"], atol=1e-6)
    assert float(tf.reduce_max(tf.abs(text["cond_logits"] - logits["cond_logits"]))) > 1e-6


def test_networks_round_trip_with_safe_mode(tmp_path):
    g = registry.build("attngan_generator", latent_dim=4, embedding_dim=E, image_size=16, filters=4, ca_dim=4)
    c = _condition(2)
    inputs = [_normal(2, 8), c["sentence"], c["words"], c["mask"]]
    g.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras", safe_mode=True)
    expected, got = g(inputs), loaded(inputs)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], atol=1e-5)


class _Record(dict):
    pass


def test_discriminator_terms_weigh_each_stage_as_attngan():
    """(real + cond_real) / 2 + (fake + cond_fake + cond_wrong) / 3 per stage, summed over the stages."""
    real_part, fake_part = losses.get_parts("non_saturating")
    rng = np.random.default_rng(0)
    heads = {entry: {"logits": tf.constant(rng.standard_normal((4, 2)), tf.float32),
                     "cond_logits": tf.constant(rng.standard_normal((4, 2)), tf.float32)}
             for entry in ("d_real", "d_fake", "d_wrong")}
    record = _Record(heads)
    terms = attngan_objectives.discriminator_terms()
    total = sum(w * t(record).numpy() for w, t in terms)
    expected = 0.0
    for s in range(2):
        def col(entry, head):
            return heads[entry][head][:, s]
        expected += (real_part(col("d_real", "logits")) + real_part(col("d_real", "cond_logits"))).numpy() / 2
        expected += (fake_part(col("d_fake", "logits")) + fake_part(col("d_fake", "cond_logits"))
                     + fake_part(col("d_wrong", "cond_logits"))).numpy() / 3
    np.testing.assert_allclose(total, expected, rtol=1e-5)
    assert {t.name: w for w, t in terms} == {"real_part": 0.5, "cond_real": 0.5, "fake_part": 1 / 3,
                                             "cond_fake": 1 / 3, "cond_wrong": 1 / 3}
    plain = {t.name: w for w, t in attngan_objectives.discriminator_terms(cls=False)}
    assert plain == {"real_part": 0.5, "cond_real": 0.5, "fake_part": 0.5, "cond_fake": 0.5, "cond_wrong": 0.0}


def _image_encoder():
    from tfopt.text2image.encoders import image_encoder

    return image_encoder(image_size=16, embedding_dim=E, width=4)


def test_damsm_term_matches_within_groups():
    from tfopt.text2image.damsm import damsm_loss

    encoder = _image_encoder()
    c = _condition(6)
    record = _Record(generated={"image": tf.tanh(_normal(6, S, S, 3))}, condition=c)
    per_group = attngan_objectives.damsm_matching(encoder, group=3)(record).numpy()
    resized = tf.image.resize(record["generated"]["image"], (16, 16), method="bilinear")
    encoded = encoder(resized, training=False)
    for a in (0, 3):
        part = damsm_loss({k: v[a:a + 3] for k, v in encoded.items()}, {k: v[a:a + 3] for k, v in c.items()})
        np.testing.assert_allclose(per_group[a:a + 3], part.numpy(), rtol=1e-5)
    whole = attngan_objectives.damsm_matching(encoder, group=32)(record).numpy()
    np.testing.assert_allclose(whole, damsm_loss(encoded, c).numpy(), rtol=1e-5)
    with pytest.raises(InputError, match="sentence, words and mask"):
        attngan_objectives.damsm_matching(encoder)(_Record(generated=record["generated"], condition=c["sentence"]))


def _stream(n=16, batch=8):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (n, S, S, 3)).astype(np.float32)
    captions = np.array([[f"caption {i} {j}" for j in range(2)] for i in range(n)])

    def encode(strings):  # a stand-in frozen text encoder: fixed features from the strings' hashes
        seeds = tf.strings.to_hash_bucket_fast(strings, 1000)
        base = tf.cast(seeds, tf.float32)[:, None] / 1000.0
        words = tf.sin(base[..., None] * tf.range(1, T * E + 1, dtype=tf.float32)[None, None])
        mask = tf.cast(tf.range(T, dtype=tf.int64)[None] < 2 + seeds[:, None] % 3, tf.float32)
        return {"sentence": tf.cos(base * tf.range(1, E + 1, dtype=tf.float32)),
                "words": tf.reshape(words, [-1, T, E]) * mask[..., None], "mask": mask}

    return models.dataset(images, captions, batch_size=batch, seed=0, encode=encode)


def test_one_train_step_runs_every_term_and_changes_both_networks():
    gan = models.build_gan("attngan", seed=1, image_encoder=_image_encoder(), ema_decay=0.9, **TINY)
    assert {t.name: w for w, t in gan.g_terms} == {"adversarial": 1.0, "cond_adversarial": 1.0, "damsm": 5.0,
                                                    "kl": 1.0}
    stream = iter(_stream())
    batch = next(stream)
    assert batch["condition"]["words"].shape == (8, 1, T, E) and batch["wrong_condition"]["mask"].shape == (8, 1, T)
    g_start = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d_start = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    logs = gan.train_step(batch)
    assert {"d_real_part", "d_cond_real", "d_fake_part", "d_cond_fake", "d_cond_wrong", "g_adversarial",
            "g_cond_adversarial", "g_damsm", "g_kl"} <= set(logs)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert float(logs["g_damsm"]) > 0
    for start, network in ((g_start, gan.generator), (d_start, gan.discriminator)):
        assert max(float(np.abs(a - b.numpy()).max()) for a, b in zip(start, network.trainable_weights)) > 1e-6
    # Both stages' discriminators learned (each from its own stage's images).
    for stage in (1, 2):
        sub = gan.discriminator.get_layer(f"stage{stage}_discriminator")
        kernel = sub.get_layer("uncond_conv").kernel
        index = [id(w) for w in gan.discriminator.trainable_weights].index(id(kernel))
        assert float(np.abs(d_start[index] - kernel.numpy()).max()) > 1e-6
    samples = gan.generate(2, seed=3, condition={k: v[:2, 0].numpy() for k, v in batch["condition"].items()})
    assert samples.shape == (2, S, S, 3)


def test_attngan_options_are_checked():
    with pytest.raises(InputError, match="image encoder"):
        models.build_gan("attngan", **TINY)
    with pytest.raises(InputError, match="interpolation"):
        models.build_gan("attngan", interpolation=True, damsm_weight=0.0, **TINY)
    with pytest.raises(InputError, match="conditioning augmentation"):
        models.build_gan("attngan", conditioning_augmentation=False, damsm_weight=0.0, **TINY)
    with pytest.raises(InputError, match="stage"):
        models.build_gan("attngan", stage=2, damsm_weight=0.0, **TINY)
    plain = models.build_gan("attngan", damsm_weight=0.0, kl_weight=0.0, **TINY)
    assert [t.name for _, t in plain.g_terms] == ["adversarial", "cond_adversarial"]
    with pytest.raises(InputError, match="captions"):
        models.dataset(np.zeros((4, S, S, 3), np.float32), np.zeros((4, 2, E), np.float32), batch_size=2,
                       encode=lambda c: c)


def test_config_attngan_is_one_phase_of_its_measured_length_and_refuses_what_it_lacks():
    """docs/text2image.md times the default length (AttnGAN section); a change must be re-measured."""
    from tfopt.text2image.config import Text2ImageConfig

    assert Text2ImageConfig(model="attngan").validated().phases() == (("gan", 1, 2000),)
    assert models.DEFAULTS["attngan"].filters == 16 and models.DEFAULTS["gan_int_cls"].filters == 32
    assert not Text2ImageConfig(model="attngan").jit() and Text2ImageConfig(model="attngan", jit_compile=True).jit()
    assert Text2ImageConfig(model="stackgan").jit() and not Text2ImageConfig(model="stackgan", jit_compile=False).jit()
    assert Text2ImageConfig(model="attngan", steps=5).validated().phases() == (("gan", 1, 5),)
    assert Text2ImageConfig(model="stackgan").validated().phases()[1] == ("stage2", 2, 1000)  # the others unchanged
    for bad in (dict(interpolation=True), dict(conditioning_augmentation=False)):
        with pytest.raises(InputError, match="attngan"):
            Text2ImageConfig(model="attngan", **bad).validated()


class _DrawnGenerator:
    """Stands in for an AttnGAN generator: fixed images (a red square on blue) and fixed attention maps."""

    def __init__(self, images, attention):
        from types import SimpleNamespace

        self.inputs = [SimpleNamespace(name=n, shape=s) for n, s in
                       (("z", (None, 3)), ("sentence", (None, 8)), ("words", (None, None, 8)), ("mask", (None, None)))]
        self.images, self.attention = images, attention

    def __call__(self, values, training=False):
        n = int(values[0].shape[0])
        return {"image": tf.constant(self.images[:n]), "attention": tf.constant(self.attention[:n])}


def test_attention_check_reads_where_the_colour_words_attend():
    from tfopt.data.captioned_digits import COLOUR_NAMES
    from tfopt.text2image.attention_maps import attention_check
    from tfopt.text2image.encoders import text_encoder

    images = np.zeros((2, 32, 32, 3), np.float32)
    images[...] = (-0.8, -0.6, 0.9)                 # blue background
    images[:, 8:24, 8:24] = (0.8, -0.8, -0.8)       # a red 16 x 16 square: 8 x 8 of the 16 x 16 sub-regions
    square = np.zeros((16, 16), bool)
    square[4:12, 4:12] = True
    attention = np.full((2, 256, 16), 0.01, np.float32)
    attention[:, :, 2] = np.where(square.reshape(-1), 0.9, 0.1)    # "red", the stroke colour's word
    attention[:, :, 6] = np.where(square.reshape(-1), 0.05, 0.5)   # "blue", the background's
    captions = ["a thick red seven on a blue background"] * 2
    attributes = {"stroke": [COLOUR_NAMES.index("red")] * 2, "background": [COLOUR_NAMES.index("blue")] * 2}
    check = attention_check(_DrawnGenerator(images, attention), text_encoder(embedding_dim=8, word_dim=4), captions,
                            attributes)
    stroke, background = check["stroke_word"], check["background_word"]
    assert stroke["num_captions"] == background["num_captions"] == 2
    assert stroke["stroke_area"] == pytest.approx(0.25)
    assert stroke["mass_on_stroke"] == pytest.approx(64 * 0.9 / (64 * 0.9 + 192 * 0.1), rel=1e-5)
    assert (stroke["mean_on_stroke"], stroke["mean_on_background"]) == (pytest.approx(0.9), pytest.approx(0.1))
    assert background["mass_on_stroke"] == pytest.approx(64 * 0.05 / (64 * 0.05 + 192 * 0.5), rel=1e-5)


def test_nearest_upsampling_repeats_rows_and_columns():
    from tfopt.nets.ops import nearest_x2

    x = keras.Input((3, 4, 2))
    model = keras.Model(x, nearest_x2(x, "up"))
    a = np.random.default_rng(0).standard_normal((2, 3, 4, 2)).astype(np.float32)
    np.testing.assert_array_equal(model(a), np.repeat(np.repeat(a, 2, axis=1), 2, axis=2))


def test_fit_compiles_with_xla():
    """--jit_compile (off by default for AttnGAN since stop 30) still compiles its step with XLA (a nearest resize,
    for one, has no XLA gradient on CPU)."""
    gan = models.build_gan("attngan", seed=2, damsm_weight=0.0, jit_compile=True, **TINY)
    start = [w.numpy().copy() for w in gan.generator.trainable_weights]
    logs = gan.fit(_stream(), steps_per_epoch=1, epochs=1, verbose=0).history
    assert np.isfinite(logs["g_loss"][-1])
    assert max(float(np.abs(a - b.numpy()).max()) for a, b in zip(start, gan.generator.trainable_weights)) > 1e-6
