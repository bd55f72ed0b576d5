"""Scoring a text-to-image generator on held-out captions: attributes, R-precision, FID, diversity.

Every number comes with its ceiling where one exists: the attribute readers' accuracy and
the DAMSM encoders' R-precision on the *real* images of the same captions. The
generator is any model fed by input name (``z``, ``condition`` = the frozen text
encoder's sentence vector; see :mod:`tfopt.gan.feeds`).

* **Attributes** (:mod:`tfopt.text2image.readers`): the share of samples whose digit,
  stroke colour, background colour and thickness read as the caption says.
* **R-precision** (:func:`tfopt.text2image.damsm.r_precision`): the caption ranked first
  among 100 (99 of images with other attributes) by cosine of DAMSM's global vectors.
* **FID** to the real images of the same split, on the digits classifier's features read
  per channel (comparable only with other digits-feature FIDs).
* **Diversity** for one caption: the mean pairwise distance of those features over
  samples of the same caption with different noise (what conditioning augmentation
  should raise).
* **Attention check** (AttnGAN only, the captioned digits): where the stroke and
  background colour words attend (:func:`tfopt.text2image.attention_maps.attention_check`).

Example:
    scores = evaluate(generator, text_model, image_model, captioned_digits("held_out"), num=1000)
    scores["attributes"]["digit"], scores["r_precision"], scores["fid"], scores["diversity"]
"""
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import feeds
from tfopt.gan.metrics import digits_feature_network, fid
from tfopt.text2image import damsm, readers

__all__ = ["encode_captions", "encode_conditions", "evaluate", "diversity", "caption_samples"]

_BATCH = 250


def encode_captions(text_model, captions, *, batch_size=_BATCH):
    """Sentence vectors of captions of any shape ``[...]`` -> float32 ``[..., E]`` (inference mode)."""
    captions = np.asarray(captions)
    flat = [str(c) for c in captions.reshape(-1)]
    if not flat:
        raise InputError("expected at least one caption; received: none")
    parts = [text_model(tf.constant(flat[i : i + batch_size]), training=False)["sentence"].numpy()
             for i in range(0, len(flat), batch_size)]
    vectors = np.concatenate(parts).astype(np.float32)
    return vectors.reshape(captions.shape + vectors.shape[-1:])


def encode_conditions(text_model, captions, generator, *, batch_size=_BATCH):
    """The conditions ``generator`` takes for captions ``[N]``: sentence vectors, or a dict of the text outputs.

    A generator with one ``condition`` input (GAN-INT-CLS, StackGAN) gets the sentence
    vectors ``[N, E]``; one whose condition inputs are named after the text encoder's
    outputs (AttnGAN: ``sentence``, ``words``, ``mask``) gets those, as a dict of numpy arrays.
    """
    names = feeds.condition_names(generator)
    if names == ["condition"]:
        return encode_captions(text_model, captions, batch_size=batch_size)
    flat = [str(c) for c in np.asarray(captions).reshape(-1)]
    if not flat:
        raise InputError("expected at least one caption; received: none")
    parts = [text_model(tf.constant(flat[i : i + batch_size]), training=False) for i in range(0, len(flat), batch_size)]
    missing = [name for name in names if name not in parts[0]]
    if missing:
        raise InputError(f"expected a generator fed by the text encoder's outputs {sorted(parts[0])}; received one "
                         f"with condition inputs {names}")
    return {name: np.concatenate([p[name].numpy() for p in parts]).astype(np.float32) for name in names}


def _repeat(condition, count):
    """Each row of a condition (an array or a dict of arrays) ``count`` times."""
    if isinstance(condition, dict):
        return {k: np.repeat(v, count, axis=0) for k, v in condition.items()}
    return np.repeat(condition, count, axis=0)


def _noise(generator, count, seed):
    dim = feeds.latent_dim_of(generator)
    return np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32) if dim else None


def _generate(generator, condition, seed):
    count = len(next(iter(condition.values()))) if isinstance(condition, dict) else len(condition)
    return feeds.generate_from(generator, _noise(generator, count, seed), condition=condition)


