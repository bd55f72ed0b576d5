"""AttnGAN's Deep Attentional Multimodal Similarity Model (DAMSM; Xu et al. 2018, Section 3.3) and R-precision.

The DAMSM losses match images and captions of one batch in both directions:

* word level: word features ``e`` [T, D] attend over the image's region features ``v``
  [R, D]: ``s = e v^T``, normalized over the words first (Eq. 8), then
  ``alpha = softmax_regions(gamma1 * s_norm)`` (Eq. 9), the region-context vector
  ``c_i = sum_j alpha_ij v_j``; relevance ``R(c_i, e_i) = cos(c_i, e_i)`` and the
  image-caption score ``R(Q, D) = log(sum_i exp(gamma2 R(c_i, e_i)))^(1 / gamma2)``
  (Eq. 10, read as ``(1 / gamma2) * log sum exp``: the paper's formula; the released code
  drops the ``1 / gamma2``). Padded words get no attention and do not count.
* sentence level: ``R(Q, D) = cos(global image vector, sentence vector)``.

Each score becomes a posterior over the batch, ``P(D_i | Q_i) = softmax_j(gamma3 R(Q_i, D_j))``
(Eq. 11), and the loss is the cross-entropy of the matching pair in both directions
(image -> caption over the batch's captions, caption -> image over its images; Eq. 12-13).

:func:`tfopt.text2image.damsm_training.train_damsm` trains the two encoders of
:mod:`tfopt.text2image.encoders` with these losses on the captioned digits;
:func:`tfopt.text2image.damsm_training.load_damsm` does so once and caches them.

Example:
    text_model, image_model = load_damsm(image_size=32)          # tfopt.text2image.damsm_training
    image_out, text_out = image_model(images), text_model(captions)
    loss = damsm_loss(image_out, text_out)        # [B]: word + sentence, both directions
    r_precision(image_out["global"], text_out["sentence"], candidates=100)
"""
import numbers

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError

__all__ = ["GAMMA1", "GAMMA2", "GAMMA3", "word_attention", "word_scores", "sentence_loss", "word_loss", "damsm_loss",
           "r_precision", "class_ids"]

GAMMA1, GAMMA2, GAMMA3 = 4.0, 5.0, 10.0
"""AttnGAN's smoothing factors: attention sharpness, word-score pooling, and the batch posterior's."""
_EPS = 1e-8
_NEG = -1e9  # "minus infinity" that keeps gradients finite


def _cosine(a, b):
    dot = tf.reduce_sum(a * b, axis=-1)
    return dot / tf.maximum(tf.norm(a, axis=-1) * tf.norm(b, axis=-1), _EPS)


def _attend(regions, words, mask, gamma1):
    """Word attention over regions with broadcasting leading dims: [..., R, D], [..., T, D], [..., T]."""
    mask = tf.cast(mask, words.dtype)[..., :, None]                        # [..., T, 1]
    s = tf.matmul(words, regions, transpose_b=True)                         # [..., T, R]: e_i . v_j
    s = tf.nn.softmax(s + (1.0 - mask) * _NEG, axis=-2)                     # Eq. 8: over the (real) words
    attention = tf.nn.softmax(gamma1 * s, axis=-1) * mask                   # Eq. 9: over regions; padding 0
    return tf.matmul(attention, regions), attention                        # c_i [..., T, D], alpha [..., T, R]


def word_attention(regions, words, mask, gamma1=GAMMA1):
    """Each word's attention over its own image's regions and the region-context vectors.

    Args:
        regions: float ``[B, R, D]`` region features of the images.
        words: float ``[B, T, D]`` word features of the matching captions.
        mask: ``[B, T]``, 1 for real tokens, 0 for padding.
        gamma1: attention sharpness (AttnGAN's 4).

    Returns:
        ``(context [B, T, D], attention [B, T, R])``; a padded word's attention row and
        context are zero, a real word's attention sums to 1 over the regions.
    """
    regions, words = tf.convert_to_tensor(regions, tf.float32), tf.convert_to_tensor(words, tf.float32)
    return _attend(regions, words, mask, gamma1)


