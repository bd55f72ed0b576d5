"""Training the DAMSM encoders on the captioned digits (AttnGAN's pre-training), cached on first use.

:func:`train_damsm` trains the text and image encoders of :mod:`tfopt.text2image.encoders`
with the DAMSM losses of :mod:`tfopt.text2image.damsm`; :func:`load_damsm` does so once
per recipe and caches them (loaded back with ``safe_mode=True``);
:func:`evaluate_r_precision` scores real images, the ceiling of R-precision.

Example:
    text_model, image_model = load_damsm(image_size=32)          # trained on first use
    evaluate_r_precision(text_model, image_model, captioned_digits("held_out"))
"""
import hashlib
import json
import numbers
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.core.progress import progress
from tfopt.text2image.damsm import class_ids, r_precision, sentence_loss, word_loss
from tfopt.text2image.encoders import image_encoder, text_encoder

__all__ = ["VERSION", "evaluate_r_precision", "train_damsm", "load_damsm"]


VERSION = "damsm-v1"
"""Part of the cache key: bump it when the training code changes what a recipe produces."""
# 6 epochs with hard negatives: the sentence vectors carry the digit (docs/text2image.md)
_RECIPE = {"epochs": 6, "batch_size": 32, "embedding_dim": 128, "learning_rate": 2e-3, "hard_negatives": 4}
"""The default training recipe of :func:`load_damsm` (its values are part of the cache key too)."""
_TEXT_CLIP_NORM = 0.25  # AttnGAN clips the RNN's gradients to this global norm
_EVAL_SPLITS = ("test", "held_out")


def _captioned_split(split, image_size):
    from tfopt.data.captioned_digits import captioned_digits  # Part A's data: imported on use

    return captioned_digits(split, image_size=image_size)


def _encode(text_model, image_model, images, captions, batch_size=500):
    """Global image vectors and sentence vectors, in batches, in inference mode."""
    globals_, sentences = [], []
    for start in range(0, len(images), batch_size):
        globals_.append(image_model(images[start:start + batch_size], training=False)["global"].numpy())
        part = tf.constant([str(c) for c in captions[start:start + batch_size]])
        sentences.append(text_model(part, training=False)["sentence"].numpy())
    return np.concatenate(globals_), np.concatenate(sentences)


def evaluate_r_precision(text_model, image_model, data, *, candidates=100, seed=0):
    """R-precision of real images of a captioned set (one caption per image drawn with ``seed``): the ceiling.

    Args:
        text_model, image_model: the DAMSM encoders.
        data: a CaptionedSet-like object (``images [N, S, S, 3]``, ``captions [N, C]``, ``attributes``).
        candidates, seed: as in :func:`r_precision` (mismatches come from images of other attributes).

    Returns:
        float in [0, 1].
    """
    captions = np.asarray(data.captions)
    pick = np.random.default_rng(seed).integers(0, captions.shape[1], size=len(captions))
    image_global, sentences = _encode(text_model, image_model, data.images, captions[np.arange(len(pick)), pick])
    return r_precision(image_global, sentences, candidates=candidates, seed=seed,
                       labels=class_ids(data.attributes, len(captions)))


def _batch_order(rng, attributes, num, group):
    """An epoch's image order; with ``group`` > 1, runs of ``group`` images that share every attribute but the digit.

    With random batches of the captioned digits, colours and thickness alone tell almost every caption from
    the others in its batch, and the encoders learn to ignore the digit (a linear probe read the digit from
    the sentence vectors of 2-epoch encoders at 0.23). Runs that differ only in the digit make it the one
    thing that matches an image to its caption there. Runs are shuffled, so a batch holds several of them.
    """
    if group <= 1 or not attributes or "digit" not in attributes:
        return rng.permutation(num)
    rest = [np.asarray(v) for k, v in sorted(attributes.items()) if k != "digit"]
    key = np.unique(np.stack(rest, axis=1), axis=0, return_inverse=True)[1].reshape(-1)
    order = np.lexsort((rng.random(num), key))  # by the other attributes, in random order within each
    runs = [order[i : i + group] for i in range(0, num, group)]
    return np.concatenate([runs[i] for i in rng.permutation(len(runs))])


