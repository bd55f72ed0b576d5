"""The objectives of GAN-INT-CLS and StackGAN as weighted term lists for the GAN core.

Both papers train a **matching-aware** discriminator (GAN-CLS): besides real images
with their own caption (scored real) and generated images with their caption (scored
fake), it sees real images with another example's caption (scored fake, the core's
``d_wrong``), weighted ``real + (wrong + fake) / 2`` (Reed et al. 2016, Algorithm 1;
StackGAN's code weighs them the same). Without CLS the discriminator loss is the plain
``real + fake``; its score on mismatched pairs is still logged (weight 0).

The generator's loss is the adversarial term plus, for GAN-INT, the adversarial term
on interpolated captions ``0.5 t1 + 0.5 t2`` (:func:`tfopt.gan.terms.interpolation`,
weight 0.5: Reed et al.'s generator batch is B ordinary and B/2 interpolated examples,
each weighted 1) and, for StackGAN, the conditioning augmentation's KL
(:func:`tfopt.gan.terms.conditioning_kl`, weight 1 as in the paper, on the per-dimension mean
as in the authors' code).

Example:
    gan.compile(d_opt, g_opt, d_terms=discriminator_terms(cls=True),
                g_terms=generator_terms(interpolation_weight=0.5))
"""
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import terms as T

__all__ = ["CLS_WEIGHT", "INTERPOLATION_BETA", "discriminator_terms", "generator_terms", "sentence_matching"]

CLS_WEIGHT = 0.5
"""Weight of the mismatched (real image, wrong caption) term; the fake term gets ``1 - CLS_WEIGHT``."""

INTERPOLATION_BETA = 0.5
"""GAN-INT's ``beta`` in ``beta * t1 + (1 - beta) * t2``."""


def _weight(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InputError(f"expected {name} to be a number >= 0; received: {name}={value!r}")
    return float(value)


def discriminator_terms(*, loss="non_saturating", cls=True, cls_weight=CLS_WEIGHT):
    """The discriminator's ``[(weight, Term)]``: matching-aware (GAN-CLS) or plain.

    Args:
        loss: the loss family (see :data:`tfopt.gan.losses.PARTS`).
        cls: matching-aware: ``1 * real + cls_weight * wrong + (1 - cls_weight) * fake``;
            False: ``real + fake`` (the wrong pair is logged with weight 0).
        cls_weight: the weight of the wrong pair (0.5 in the paper).

    Returns:
        A list of ``(weight, Term)`` for ``GAN.compile(d_terms=...)``.
    """
    cls_weight = _weight("cls_weight", cls_weight)
    if cls_weight > 1:
        raise InputError(f"expected 0 <= cls_weight <= 1; received: cls_weight={cls_weight!r}")
    if not cls:
        return [(1.0, T.d_real_part(loss)), (1.0, T.d_fake_part(loss)), (0.0, T.mismatch(loss))]
    return [(1.0, T.d_real_part(loss)), (1.0 - cls_weight, T.d_fake_part(loss)), (cls_weight, T.mismatch(loss))]


def sentence_matching(image_encoder):
    """AttnGAN's sentence-level DAMSM loss on generated images: they must match their own captions in the batch.

    The frozen DAMSM image encoder reads the generated image (resized to its input size
    when a StackGAN Stage I draws smaller); its global vector and the caption's sentence
    vector (the ``condition``) are scored against the batch's other pairs in both
    directions (:func:`tfopt.text2image.damsm.sentence_loss`). AttnGAN adds this (with the
    word level) to its generator's loss; neither GAN-INT-CLS nor StackGAN has it.
    """
    from tfopt.text2image.damsm import sentence_loss

    size = int(image_encoder.inputs[0].shape[1])

    def fn(r):
        image = tf.cast(r["generated"]["image"], tf.float32)
        if image.shape[1] != size:
            image = tf.image.resize(image, (size, size), method="bilinear")
        return sentence_loss(image_encoder(image, training=False)["global"], r["condition"])

    return T.Term("damsm", fn)


def generator_terms(*, loss="non_saturating", interpolation_weight=0.0, beta=INTERPOLATION_BETA, kl_weight=0.0,
                    damsm_weight=0.0, image_encoder=None):
    """The generator's ``[(weight, Term)]``: adversarial, optional GAN-INT and CA's KL.

    Args:
        loss: the loss family.
        interpolation_weight: weight of the GAN-INT term (0: no term, nothing computed).
        beta: GAN-INT's interpolation weight.
        kl_weight: weight of the conditioning augmentation's KL (0: no term; the
            generator must then output ``ca_mean`` / ``ca_log_var`` only if it is > 0).
        damsm_weight: weight of :func:`sentence_matching` (0: no term).
        image_encoder: the frozen DAMSM image encoder, for ``damsm_weight > 0``.

    Returns:
        A list of ``(weight, Term)`` for ``GAN.compile(g_terms=...)``.
    """
    terms = [(1.0, T.g_adversarial(loss))]
    if _weight("interpolation_weight", interpolation_weight):
        terms.append((float(interpolation_weight), T.interpolation(loss, beta=beta)))
    if _weight("kl_weight", kl_weight):
        terms.append((float(kl_weight), T.conditioning_kl()))
    if _weight("damsm_weight", damsm_weight):
        if image_encoder is None:
            raise InputError("expected the DAMSM image encoder for damsm_weight > 0; received: image_encoder=None")
        terms.append((float(damsm_weight), sentence_matching(image_encoder)))
    return terms
