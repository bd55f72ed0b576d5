"""AttnGAN's objective (Xu et al. 2018, Section 3.2) as weighted term lists for the GAN core.

The discriminator (:func:`tfopt.nets.attngan.attngan_discriminator`) gives, for every
stage ``s``, an unconditional logit (the image alone) and a sentence-conditional one,
as ``[B, stages]`` heads ``logits`` and ``cond_logits``. Each stage's discriminator loss
is AttnGAN's code's

    ``(real_part + cond_real) / 2 + (fake_part + cond_fake + cond_wrong) / 3``

(``cond_wrong``: a real image with another example's caption, the core's ``d_wrong``;
only its conditional logit is scored: the image alone is real), summed over the stages.
The generator's loss sums, over the stages, the adversarial terms on both logits of its
own images, and adds ``damsm_weight`` times the DAMSM loss of the final image and its
caption (word and sentence level, through the frozen DAMSM encoders:
:func:`tfopt.text2image.damsm.damsm_loss`; lambda = 5 for birds in the paper) and
conditioning augmentation's KL (:func:`tfopt.gan.terms.conditioning_kl`, the
per-dimension mean, as StackGAN here).

Every term here is summed over the stages, so its logged value is the sum, and the
weights are the formula's (1/2, 1/3) as they stand.

Example:
    gan.compile(d_opt, g_opt, d_terms=discriminator_terms(),
                g_terms=generator_terms(damsm_weight=5.0, image_encoder=image_model))
"""
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import losses
from tfopt.gan import terms as T

__all__ = ["D_WEIGHTS", "DAMSM_GROUP", "discriminator_terms", "generator_terms", "damsm_matching"]

D_WEIGHTS = {"real_part": 1 / 2, "cond_real": 1 / 2, "fake_part": 1 / 3, "cond_fake": 1 / 3, "cond_wrong": 1 / 3}
"""The discriminator's weight of each term: ``(real + cond_real) / 2 + (fake + cond_fake + cond_wrong) / 3``."""

DAMSM_GROUP = 32
"""Images matched against each other's captions in the generator's DAMSM loss: the DAMSM encoders' training
batch (:data:`tfopt.text2image.damsm_training._RECIPE`), near AttnGAN's 20 for birds. The word level costs ``B^2``
attention maps; groups of 32 in a batch of 64 halve it."""


def _stages_sum(part, logits):
    """``sum_s part(logits[:, s])``: a per-example loss summed over the stages' columns."""
    logits = tf.cast(logits, tf.float32)
    if logits.shape.rank != 2 or logits.shape[1] is None:
        raise InputError(f"expected logits [B, stages] with a known number of stages; received: shape {logits.shape}")
    return tf.add_n([part(logits[:, s]) for s in range(logits.shape[1])])


def _check_weight(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InputError(f"expected {name} to be a number >= 0; received: {name}={value!r}")
    return float(value)


def discriminator_terms(*, loss="non_saturating", cls=True):
    """The discriminator's ``[(weight, Term)]``: real, cond_real, fake, cond_fake, cond_wrong (:data:`D_WEIGHTS`).

    Args:
        loss: the loss family (see :data:`tfopt.gan.losses.PARTS`; AttnGAN: the cross-entropy).
        cls: score real images with wrong captions (AttnGAN's); False (the ablation): ``(real +
            cond_real) / 2 + (fake + cond_fake) / 2``, with ``cond_wrong`` logged at weight 0.

    Returns:
        A list for ``GAN.compile(d_terms=...)``.
    """
    real_part, fake_part = losses.get_parts(loss)
    reads = {"real_part": (real_part, "d_real", "logits"), "cond_real": (real_part, "d_real", "cond_logits"),
             "fake_part": (fake_part, "d_fake", "logits"), "cond_fake": (fake_part, "d_fake", "cond_logits"),
             "cond_wrong": (fake_part, "d_wrong", "cond_logits")}

    def term(name):
        part, entry, head = reads[name]
        return T.Term(name, lambda r: _stages_sum(part, r[entry][head]))

    weights = dict(D_WEIGHTS) if cls else {**D_WEIGHTS, "fake_part": 1 / 2, "cond_fake": 1 / 2, "cond_wrong": 0.0}
    return [(weights[name], term(name)) for name in reads]


def damsm_matching(image_encoder, group=DAMSM_GROUP):
    """AttnGAN's DAMSM loss of the final generated image and its caption, word and sentence level, per example.

    The frozen DAMSM image encoder reads the generated ``image``; its regions and global
    vector are matched with the caption's ``words`` / ``mask`` and ``sentence`` (the
    ``condition`` dict) against the other pairs of its group of ``group`` consecutive
    examples, in both directions (:func:`tfopt.text2image.damsm.damsm_loss`, AttnGAN's
    ``words_loss + sent_loss``; AttnGAN matches within its batch of 20 for birds).
    """
    if isinstance(group, bool) or not isinstance(group, int) or group < 2:
        raise InputError(f"expected group to be an integer >= 2; received: group={group!r}")
    from tfopt.text2image.damsm import damsm_loss

    size = int(image_encoder.inputs[0].shape[1])

    def fn(r):
        image = tf.cast(r["generated"]["image"], tf.float32)
        if image.shape[1] != size:
            image = tf.image.resize(image, (size, size), method="bilinear")
        condition = r["condition"]
        if not isinstance(condition, dict) or not {"sentence", "words", "mask"} <= set(condition):
            raise InputError("expected the condition to be the text encoder's sentence, words and mask; received: "
                             f"{sorted(condition) if isinstance(condition, dict) else type(condition).__name__}")
        encoded = image_encoder(image, training=False)
        batch = image.shape[0]
        if batch is None or batch <= group:
            return damsm_loss(encoded, condition)
        cuts = list(range(0, batch, group))
        if batch - cuts[-1] < 2:  # a last group of one has nothing to be told from: join it to the one before
            cuts.pop()
        bounds = list(zip(cuts, cuts[1:] + [batch]))
        return tf.concat([damsm_loss({k: v[a:b] for k, v in encoded.items()},
                                     {k: condition[k][a:b] for k in ("sentence", "words", "mask")})
                          for a, b in bounds], axis=0)

    return T.Term("damsm", fn)


def generator_terms(*, loss="non_saturating", damsm_weight=5.0, kl_weight=1.0, image_encoder=None):
    """The generator's ``[(weight, Term)]``: adversarial (both logits, summed over stages), DAMSM, CA's KL.

    Args:
        loss: the loss family.
        damsm_weight: AttnGAN's lambda (0: no term, nothing computed).
        kl_weight: weight of conditioning augmentation's KL (0: no term).
        image_encoder: the frozen DAMSM image encoder, for ``damsm_weight > 0``.

    Returns:
        A list for ``GAN.compile(g_terms=...)``.
    """
    g_loss, _ = losses.get_loss(loss)
    terms = [(1.0, T.Term("adversarial", lambda r: _stages_sum(g_loss, r["d_fake"]["logits"]))),
             (1.0, T.Term("cond_adversarial", lambda r: _stages_sum(g_loss, r["d_fake"]["cond_logits"])))]
    if _check_weight("damsm_weight", damsm_weight):
        if image_encoder is None:
            raise InputError("expected the DAMSM image encoder for damsm_weight > 0; received: image_encoder=None")
        terms.append((float(damsm_weight), damsm_matching(image_encoder)))
    if _check_weight("kl_weight", kl_weight):
        terms.append((float(kl_weight), T.conditioning_kl()))
    return terms
