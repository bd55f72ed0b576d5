"""GAN-INT-CLS and StackGAN on the GAN core: the stream, the flags, training steps, a frozen Stage I."""
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.text2image import models

S, E = 32, 6
TINY = dict(image_size=S, embedding_dim=E, latent_dim=4, filters=4, projection_dim=4, ca_dim=4, damsm_weight=0.0)


def _arrays(n=16, captions=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, S, S, 3)).astype(np.float32),
            rng.standard_normal((n, captions, E)).astype(np.float32))


def _names(terms):
    return {t.name: w for w, t in terms}


def test_dataset_draws_one_of_each_images_captions_reproducibly():
    images, embeddings = _arrays()
    stream = models.dataset(images, embeddings, batch_size=8, seed=3)
    batches = [b for _, b in zip(range(12), stream)]
    assert batches[0]["image"].shape == (8, 1, S, S, 3) and batches[0]["condition"].shape == (8, 1, E)
    seen = {}
    for batch in batches:
        for image, condition in zip(batch["image"][:, 0].numpy(), batch["condition"][:, 0].numpy()):
            i = int(np.argmin(np.abs(images - image).reshape(len(images), -1).max(axis=1)))
            c = np.flatnonzero(np.abs(embeddings[i] - condition).max(axis=1) < 1e-6)
            assert len(c) == 1  # the condition is one of this image's captions
            seen.setdefault(i, set()).add(int(c[0]))
    assert max(len(v) for v in seen.values()) > 1  # captions vary across draws
    again = next(iter(models.dataset(images, embeddings, batch_size=8, seed=3)))
    np.testing.assert_array_equal(again["condition"], batches[0]["condition"])
    other = next(iter(models.dataset(images, embeddings, batch_size=8, seed=4)))
    assert not np.array_equal(other["condition"], batches[0]["condition"])
    two_d = next(iter(models.dataset(images, embeddings[:, 0], batch_size=4, seed=0, k=2)))
    assert two_d["condition"].shape == (4, 2, E)


def _source(rows, value):
    """The index of the row of ``rows`` [N, H, E] that ``value`` [E] is, as (n, h), or None."""
    hit = np.argwhere(np.abs(rows - value).max(axis=-1) < 1e-6)
    return tuple(hit[0]) if len(hit) else None


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_wrong_captions_come_from_the_hard_ones_in_the_share_asked(share):
    images, embeddings = _arrays(n=32)
    hard = np.random.default_rng(9).standard_normal((32, 2, E)).astype(np.float32)
    stream = models.dataset(images, embeddings, batch_size=16, seed=0, hard_wrong=hard, hard_share=share)
    picked_hard = total = 0
    for batch in (b for _, b in zip(range(20), stream)):
        for image, wrong in zip(batch["image"][:, 0].numpy(), batch["wrong_condition"][:, 0].numpy()):
            i = int(np.argmin(np.abs(images - image).reshape(len(images), -1).max(axis=1)))
            source = _source(hard, wrong)
            if source is not None:
                assert source[0] == i  # a hard caption is one of this image's own
                picked_hard += 1
            else:
                assert _source(embeddings, wrong) is not None  # else a caption of the set
            total += 1
    assert total == 320
    if share in (0.0, 1.0):
        assert picked_hard == share * total
    else:
        assert 0.4 < picked_hard / total < 0.6


@pytest.mark.parametrize("bad, match", [
    (lambda x, e: (x * 3, e), r"in \[-1, 1\]"),
    (lambda x, e: (x, e[:5]), "embeddings"),
    (lambda x, e: (x[..., 0], e), "images"),
])
def test_dataset_bad_input(bad, match):
    with pytest.raises(InputError, match=match):
        models.dataset(*bad(*_arrays()), batch_size=4)


def test_flags_choose_the_terms():
    gan = models.build_gan("gan_int_cls", **TINY)
    assert _names(gan.d_terms) == {"real_part": 1.0, "fake_part": 0.5, "mismatch": 0.5}
    assert _names(gan.g_terms) == {"adversarial": 1.0, "interpolation": 0.5}
    plain = models.build_gan("gan_int_cls", cls=False, interpolation=False, **TINY)
    assert _names(plain.d_terms) == {"real_part": 1.0, "fake_part": 1.0, "mismatch": 0.0}
    assert _names(plain.g_terms) == {"adversarial": 1.0}
    stack = models.build_gan("stackgan", kl_weight=2.0, **TINY)
    assert _names(stack.g_terms) == {"adversarial": 1.0, "kl": 2.0} and stack.latent_dim == 4 + 4
    assert stack.generator.get_layer("image").output.shape[1] == S // 2
    no_ca = models.build_gan("stackgan", conditioning_augmentation=False, **TINY)
    assert _names(no_ca.g_terms) == {"adversarial": 1.0} and no_ca.latent_dim == 4
    # The digits recipe: 5e-4 (the papers' 2e-4 is ModelDefaults' own), text-conditional norms, projection D.
    assert float(stack.d_optimizer.learning_rate) == pytest.approx(5e-4) and float(stack.g_optimizer.beta_1) == 0.5
    assert models.ModelDefaults().learning_rate == 2e-4 and not models.ModelDefaults().damsm_weight
    assert "projection" in [layer.name for layer in gan.discriminator.layers]
    assert any(type(layer).__name__ == "ConditionalBatchNorm" for layer in gan.generator.layers)
    # Its DAMSM term needs the frozen image encoder.
    with pytest.raises(InputError, match="image encoder"):
        models.build_gan("gan_int_cls", **{**TINY, "damsm_weight": 1.0})