def _final_losses(history):
    """The last logged word, sentence and total losses (None after 0 epochs)."""
    if not history["word_loss"]:
        return {"word_loss": None, "sentence_loss": None, "loss": None}
    word, sentence = history["word_loss"][-1], history["sentence_loss"][-1]
    return {"word_loss": word, "sentence_loss": sentence, "loss": word + sentence}


def train_damsm(*, image_size=32, epochs=_RECIPE["epochs"], batch_size=_RECIPE["batch_size"],
                embedding_dim=_RECIPE["embedding_dim"], learning_rate=_RECIPE["learning_rate"], seed=0,
                hard_negatives=_RECIPE["hard_negatives"], quiet=False, data=None, vectorizer=None, candidates=100):
    """Trains the text and image encoders jointly with the DAMSM loss (AttnGAN's pre-training).

    Every epoch visits each training image once, with one of its captions drawn at random;
    Adam (AttnGAN's beta_1 0.5), the text encoder's gradients clipped to norm 0.25 as
    AttnGAN's; pairs of one attribute combination are not counted as mismatches.

    Args:
        image_size: side of the images (32 or 64 for the captioned digits).
        epochs, batch_size, embedding_dim, learning_rate: the recipe.
        hard_negatives: batches built of runs of this many images that differ only in the digit (1: random
            batches; a set without attributes always gets random ones).
        seed: seed of the weights, the order and the captions drawn.
        quiet: no progress bar.
        data: ``(split, image_size) -> CaptionedSet`` for "train", "test" and "held_out";
            default :func:`tfopt.data.captioned_digits.captioned_digits`.
        vectorizer: the text encoder's (see :func:`tfopt.text2image.encoders.text_encoder`).
        candidates: captions ranked per image by the R-precision of the metrics.

    Returns:
        ``(text_model, image_model, metrics)``; metrics: train_seconds, the final epoch's mean
        losses ("word_loss", "sentence_loss", "loss"), the per-epoch "history", and
        "r_precision" on real "test" and "held_out" images (the ceiling; chance ``1 / candidates``).

    Example:
        text_model, image_model, metrics = train_damsm(image_size=32, seed=0)
        metrics["r_precision"]["held_out"]
    """
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1)):  # 0 epochs: untrained
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise InputError(f"expected {name} to be an integer >= {low}; received: {name}={value!r}")
    load = data or _captioned_split
    train = load("train", image_size)
    images, captions = np.asarray(train.images, np.float32), np.asarray(train.captions).astype(str)
    ids = class_ids(train.attributes, len(images))
    if len(images) < max(2, batch_size):
        raise InputError(f"expected at least batch_size={batch_size} (and 2) training images; "
                         f"received: {len(images)}")
    text_model = text_encoder(embedding_dim=embedding_dim, vectorizer=vectorizer, seed=seed)
    image_model = image_encoder(image_size=image_size, embedding_dim=embedding_dim, seed=seed)
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
    text_vars, image_vars = text_model.trainable_variables, image_model.trainable_variables

    @tf.function
    def step(x, sentences, batch_ids):
        with tf.GradientTape() as tape:
            image_out, text_out = image_model(x, training=True), text_model(sentences, training=True)
            word = tf.reduce_mean(word_loss(image_out["regions"], text_out["words"], text_out["mask"],
                                            class_ids=batch_ids))
            sentence = tf.reduce_mean(sentence_loss(image_out["global"], text_out["sentence"], class_ids=batch_ids))
            loss = word + sentence
        grads = tape.gradient(loss, text_vars + image_vars)
        text_grads, _ = tf.clip_by_global_norm(grads[:len(text_vars)], _TEXT_CLIP_NORM)
        optimizer.apply_gradients(zip(text_grads + grads[len(text_vars):], text_vars + image_vars))
        return word, sentence

    rng = np.random.default_rng(seed)
    steps = len(images) // batch_size
    history = {"word_loss": [], "sentence_loss": []}
    start = time.perf_counter()
    with progress(int(epochs) * steps, quiet=quiet, desc="damsm") as bar:
        for _ in range(int(epochs)):
            order = _batch_order(rng, train.attributes, len(images), hard_negatives)
            drawn = captions[order, rng.integers(0, captions.shape[1], size=len(order))]
            totals = np.zeros(2)
            for k in range(steps):
                part = slice(k * batch_size, (k + 1) * batch_size)
                word, sentence = step(images[order[part]], tf.constant(drawn[part]), ids[order[part]])
                totals += (float(word), float(sentence))
                bar.update(1, word=float(word), sentence=float(sentence))
            history["word_loss"].append(float(totals[0] / steps))
            history["sentence_loss"].append(float(totals[1] / steps))
    seconds = time.perf_counter() - start
    metrics = {
        "train_seconds": round(seconds, 2), "epochs": int(epochs), "steps": int(epochs) * steps,
        "batch_size": int(batch_size), "embedding_dim": int(embedding_dim), "learning_rate": float(learning_rate),
        "hard_negatives": int(hard_negatives),
        "image_size": int(image_size), "seed": int(seed), "version": VERSION,
        **_final_losses(history), "history": history,
        # Untrained encoders (0 epochs, for smoke tests) are not worth scoring: R-precision is left out.
        "r_precision": {split: evaluate_r_precision(text_model, image_model, load(split, image_size),
                                                    candidates=candidates, seed=seed) for split in _EVAL_SPLITS}
        if epochs else None,
        "r_precision_chance": 1.0 / candidates,
    }
    return text_model, image_model, metrics


