"""GAN-INT-CLS, StackGAN and AttnGAN as compiled GAN-core models, and the training stream of (image, caption).

Everything here is generic over arrays: images ``[N, S, S, C]`` in [-1, 1] and sentence
embeddings ``[N, E]`` (or ``[N, captions, E]``, one drawn per example and step), as a
frozen text encoder gives them. :func:`build_gan` returns a :class:`tfopt.gan.GAN`
compiled with Adam (beta_1 0.5, both papers) and the papers' objective
(:mod:`tfopt.text2image.objectives`); :func:`dataset` is the stream its ``fit`` takes.
Per-model defaults live in :data:`DEFAULTS`: the papers' values (the fields of
:class:`ModelDefaults`) changed by the digits recipe (width 32, learning rate 5e-4,
text-conditional norms in G, a projection term in D, AttnGAN's sentence-level DAMSM
loss in G, which needs the frozen DAMSM ``image_encoder``).

AttnGAN (``"attngan"``, :mod:`tfopt.nets.attngan`, :mod:`tfopt.text2image.attngan_objectives`)
trains both its stages at once; its condition is the text encoder's ``sentence``,
``words`` and ``mask``, so its stream carries raw captions and encodes each batch
(:func:`dataset`'s ``encode``), and its discriminator judges the real image and its
half-size copy (``real_transform``) against the generator's two images.

StackGAN trains in two runs. Stage I (``stage=1``) draws at ``image_size / 2``: the
real images are average-pooled 2x inside the step, so both stages read the same
stream. Stage II (``stage=2``) takes the trained Stage I generator, frozen, and draws
at ``image_size``; it has its own matching-aware discriminator.

Example:
    stream = dataset(images, embeddings, batch_size=64, seed=0)
    gan = build_gan("gan_int_cls", image_size=32, embedding_dim=256, seed=0, image_encoder=image_model)
    gan.fit(stream, steps_per_epoch=2000, epochs=1)
    samples = gan.generate(16, seed=1, condition=embeddings[:16])          # numpy [16, 32, 32, 3]

    stage1 = build_gan("stackgan", stage=1, image_size=32, embedding_dim=256, image_encoder=image_model)
    stage1.fit(stream, steps_per_epoch=2000, epochs=1)
    stage2 = build_gan("stackgan", stage=2, image_size=32, embedding_dim=256, stage1=stage1, image_encoder=image_model)
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan.inputs import group_minibatches
from tfopt.gan.models import GAN
from tfopt.nets import attngan as attngan_nets
from tfopt.nets import text2image as nets
from tfopt.text2image import attngan_objectives, objectives

__all__ = ["ModelDefaults", "DEFAULTS", "MODELS", "build_networks", "build_gan", "dataset"]


@dataclasses.dataclass(frozen=True)
class ModelDefaults:
    """One model's options; the field defaults are the papers' values (unless said), :data:`DEFAULTS` the package's.

    Attributes:
        latent_dim: size of the noise (100 in both papers).
        filters: generator/discriminator width (64 as DCGAN; Reed's ngf is 128).
        projection_dim: the text projection of Reed's G and of both papers' D (128).
        ca_dim: size of StackGAN's conditioning ``c`` (128).
        cls: matching-aware discriminator.
        interpolation: GAN-INT's interpolated captions in the generator's loss.
        interpolation_weight: its weight (0.5: Reed's B/2 interpolated examples next to B).
        conditioning_augmentation: StackGAN's CA (else a plain projection, no KL).
        kl_weight: weight of CA's KL in the generator's loss (1 in the paper).
        stage2_filters: Stage II's encoder width (smaller than the paper's, for 2 CPU cores).
        residual_blocks: Stage II's residual blocks (4 in the paper).
        downsamples: Stage II's encoder halvings (2: the paper's 64 -> 16).
        learning_rate: Adam's learning rate for both networks.
        beta_1: Adam's beta_1.
        text_norm: the generator's batch norms take gain and bias from the text (not in the papers).
        projection: the discriminator adds a projection match term (not in the papers).
        damsm_weight: weight of AttnGAN's sentence-level DAMSM loss in the generator's loss (0: off, as in both
            papers).
    """

    latent_dim: int = 100
    filters: int = 64
    projection_dim: int = 128
    ca_dim: int = 128
    cls: bool = True
    interpolation: bool = False
    interpolation_weight: float = 0.5
    conditioning_augmentation: bool = False
    kl_weight: float = 0.0
    stage2_filters: int = 32
    residual_blocks: int = 2
    downsamples: int = 2
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    text_norm: bool = False
    projection: bool = False
    damsm_weight: float = 0.0


# The digits recipe, shared by both models: what makes the generator draw the digit a sentence asks for within
# 15 minutes on 2 cores (docs/text2image.md, "Measured"); the papers' values are the ModelDefaults field defaults.
# The DAMSM weight is each model's measured best: GAN-INT-CLS's held-out digit accuracy was 0.847 / 0.887 / 0.924
# at weights 1 / 2 / 4; StackGAN's fell from 0.628 at 1 to 0.553 at 4.
_DIGITS_RECIPE = dict(filters=32, learning_rate=5e-4, text_norm=True, projection=True, damsm_weight=1.0)

DEFAULTS = {
    "gan_int_cls": ModelDefaults(interpolation=True, **{**_DIGITS_RECIPE, "damsm_weight": 4.0}),
    "stackgan": ModelDefaults(conditioning_augmentation=True, kl_weight=1.0, **_DIGITS_RECIPE),
    # AttnGAN's DAMSM loss is word + sentence level with the paper's lambda = 5 (birds). Width 16: alone on 2 cores
    # a step took 0.47 s at width 16 against 1.05 s at 32 (docs/text2image.md), so twice the steps fit 20 minutes.
    "attngan": ModelDefaults(conditioning_augmentation=True, kl_weight=1.0,
                             **{**_DIGITS_RECIPE, "damsm_weight": 5.0, "filters": 16}),
}
"""``{model: ModelDefaults}``: GAN-INT-CLS (Reed et al. 2016), StackGAN (Zhang et al. 2017), AttnGAN (Xu et al.
2018)."""

MODELS = tuple(DEFAULTS)


def _check(model, stage, image_size, embedding_dim):
    if model not in DEFAULTS:
        raise InputError(f"expected model to be one of {', '.join(MODELS)}; received: model={model!r}")
    if stage not in (1, 2) or (model != "stackgan" and stage != 1):
        raise InputError(f"expected stage 1 (or 2 for stackgan); received: model={model!r}, stage={stage!r}")
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 16 or image_size & (image_size - 1):
        raise InputError(f"expected image_size to be a power of two >= 16; received: image_size={image_size!r}")
    if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim < 1:
        raise InputError(f"expected embedding_dim to be a positive integer; received: embedding_dim={embedding_dim!r}")


def _stage1_generator(stage1):
    model = stage1.sampler if isinstance(stage1, GAN) else stage1
    if not isinstance(model, keras.Model):
        raise InputError(f"expected stage1 to be a Stage I GAN or generator for stage=2; received: stage1={stage1!r}")
    return model


def build_networks(model, *, stage=1, image_size=32, embedding_dim=256, channels=3, stage1=None, **overrides):
    """``(generator, discriminator)`` of a model, with :data:`DEFAULTS` updated by ``overrides``.

    Args:
        model: ``"gan_int_cls"``, ``"stackgan"`` or ``"attngan"``.
        stage: StackGAN's stage (1: draws at ``image_size / 2``; 2: at ``image_size``).
        image_size: side of the data's images (a power of two >= 16).
        embedding_dim: size of the sentence embeddings.
        channels: image channels.
        stage1: for ``stage=2``, the trained Stage I (a GAN or its generator); frozen here.
        **overrides: :class:`ModelDefaults` fields.

    Returns:
        ``(generator, discriminator)`` keras Models.
    """
    _check(model, stage, image_size, embedding_dim)
    try:
        d = dataclasses.replace(DEFAULTS[model], **overrides)
    except TypeError:
        fields = [f.name for f in dataclasses.fields(ModelDefaults)]
        raise InputError(f"expected options among {fields}; received: {sorted(overrides)}") from None
    common = dict(embedding_dim=embedding_dim, channels=channels, projection_dim=d.projection_dim)
    if model == "attngan":
        g = attngan_nets.attngan_generator(latent_dim=d.latent_dim, embedding_dim=embedding_dim, channels=channels,
                                           image_size=image_size, filters=d.filters, ca_dim=d.ca_dim,
                                           residual_blocks=d.residual_blocks, text_norm=d.text_norm)
        return g, attngan_nets.attngan_discriminator(image_size=image_size, filters=d.filters,
                                                     projection=d.projection, **common)
    if model == "gan_int_cls":
        g = nets.gan_int_cls_generator(latent_dim=d.latent_dim, image_size=image_size, filters=d.filters,
                                       text_norm=d.text_norm, **common)
    elif stage == 1:
        g = nets.stackgan_stage1_generator(latent_dim=d.latent_dim, embedding_dim=embedding_dim, channels=channels,
                                           image_size=image_size // 2, filters=d.filters, ca_dim=d.ca_dim,
                                           conditioning_augmentation=d.conditioning_augmentation,
                                           text_norm=d.text_norm)
    else:
        g = nets.stackgan_stage2_generator(_stage1_generator(stage1), ca_dim=d.ca_dim, filters=d.stage2_filters,
                                           downsamples=d.downsamples, residual_blocks=d.residual_blocks,
                                           conditioning_augmentation=d.conditioning_augmentation)
        drawn = g.get_layer("image").output.shape[1]
        if drawn != image_size:
            raise InputError(f"expected a Stage I generator drawing at {image_size // 2} px for image_size="
                             f"{image_size}; received: one drawing at {drawn // 2} px")
    size = image_size // 2 if (model == "stackgan" and stage == 1) else image_size
    return g, nets.text_discriminator(image_size=size, filters=d.filters, projection=d.projection, **common)


def _halve(images):
    """Stage I's real images: 2x2 average pooling (the area resize by 2)."""
    return tf.nn.avg_pool2d(images, 2, 2, "VALID")