def word_scores(regions, words, mask, gamma1=GAMMA1, gamma2=GAMMA2):
    """``R(Q_i, D_j)`` of every image i with every caption j of the batch (Eq. 10).

    The same attention as :func:`word_attention` for all pairs at once; the cosine
    ``R(c_t, e_t)`` is taken without forming the ``[B, B, T, D]`` contexts:
    ``c.e = sum_r alpha_r (e.v_r)`` and ``|c|^2 = alpha^T (V V^T) alpha``.

    Args:
        regions: float ``[B_images, R, D]``.
        words: float ``[B_captions, T, D]``.
        mask: ``[B_captions, T]`` (1 = real token; every caption needs at least one).
        gamma1, gamma2: as in AttnGAN (4, 5).

    Returns:
        float32 ``[B_images, B_captions]``: ``(1 / gamma2) log sum_t exp(gamma2 cos(c_t, e_t))``
        over the caption's real words, ``c_t`` its word t's context in image i.
    """
    regions, words = tf.convert_to_tensor(regions, tf.float32), tf.convert_to_tensor(words, tf.float32)
    mask = tf.cast(mask, tf.float32)[None]                                  # [1, Bc, T]
    s = tf.einsum("ctd,ird->ictr", words, regions)                          # [Bi, Bc, T, R]: e_t . v_r
    normalized = tf.nn.softmax(s + (1.0 - mask[..., None]) * _NEG, axis=-2)  # Eq. 8: over the real words
    attention = tf.nn.softmax(gamma1 * normalized, axis=-1) * mask[..., None]  # Eq. 9: over regions
    dot = tf.reduce_sum(attention * s, axis=-1)                             # c_t . e_t
    gram = tf.matmul(regions, regions, transpose_b=True)                    # [Bi, R, R]
    context_sq = tf.reduce_sum(tf.einsum("ictr,irq->ictq", attention, gram) * attention, axis=-1)
    norms = tf.sqrt(tf.maximum(context_sq, _EPS ** 2)) * tf.norm(words, axis=-1)[None]
    relevance = dot / tf.maximum(norms, _EPS)                               # [Bi, Bc, T]: R(c_t, e_t)
    return tf.reduce_logsumexp(gamma2 * relevance + (1.0 - mask) * _NEG, axis=-1) / gamma2


def _both_directions(logits, class_ids):
    """Cross-entropy of the diagonal in both directions of ``logits [B, B]`` (image rows, caption columns).

    Off-diagonal pairs whose class ids are equal (the same attributes: not a mismatch) are
    left out of the softmax, as AttnGAN's class masks do.
    """
    size = tf.shape(logits)[0]
    if class_ids is not None:
        ids = tf.convert_to_tensor(class_ids)
        same = tf.logical_and(tf.equal(ids[:, None], ids[None, :]), tf.logical_not(tf.eye(size, dtype=tf.bool)))
        logits = tf.where(same, _NEG, logits)
    labels = tf.range(size)
    image_to_text = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    text_to_image = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf.transpose(logits))
    return image_to_text + text_to_image


def sentence_loss(image_global, sentence, gamma3=GAMMA3, *, class_ids=None):
    """The sentence-level DAMSM loss: ``gamma3 * cos`` of global vectors, cross-entropy both ways.

    Args:
        image_global: float ``[B, D]`` global image vectors.
        sentence: float ``[B, D]`` sentence vectors; row i describes image i.
        gamma3: posterior sharpness (AttnGAN's 10).
        class_ids: optional int ``[B]``: other pairs of one id are not counted as mismatches.

    Returns:
        float32 ``[B]``: for pair i, ``-log P(D_i | Q_i) - log P(Q_i | D_i)``; the mean is AttnGAN's
        ``s_loss0 + s_loss1``.
    """
    image_global = tf.convert_to_tensor(image_global, tf.float32)
    sentence = tf.convert_to_tensor(sentence, tf.float32)
    cosine = _cosine(image_global[:, None], sentence[None])                # [B, B]
    return _both_directions(gamma3 * cosine, class_ids)


def word_loss(regions, words, mask, gamma1=GAMMA1, gamma2=GAMMA2, gamma3=GAMMA3, *, class_ids=None):
    """The word-level DAMSM loss: ``gamma3 * R(Q, D)`` of :func:`word_scores`, cross-entropy both ways.

    Args:
        regions: float ``[B, R, D]``; words: float ``[B, T, D]``; mask: ``[B, T]``; caption i
            describes image i.
        gamma1, gamma2, gamma3: AttnGAN's 4, 5, 10.
        class_ids: as in :func:`sentence_loss`.

    Returns:
        float32 ``[B]``; the mean is AttnGAN's ``w_loss0 + w_loss1``.
    """
    return _both_directions(gamma3 * word_scores(regions, words, mask, gamma1, gamma2), class_ids)


