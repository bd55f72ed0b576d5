"""AttnGAN's attention maps: which image sub-regions each word of a caption drives (the paper's Figure 2).

A served AttnGAN (``text2image.keras``: raw captions and ``z`` in) holds the frozen text
encoder and the generator as nested models; :func:`attention_parts` finds them, and
:func:`draw_attention` runs them on captions to get each image with its Stage 2 attention
``[H*W, T]`` (every sub-region's weights over the words). Each real word's column is a map
over the sub-regions: the image and, beside it, every word's map (scaled to the image,
normalized to its own maximum, laid over a dimmed copy of the image) make one PNG per
caption.

:func:`attention_check` asks whether a colour word attends where its colour is: for the
stroke colour's word, the share of its attention mass on the stroke's sub-regions (the
readers' stroke mask of the generated image) against the share of the image they cover;
and its mean weight per stroke sub-region against per background sub-region. The
background colour's word gets the same numbers, which should lean the other way.

Example:
    model = load_text2image("runs/attngan")
    summary = draw_attention(model, ["a thick red seven on a blue background"], "out/attention")
    summary["attention_maps"][0]["words"]     # ["a", "thick", "red", "seven", ...]
"""
import pathlib

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import feeds
from tfopt.images import from_tanh, save_grid

__all__ = ["attention_parts", "caption_tokens", "draw_attention", "attention_check"]


def _nested_models(model):
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, keras.Model)]


def _output_names(model):
    return set(model.output) if isinstance(model.output, dict) else set()


def attention_parts(model, source="the model"):
    """``(text_encoder, generator)`` of a served text-to-image model whose generator outputs ``attention``.

    Raises:
        InputError: no generator with attention maps (GAN-INT-CLS, StackGAN) or no text encoder inside.
    """
    nested = _nested_models(model)
    generators = [m for m in nested if "attention" in _output_names(m)]
    texts = [m for m in nested if {"words", "sentence", "mask"} <= _output_names(m)]
    if not generators or not texts:
        raise InputError(f"expected an AttnGAN model (a generator with attention maps) for attention maps; received: "
                         f"{source} without them")
    return texts[0], generators[0]


def caption_tokens(text_encoder, captions):
    """Each caption's tokens as its text encoder reads them (vocabulary words, ``[UNK]`` for unknown ones)."""
    vectorizer = next((layer for layer in text_encoder._flatten_layers(include_self=False, recursive=True)
                       if isinstance(layer, keras.layers.TextVectorization)), None)
    if vectorizer is None:
        raise InputError("expected a text encoder with a TextVectorization layer; received: none inside")
    vocabulary = vectorizer.get_vocabulary()
    ids = np.asarray(vectorizer(tf.constant([str(c) for c in captions])))
    return [[vocabulary[i] for i in row if i != 0] for row in ids]


def _overlay(image, weights):
    """``image [S, S, 3]`` in [0, 1] dimmed, with ``weights [h, w]`` (scaled to S, normalized) in red/yellow."""
    size = image.shape[0]
    heat = tf.image.resize(weights[..., None], (size, size), method="bilinear").numpy()[..., 0]
    heat = heat / max(float(heat.max()), 1e-12)
    colour = np.stack([np.ones_like(heat), heat, np.zeros_like(heat)], axis=-1)
    return np.clip(0.35 * image + 0.65 * heat[..., None] * colour, 0.0, 1.0)