def test_bad_model_arguments():
    with pytest.raises(InputError, match="model"):
        models.build_gan("attn_gan", **TINY)
    with pytest.raises(InputError, match="stage"):
        models.build_gan("gan_int_cls", stage=2, **TINY)
    with pytest.raises(InputError, match="stage1"):
        models.build_gan("stackgan", stage=2, **TINY)
    with pytest.raises(InputError, match="options"):
        models.build_gan("stackgan", width=3, **TINY)
    stage1 = models.build_gan("stackgan", **{**TINY, "image_size": 16})
    with pytest.raises(InputError, match="16 px"):
        models.build_gan("stackgan", stage=2, stage1=stage1, **TINY)


def test_gan_int_cls_fit_changes_the_generator():
    images, embeddings = _arrays()
    gan = models.build_gan("gan_int_cls", seed=1, **TINY)
    start = [w.numpy().copy() for w in gan.generator.trainable_weights]
    logs = gan.fit(models.dataset(images, embeddings, batch_size=8, seed=0), steps_per_epoch=2, epochs=1, shuffle=False,
                   verbose=0).history
    moved = max(float(np.abs(a - b.numpy()).max()) for a, b in zip(start, gan.generator.trainable_weights))
    assert moved > 1e-5
    assert {"d_mismatch", "g_interpolation", "d_real_part", "d_fake_part"} <= set(logs)
    assert all(np.isfinite(v[-1]) for v in logs.values())


@pytest.mark.parametrize("ema_decay", [None, 0.9])
def test_stackgan_stage2_trains_with_stage1_frozen(ema_decay):
    images, embeddings = _arrays()
    stream = iter(models.dataset(images, embeddings, batch_size=8, seed=0))
    stage1 = models.build_gan("stackgan", stage=1, seed=0, ema_decay=ema_decay, **TINY)
    stage1.train_step(next(stream))  # Stage I reads the 32 px stream at 16 px
    frozen = [w.numpy().copy() for w in stage1.sampler.weights]  # Stage II takes the EMA generator, if any
    stage2 = models.build_gan("stackgan", stage=2, stage1=stage1, seed=1, ema_decay=ema_decay, **TINY)
    assert stage2.generator.get_layer("image").output.shape[1] == S and stage2.latent_dim == 4 + 4 + 4
    start = [w.numpy().copy() for w in stage2.generator.trainable_weights]
    for _ in range(2):
        logs = stage2.train_step(next(stream))
    assert "g_kl" in logs and np.isfinite(float(logs["g_loss"]))
    for before, after in zip(frozen, stage1.sampler.weights):  # kernels and batch-norm statistics alike
        np.testing.assert_array_equal(before, after.numpy())
    if ema_decay:  # the average of Stage II holds the same frozen Stage I, and averages only Stage II's own layers
        inner = stage2.ema_generator.get_layer(stage1.sampler.name)
        assert not inner.trainable
        for before, after in zip(frozen, inner.weights):
            np.testing.assert_array_equal(before, after.numpy())
        assert len(stage2.ema_generator.trainable_variables) == len(stage2.generator.trainable_variables)
    assert max(float(np.abs(a - b.numpy()).max()) for a, b in zip(start, stage2.generator.trainable_weights)) > 1e-5
    samples = stage2.generate(3, seed=2, condition=embeddings[:3, 0])
    assert samples.shape == (3, S, S, 3)
    np.testing.assert_array_equal(samples, stage2.generate(3, seed=2, condition=embeddings[:3, 0]))


def test_default_lengths_and_damsm_weight_are_the_measured_ones():
    """docs/text2image.md measured these (timed inside 15 minutes of training on 2 cores); a change must be re-measured."""
    from tfopt.text2image.config import Text2ImageConfig

    assert Text2ImageConfig(model="gan_int_cls").validated().phases() == (("gan", 1, 4500),)
    assert Text2ImageConfig(model="stackgan").validated().phases() == (("stage1", 1, 3000), ("stage2", 2, 1000))
    assert Text2ImageConfig(model="stackgan", stage2_steps=7).validated().phases()[1] == ("stage2", 2, 7)
    assert (models.DEFAULTS["gan_int_cls"].damsm_weight, models.DEFAULTS["stackgan"].damsm_weight) == (4.0, 1.0)