def damsm_loss(image_outputs, text_outputs, *, gamma1=GAMMA1, gamma2=GAMMA2, gamma3=GAMMA3, class_ids=None):
    """The DAMSM loss, word + sentence level: AttnGAN's encoder pre-training loss and its G term.

    Args:
        image_outputs: the image encoder's dict ("regions", "global").
        text_outputs: the text encoder's dict ("words", "sentence", "mask").
        gamma1, gamma2, gamma3, class_ids: as in :func:`word_loss`.

    Returns:
        float32 ``[B]``.
    """
    words = word_loss(image_outputs["regions"], text_outputs["words"], text_outputs["mask"], gamma1, gamma2,
                      gamma3, class_ids=class_ids)
    return words + sentence_loss(image_outputs["global"], text_outputs["sentence"], gamma3, class_ids=class_ids)


def class_ids(attributes, num):
    """One int id per distinct combination of attributes (``{name: int [N]}``); ``arange(num)`` if none."""
    if not attributes:
        return np.arange(num)
    columns = np.stack([np.asarray(attributes[k]).astype(np.int64) for k in sorted(attributes)], axis=1)
    if len(columns) != num:
        raise InputError(f"expected attributes of {num} images; received: {len(columns)}")
    return np.unique(columns, axis=0, return_inverse=True)[1].reshape(-1)


def r_precision(image_global, sentences, *, candidates=100, seed=0, labels=None):
    """R-precision (R = 1) of ranking each image's true caption first among ``candidates`` by cosine.

    For image i: its own caption's sentence vector (row i of ``sentences``) and
    ``candidates - 1`` sentence vectors of other images' captions, drawn without
    replacement from the images whose ``labels`` differ (all other images when None);
    the share of images whose true caption scores strictly highest. Chance is
    ``1 / candidates``. (AttnGAN's R-precision code was never released; this follows the
    paper: 100 candidates, cosine of the global vectors.)

    Args:
        image_global: float ``[N, D]`` global vectors of the images (real or generated).
        sentences: float ``[N, D]`` sentence vectors; row i is a caption of image i.
        candidates: captions ranked per image (>= 2).
        seed: seed of the drawn mismatches.
        labels: optional int ``[N]`` (e.g. :func:`class_ids` of the attributes, or a dict of
            attributes): captions of images with the same label are not drawn as mismatches.

    Returns:
        float in [0, 1].

    Raises:
        InputError: mismatched shapes, ``candidates < 2``, or an image with fewer than
            ``candidates - 1`` eligible mismatches.
    """
    image_global = np.asarray(image_global, np.float64)
    sentences = np.asarray(sentences, np.float64)
    if image_global.ndim != 2 or image_global.shape != sentences.shape:
        raise InputError(f"expected image vectors and sentence vectors of one shape [N, D]; received: "
                         f"{image_global.shape} and {sentences.shape}")
    if isinstance(candidates, bool) or not isinstance(candidates, numbers.Integral) or candidates < 2:
        raise InputError(f"expected candidates to be an integer >= 2; received: candidates={candidates!r}")
    num = len(image_global)
    if isinstance(labels, dict):
        labels = class_ids(labels, num)
    labels = np.arange(num) if labels is None else np.asarray(labels).reshape(-1)
    if len(labels) != num:
        raise InputError(f"expected {num} labels; received: {len(labels)}")
    eligible = num - np.unique(labels, return_counts=True)[1][np.unique(labels, return_inverse=True)[1]]
    if num == 0 or eligible.min() < candidates - 1:
        raise InputError(f"expected at least {candidates - 1} mismatched captions per image (candidates="
                         f"{candidates}); received: {num} images, {int(eligible.min()) if num else 0} for the "
                         f"worst one")
    unit_images = image_global / np.maximum(np.linalg.norm(image_global, axis=1, keepdims=True), _EPS)
    unit_sentences = sentences / np.maximum(np.linalg.norm(sentences, axis=1, keepdims=True), _EPS)
    rng = np.random.default_rng(seed)
    hits = 0
    for i in range(num):
        others = np.flatnonzero(labels != labels[i])
        drawn = rng.choice(others, candidates - 1, replace=False)
        true = unit_images[i] @ unit_sentences[i]
        hits += bool(true > np.max(unit_sentences[drawn] @ unit_images[i]))
    return hits / num