def diversity(generator, sentences, *, samples=16, seed=0, features=None):
    """Mean pairwise feature distance among ``samples`` images of each caption, averaged over captions.

    Args:
        generator: the generator (``z``, ``condition``).
        sentences: float ``[K, E]``: K captions' sentence vectors (or the dict of :func:`encode_conditions`).
        samples: images per caption (>= 2), each with its own noise.
        seed: seed of the noise.
        features: a :class:`~tfopt.gan.metrics.FeatureNetwork` (None: the digits classifier's).

    Returns:
        float (0 when every sample of a caption is the same image).
    """
    if samples < 2:
        raise InputError(f"expected samples >= 2; received: samples={samples!r}")
    features = features or digits_feature_network()
    if not isinstance(sentences, dict):
        sentences = np.asarray(sentences, np.float32)
    images = _generate(generator, _repeat(sentences, samples), seed)
    feats = features((images + 1.0) / 2.0)[0].reshape(len(images) // samples, samples, -1)
    distances = np.sqrt(((feats[:, :, None] - feats[:, None, :]) ** 2).sum(-1))
    pairs = samples * (samples - 1)
    return float(distances.sum(axis=(1, 2)).mean() / pairs)


def caption_samples(generator, text_model, captions, *, per_caption=4, seed=0):
    """``[len(captions) * per_caption, S, S, C]`` images in [-1, 1], each caption's samples consecutive."""
    return _generate(generator, encode_conditions(text_model, np.repeat(np.asarray(captions), per_caption), generator),
                     seed)


def evaluate(generator, text_model, image_model, data, *, num=1000, seed=0, candidates=100, diversity_captions=20,
             diversity_samples=8, ceilings=True, attention_captions=200):
    """Scores a generator on the captions of a captioned set (e.g. the held-out combinations).

    Args:
        generator: the generator (``z``, ``condition``).
        text_model, image_model: the frozen DAMSM encoders (:func:`tfopt.text2image.damsm_training.load_damsm`).
        data: a ``CaptionedSet`` (images, captions ``[N, C]``, attributes; attributes may be empty
            for a folder set: then only R-precision, FID and diversity are scored).
        num: images scored (0: all), each with one of its captions (drawn with ``seed``).
        seed: seed of the caption draws, the noise and the R-precision mismatches.
        candidates: captions ranked per image for R-precision (fewer when the set is too small to have
            ``candidates - 1`` mismatches per image; the number used is reported).
        diversity_captions, diversity_samples: captions and samples per caption of the diversity score.
        ceilings: also score the real images (readers, R-precision): the ceilings.
        attention_captions: captions of the attention check (a generator with attention maps and
            colour attributes only).

    Returns:
        dict: ``num_images``, ``attributes`` ({digit, stroke, background, thickness, all}),
        ``r_precision``, ``fid``, ``diversity``, with ``ceilings`` ``real_attributes`` and
        ``real_r_precision``, and for AttnGAN ``attention_check``.
    """
    num = len(data.images) if not num else min(int(num), len(data.images))
    rng = np.random.default_rng(seed)
    captions = np.asarray(data.captions)[:num]
    chosen = captions[np.arange(num), rng.integers(0, captions.shape[1], size=num)]
    attributes = {k: np.asarray(v)[:num] for k, v in (data.attributes or {}).items()}
    real = np.asarray(data.images[:num], np.float32)
    sentences = encode_captions(text_model, chosen)
    conditions = encode_conditions(text_model, chosen, generator)
    fake = _generate(generator, conditions, seed + 1)
    labels = damsm.class_ids(attributes, num) if attributes else None
    if labels is not None:  # each image needs candidates - 1 captions of images with other attributes
        candidates = min(candidates, num - int(np.bincount(labels).max()) + 1)
    candidates = min(candidates, num)
    scores = {"num_images": num, "r_precision_candidates": candidates}
    if attributes:
        scores["attributes"] = readers.attribute_accuracy(fake, attributes)
    scores["r_precision"] = damsm.r_precision(_globals(image_model, fake), sentences, candidates=min(candidates, num),
                                              seed=seed, labels=labels)
    features = digits_feature_network()
    scores["fid"] = fid(_features(features, fake), _features(features, real))
    scores["diversity"] = diversity(generator, feeds.take(conditions, 0, diversity_captions),
                                    samples=diversity_samples, seed=seed + 2, features=features)
    if "attention" in feeds.outputs(generator.output, "image") and {"stroke", "background"} <= set(attributes):
        from tfopt.text2image.attention_maps import attention_check

        count = min(int(attention_captions), num)
        scores["attention_check"] = attention_check(generator, text_model, chosen[:count],
                                                    {k: attributes[k][:count] for k in ("stroke", "background")},
                                                    seed=seed + 3)
    if ceilings:
        if attributes:
            scores["real_attributes"] = readers.attribute_accuracy(real, attributes)
        scores["real_r_precision"] = damsm.r_precision(_globals(image_model, real), sentences,
                                                       candidates=candidates, seed=seed, labels=labels)
    return scores


def _globals(image_model, images):
    return np.concatenate([image_model(images[i : i + _BATCH], training=False)["global"].numpy()
                           for i in range(0, len(images), _BATCH)])


def _features(network, images):
    return np.concatenate([network((images[i : i + _BATCH] + 1.0) / 2.0)[0] for i in range(0, len(images), _BATCH)])