def draw_attention(model, captions, outdir, *, seed=0, scale=4, source="the model", words=None):
    """Writes ``attention_<k>.png`` per caption (its image, then each word's map) into ``outdir``.

    Args:
        model: a served AttnGAN (``{"captions", "z"}`` -> images).
        captions: sentences.
        outdir: an existing folder.
        seed: seed of the one ``z`` every caption is drawn with.
        scale: pixel upsampling of the PNGs.
        source: how errors name the model (e.g. its path).
        words: optional words to show (e.g. the colour and digit words); a caption's other words are left out of
            its PNG and its ``words`` (None: every word).

    Returns:
        ``{"attention_maps": [{"caption", "file", "words", "grid": [h, w]}, ...]}``.

    Raises:
        InputError: a model without attention maps.
    """
    text_encoder, generator = attention_parts(model, source)
    latent = feeds.latent_dim_of(generator)
    z = np.repeat(np.random.default_rng(seed).standard_normal((1, latent)).astype(np.float32), len(captions), 0)
    text = text_encoder(tf.constant([str(c) for c in captions]), training=False)
    drawn = generator(feeds.feed(generator, z=tf.constant(z), condition=text), training=False)
    images = from_tanh(drawn["image"])
    attention = np.asarray(drawn["attention"])                     # [B, h*w, T]
    side = int(round(np.sqrt(attention.shape[1])))
    tokens = caption_tokens(text_encoder, captions)
    entries = []
    wanted = None if words is None else set(words)
    for k, (caption, read) in enumerate(zip(captions, tokens)):
        shown = [(t, word) for t, word in enumerate(read) if wanted is None or word in wanted]
        maps = [_overlay(images[k], attention[k, :, t].reshape(side, side)) for t, _ in shown]
        shown_words = [word for _, word in shown]
        name = f"attention_{k + 1}.png"
        save_grid(pathlib.Path(outdir) / name, np.stack([images[k], *maps]), labels=["image", *shown_words],
                  ncols=len(shown) + 1, scale=scale)
        entries.append({"caption": str(caption), "file": name, "words": shown_words, "grid": [side, side]})
    return {"attention_maps": entries}


def _word_position(words, wanted):
    return words.index(wanted) if wanted in words else -1


def attention_check(generator, text_model, captions, attributes, *, seed=0, batch_size=250):
    """Where the colour words attend: stroke against background sub-regions of the generated images.

    Args:
        generator: an AttnGAN generator (outputs ``image`` and ``attention`` ``[B, h*w, T]``).
        text_model: the frozen text encoder.
        captions: ``[N]`` captions of the captioned digits (each names its stroke and background colours).
        attributes: ``{"stroke": [N], "background": [N]}`` colour indices (``COLOUR_NAMES``).
        seed: seed of the noise.
        batch_size: captions per generator call.

    Returns:
        ``{"stroke_word": {...}, "background_word": {...}, "num_captions": n}``, each with
        ``mass_on_stroke`` (mean share of the word's attention mass on stroke sub-regions),
        ``stroke_area`` (mean share of the sub-regions that are stroke), ``mean_on_stroke`` and
        ``mean_on_background`` (its mean weight per stroke / background sub-region). Captions whose
        colour words the tokens do not show are skipped.
    """
    from tfopt.data.captioned_digits import COLOUR_NAMES
    from tfopt.text2image.readers import stroke_map

    captions = [str(c) for c in captions]
    images, maps = [], []
    z = np.random.default_rng(seed).standard_normal((len(captions), feeds.latent_dim_of(generator))).astype(np.float32)
    for start in range(0, len(captions), batch_size):
        text = text_model(tf.constant(captions[start:start + batch_size]), training=False)
        drawn = generator(feeds.feed(generator, z=tf.constant(z[start:start + batch_size]), condition=text),
                          training=False)
        images.append(np.asarray(drawn["image"]))
        maps.append(np.asarray(drawn["attention"]))
    images, attention = np.concatenate(images), np.concatenate(maps)          # [N, S, S, 3], [N, h*w, T]
    side = int(round(np.sqrt(attention.shape[1])))
    grey = tf.image.resize(stroke_map(images)[..., None], (side, side), method="area").numpy().reshape(len(images), -1)
    stroke = grey > 0.5                                                        # [N, h*w]
    tokens = caption_tokens(text_model, captions)  # padding comes last: a word's index is its column
    scores = {}
    for key, role in (("stroke_word", "stroke"), ("background_word", "background")):
        rows = {"mass_on_stroke": [], "stroke_area": [], "mean_on_stroke": [], "mean_on_background": []}
        for n, words in enumerate(tokens):
            j = _word_position(words, COLOUR_NAMES[int(attributes[role][n])])
            if j < 0 or not stroke[n].any() or stroke[n].all():
                continue
            column = attention[n, :, j]
            rows["mass_on_stroke"].append(column[stroke[n]].sum() / max(column.sum(), 1e-12))
            rows["stroke_area"].append(stroke[n].mean())
            rows["mean_on_stroke"].append(column[stroke[n]].mean())
            rows["mean_on_background"].append(column[~stroke[n]].mean())
        scores[key] = {name: float(np.mean(v)) if v else None for name, v in rows.items()}
        scores[key]["num_captions"] = len(rows["stroke_area"])
    return scores