def _both_scales(images):
    """AttnGAN's real images, one per stage (the discriminator's inputs): full size and halved."""
    return {"image": images, "stage1_image": _halve(images)}


def build_gan(model, *, stage=1, image_size=32, embedding_dim=256, latent_dim=None, seed=0, cls=None,
              interpolation=None, conditioning_augmentation=None, kl_weight=None, stage1=None, channels=3,
              loss="non_saturating", ema_decay=None, jit_compile=False, image_encoder=None, **overrides):
    """A compiled GAN-INT-CLS or StackGAN (one stage) on the GAN core; call inside a strategy's scope.

    Args:
        model: ``"gan_int_cls"``, ``"stackgan"`` or ``"attngan"``.
        stage: StackGAN's stage (1 or 2).
        image_size: side of the data's images (Stage I draws at half of it).
        embedding_dim: size of the sentence embeddings fed as ``condition``.
        latent_dim: noise size (default 100). With CA the generator's ``z`` also carries ``eps``.
        seed: seed of the weights' initialization and of every draw in training.
        cls: matching-aware discriminator (default True) - the CLS ablation.
        interpolation: GAN-INT term (default: True for gan_int_cls, False for stackgan).
        conditioning_augmentation: StackGAN's CA (default True for stackgan); ignored by gan_int_cls.
        kl_weight: CA's KL weight (default 1 for stackgan).
        stage1: for ``stage=2``, the trained Stage I GAN (its sampler is used) or generator.
        channels: image channels.
        loss: the GAN loss family (both papers: the non-saturating cross-entropy).
        ema_decay: an EMA of the generator (None: off, as in the papers).
        jit_compile: XLA for the train step.
        image_encoder: the frozen DAMSM image encoder (needed when ``damsm_weight > 0``).
        **overrides: other :class:`ModelDefaults` fields (filters, learning_rate, ...).

    Returns:
        A compiled :class:`tfopt.gan.GAN`.

    Raises:
        InputError: an unknown model or stage, a bad size, or no Stage I for stage 2.
    """
    _check(model, stage, image_size, embedding_dim)
    given = dict(latent_dim=latent_dim, cls=cls, interpolation=interpolation, kl_weight=kl_weight,
                 conditioning_augmentation=conditioning_augmentation)
    overrides.update({k: v for k, v in given.items() if v is not None})
    if model == "gan_int_cls" and overrides.get("conditioning_augmentation"):
        raise InputError("expected conditioning_augmentation only for stackgan; received: model='gan_int_cls'")
    if model == "attngan" and (overrides.get("conditioning_augmentation") is False or overrides.get("interpolation")):
        raise InputError("expected attngan with conditioning augmentation and without interpolation; received: "
                         f"conditioning_augmentation={overrides.get('conditioning_augmentation')!r}, "
                         f"interpolation={overrides.get('interpolation')!r}")
    if stage == 2 and stage1 is None:
        raise InputError("expected stage1 (the trained Stage I GAN or generator) for stage=2; received: stage1=None")
    keras.utils.set_random_seed(seed)
    generator, discriminator = build_networks(model, stage=stage, image_size=image_size,
                                              embedding_dim=embedding_dim, channels=channels, stage1=stage1,
                                              **overrides)
    d = dataclasses.replace(DEFAULTS[model], **overrides)
    transform = {"stackgan": _halve if stage == 1 else None, "attngan": _both_scales}.get(model)
    gan = GAN(generator, discriminator, seed=seed, ema_decay=ema_decay, real_transform=transform,
              name=f"{model}{'_stage%d' % stage if model == 'stackgan' else ''}")
    if model == "attngan":
        d_terms = attngan_objectives.discriminator_terms(loss=loss, cls=d.cls)
        g_terms = attngan_objectives.generator_terms(loss=loss, damsm_weight=d.damsm_weight, kl_weight=d.kl_weight,
                                                     image_encoder=image_encoder)
    else:
        kl = d.kl_weight if (model == "stackgan" and d.conditioning_augmentation) else 0.0
        d_terms = objectives.discriminator_terms(loss=loss, cls=d.cls)
        g_terms = objectives.generator_terms(loss=loss, interpolation_weight=d.interpolation_weight * d.interpolation,
                                             kl_weight=kl, damsm_weight=d.damsm_weight, image_encoder=image_encoder)

    def adam():
        return keras.optimizers.Adam(d.learning_rate, beta_1=d.beta_1)

    gan.compile(adam(), adam(), d_terms=d_terms, g_terms=g_terms, jit_compile=jit_compile)
    return gan