def _cache_folder(root, image_size, seed, recipe=None):
    recipe = hashlib.sha1(json.dumps(recipe or _RECIPE, sort_keys=True).encode()).hexdigest()[:8]
    return os.path.join(root, "damsm", f"{VERSION}-{int(image_size)}px-seed{int(seed)}-{recipe}")


def load_damsm(*, image_size=32, seed=0, epochs=None, cache_dir=None, quiet=False, with_metrics=False):
    """The DAMSM encoders, trained on the captioned digits on first use (4-9 min on 2 cores), then cached.

    The cache folder ``<cache>/damsm/<VERSION>-<S>px-seed<seed>-<recipe hash>`` holds
    ``text.keras``, ``image.keras`` and ``metrics.json``; a changed recipe or version trains
    anew. One process trains at a time (:func:`tfopt.core.files.locked`); the files are
    written atomically and loaded with ``safe_mode=True``.

    Args:
        image_size: 32 or 64.
        seed: seed of the training.
        epochs: training epochs (None: the recipe's); part of the cache key.
        cache_dir: default ``$TFOPT_CACHE`` or ``~/.cache/tfopt``.
        quiet: no progress bar while training.
        with_metrics: also return the training metrics (R-precision ceilings, losses, seconds).

    Returns:
        ``(text_model, image_model)``, or ``(text_model, image_model, metrics)``.

    Example:
        text_model, image_model = load_damsm(image_size=32)
    """
    recipe = dict(_RECIPE) if epochs is None else {**_RECIPE, "epochs": int(epochs)}
    folder = _cache_folder(files.cache_dir(cache_dir), image_size, seed, recipe)
    paths = {name: os.path.join(folder, name) for name in ("text.keras", "image.keras", "metrics.json")}
    if not all(os.path.isfile(p) for p in paths.values()):
        with files.locked(os.path.join(os.path.dirname(folder), ".damsm.lock")):
            if not all(os.path.isfile(p) for p in paths.values()):
                print(f"tfopt: training the DAMSM text and image encoders once (4-9 min); caching them at "
                      f"{folder}", file=sys.stderr)
                text_model, image_model, metrics = train_damsm(image_size=image_size, seed=seed, quiet=quiet,
                                                               **recipe)
                os.makedirs(folder, exist_ok=True)
                for name, model in (("text.keras", text_model), ("image.keras", image_model)):
                    with files.atomic_path(paths[name]) as tmp:
                        model.save(tmp)
                files.write_json(paths["metrics.json"], metrics)  # last: its presence says the folder is whole
    text_model = keras.saving.load_model(paths["text.keras"], safe_mode=True)
    image_model = keras.saving.load_model(paths["image.keras"], safe_mode=True)
    if with_metrics:
        with open(paths["metrics.json"], encoding="utf-8") as handle:
            return text_model, image_model, json.load(handle)
    return text_model, image_model