def dataset(images, embeddings, *, batch_size, seed=0, k=1, hard_wrong=None, hard_share=0.5, encode=None):
    """The training stream: shuffled ``{"image", "condition", "wrong_condition"}`` grouped ``[B, k, ...]``, forever.

    ``wrong_condition`` (the mismatched caption of the matching-aware D and GAN-INT's
    ``t2``) is a caption of another example drawn at random in the pipeline (the same
    image with probability 1/N), as Reed et al. draw a random wrong image; made here and
    not by rolling the batch, it is the same for any replica count.

    With ``hard_wrong`` (per example, captions that are right but for one attribute), a
    ``hard_share`` of the wrong captions are those instead. Random wrong captions mostly
    differ in colour, which D learns to check first; once it has, the mismatch term no
    longer asks it to read the digit, and the generator is not pushed to draw it. The
    hard ones keep asking (not in the papers).

    With ``encode`` the stream carries raw captions (strings) instead of embeddings, and
    ``encode`` (the frozen text encoder) turns each batch's captions into the conditions
    in the pipeline, after batching: AttnGAN needs each caption's word features, which
    for the captioned digits (10,000 images x 5 captions x 16 words x 128) would take
    410 MB as float32 if precomputed, and the pipeline holds another copy; the BiLSTM on
    a batch's captions costs little beside the networks' step.

    Args:
        images: float ``[N, S, S, C]`` in [-1, 1].
        embeddings: float ``[N, E]`` (one caption per image) or ``[N, captions, E]``: then
            each time an example is drawn one of its captions is picked at random. With
            ``encode``: strings ``[N]`` or ``[N, captions]``.
        batch_size: global batch size.
        seed: the shuffle and caption draws (the same seed, the same stream).
        k: discriminator steps per generator step (the GAN's ``k_d_steps``).
        hard_wrong: None, or float ``[N, H, E]``: H hard wrong captions per example.
        hard_share: the share of wrong captions taken from ``hard_wrong``, in [0, 1].
        encode: None, or ``captions string [n] -> condition`` (a tensor or dict of tensors ``[n, ...]``),
            applied to ``condition`` and ``wrong_condition`` of every batch.

    Returns:
        A ``tf.data.Dataset`` for ``GAN.fit``.

    Raises:
        InputError: shapes that do not match, or images outside [-1, 1].
    """
    images = np.asarray(images, np.float32)
    item = 0 if encode is not None else 1  # the rank of one caption: a string, or an embedding [E]
    embeddings = np.asarray(embeddings, str if encode is not None else np.float32)
    if images.ndim != 4 or images.shape[1] != images.shape[2] or not len(images):
        raise InputError(f"expected images [N, S, S, C]; received: shape {images.shape}")
    if embeddings.ndim not in (1 + item, 2 + item) or len(embeddings) != len(images):
        what = "captions" if encode is not None else "embeddings"
        raise InputError(f"expected {what} [N={len(images)}{', E' * item}] or [N, captions{', E' * item}]; received: "
                         f"shape {embeddings.shape}")
    if images.min() < -1.0 - 1e-6 or images.max() > 1.0 + 1e-6:
        raise InputError(f"expected images in [-1, 1]; received: values in [{images.min():.3g}, {images.max():.3g}]")
    if embeddings.ndim == 1 + item:
        embeddings = embeddings[:, None]
    if not 0.0 <= hard_share <= 1.0:
        raise InputError(f"expected 0 <= hard_share <= 1; received: hard_share={hard_share!r}")
    if hard_wrong is None:
        hard_wrong, hard_share = embeddings[:, :1], 0.0  # a placeholder never picked
    hard_wrong = np.asarray(hard_wrong, embeddings.dtype)
    if hard_wrong.shape[:1] != (len(images),) or hard_wrong.ndim != 2 + item or \
            hard_wrong.shape[2:] != embeddings.shape[2:]:
        raise InputError(f"expected hard_wrong [N={len(images)}, H{', E=%d' % embeddings.shape[2] if item else ''}]; "
                         f"received: shape {hard_wrong.shape}")
    captions, hards = embeddings.shape[1], hard_wrong.shape[1]
    ds = tf.data.Dataset.from_tensor_slices((images, embeddings, hard_wrong))
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat()
    others = tf.data.Dataset.from_tensor_slices(embeddings)
    others = others.shuffle(len(images), seed=seed + 2, reshuffle_each_iteration=True).repeat()
    picks = tf.data.Dataset.random(seed=seed + 1).batch(4)
    threshold = int(round(hard_share * 1000))

    def pick(example, other, draws):
        image, caption_embeddings, hard = example
        wrong = other[tf.math.floormod(draws[1], captions)]
        if threshold:
            use_hard = tf.math.floormod(draws[3], 1000) < threshold
            wrong = tf.where(use_hard, hard[tf.math.floormod(draws[2], hards)], wrong)
        return {"image": image, "condition": caption_embeddings[tf.math.floormod(draws[0], captions)],
                "wrong_condition": wrong}

    ds = tf.data.Dataset.zip(ds, others, picks).map(pick, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    grouped = group_minibatches(ds, batch_size=batch_size, k=k)
    if encode is None:
        return grouped

    def encoded(captions):  # [B, k] strings -> condition leaves [B, k, ...], static shapes kept where known
        def unflatten(t):
            shape = captions.shape.as_list() + t.shape.as_list()[1:]
            return tf.reshape(t, shape if None not in shape else tf.concat([tf.shape(captions), tf.shape(t)[1:]], 0))

        return tf.nest.map_structure(unflatten, tf.nest.map_structure(tf.convert_to_tensor,
                                                                      encode(tf.reshape(captions, [-1]))))

    return grouped.map(lambda b: {**b, "condition": encoded(b["condition"]),
                                  "wrong_condition": encoded(b["wrong_condition"])}).prefetch(2)
