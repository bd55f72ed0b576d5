"""Export of text-to-image generators: raw sentences in, images out.

A text-to-image model is a Keras functional model with a ``captions`` input
(``tf.string [B]``: raw sentences, tokenized by a ``keras.layers.TextVectorization``
inside the model) and a ``z`` input (``float32 [B, latent_dim]``), producing images
``[B, H, W, C]`` (tanh, [-1, 1], unless told otherwise). Its signatures:

=================  ====================================  ==============================
signature          inputs                                outputs
=================  ====================================  ==============================
serving_default    captions string [B], z float32 [B,L]  images float32 [B,H,W,C], [0, 1]
seeded             captions string [B], seed int64 [B]   images
png                captions, z                           png_bytes string [B]
=================  ====================================  ==============================

``seeded`` draws each row's z in the graph as
``tf.random.stateless_normal([latent_dim], seed=[seed_i, 0], alg="philox")``: one seed
gives the same image in every request, whatever the batch and the device
(:func:`seeded_z` computes the same z outside the graph). TensorFlow does not
promise the same stateless stream across its versions.

TFLite gets the *image part* only: the string ops (TextVectorization's
lowercasing, splitting and vocabulary lookup) are not TFLite built-ins
(:mod:`tfopt.export.image_part` cuts the model there).

Example:
    from tfopt import export
    spec = export.describe_model(model)                    # kind "text2image"
    export.export_model(model, "models/t2i/1", captions=["a thick red seven on a blue background"])
    z = export.seeded_z([7], spec.latent_dim)               # the z the `seeded` signature draws for seed 7
"""
import re

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.export import signatures as sigs

__all__ = [
    "TFLITE_NOTE",
    "describe_text2image",
    "call_text2image",
    "seeded_z",
    "serving_functions",
    "warmup_inputs",
    "string_inputs",
    "model_vocabulary",
    "comparison_captions",
    "parse_captions",
    "unknown_words",
]

TFLITE_NOTE = ("TFLite gets the image part only (text features, z -> images): the string ops "
               "(TextVectorization) are not TFLite built-ins, so the text part runs in the SavedModel")
_STRIP = re.compile(r"[!\"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~']")  # Keras' default punctuation


def string_inputs(model):
    """The model's string inputs (symbolic tensors)."""
    return [t for t in getattr(model, "inputs", None) or [] if str(t.dtype) == "string"]


def describe_text2image(model, *, latent_dim=None, output_range="auto"):
    """The :class:`~tfopt.export.signatures.ServingSpec` of a text-to-image model.

    Args:
        model: a functional Keras model with one string input (captions ``[B]`` or
            ``[B, 1]``) and one rank-2 float input (z).
        latent_dim: override the length of z.
        output_range: ``"auto"`` (= ``"tanh"``), ``"tanh"`` or ``"unit"``.

    Returns:
        A ServingSpec with ``kind="text2image"`` and ``input_order`` the model's
        input order, e.g. ``("captions", "z")``.

    Raises:
        InputError: not one string input and one z input, or no image output.
    """
    inputs = list(getattr(model, "inputs", None) or [])
    strings = string_inputs(model)
    others = [t for t in inputs if str(t.dtype) != "string"]
    if len(strings) != 1 or len(strings[0].shape) not in (1, 2) or len(others) != 1 or len(others[0].shape) != 2:
        shapes = ", ".join(f"{t.name}{tuple(t.shape)} {t.dtype}" for t in inputs) or "no symbolic inputs"
        raise InputError("expected a text-to-image model (captions string [B], z float32 [B, latent_dim]); "
                         f"received a model with inputs: {shapes}")
    out_shape = tuple(model.outputs[0].shape)[1:]
    if len(out_shape) != 3 or out_shape[-1] not in (1, 3):
        raise InputError(f"expected a text-to-image model producing images [B, H, W, 1 or 3]; received output "
                         f"shape {(None,) + out_shape}")
    order = tuple("captions" if str(t.dtype) == "string" else "z" for t in inputs)
    return sigs.ServingSpec(kind="text2image", latent_dim=int(latent_dim or others[0].shape[1]),
                            output_range="tanh" if output_range == "auto" else output_range,
                            image_shape=out_shape, input_order=order)


def call_text2image(model, spec, captions, z):
    """``model([captions, z], training=False)`` (the model's own range), with a batch check.

    Args:
        model: the Keras model.
        spec: its ServingSpec.
        captions: string ``[B]``.
        z: float32 ``[B, latent_dim]``.

    Returns:
        The image tensor.
    """
    captions = tf.convert_to_tensor(captions, tf.string)
    z = tf.convert_to_tensor(z, tf.float32)
    check = tf.debugging.assert_equal(tf.shape(captions)[0], tf.shape(z)[0],
                                      message="expected as many captions as rows of z")
    with tf.control_dependencies([check]):
        captions = tf.identity(captions)
    if len(string_inputs(model)[0].shape) == 2:
        captions = tf.reshape(captions, [-1, 1])
    feeds = {"captions": captions, "z": z}
    return model([feeds[name] for name in spec.input_order], training=False)


def seeded_z(seed, latent_dim):
    """z drawn per row from an integer seed, as the ``seeded`` signature draws it.

    Args:
        seed: integers ``[B]``.
        latent_dim: length of z.

    Returns:
        float32 tensor ``[B, latent_dim]``; row i is
        ``tf.random.stateless_normal([latent_dim], seed=[seed[i], 0], alg="philox")``.
    """
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
    zero = tf.constant(0, tf.int64)
    return tf.map_fn(lambda s: tf.random.stateless_normal([latent_dim], seed=tf.stack([s, zero]), alg="philox"),
                     seed, fn_output_signature=tf.TensorSpec([latent_dim], tf.float32))


def serving_functions(model, spec):
    """``{name: (fn, [TensorSpec, ...])}`` for serving_default, seeded and png (see the module)."""
    captions = tf.TensorSpec([None], tf.string, name="captions")
    z_spec = tf.TensorSpec([None, spec.latent_dim], tf.float32, name="z")

    def images_from(text, z):
        return sigs.to_unit(call_text2image(model, spec, text, z), spec.output_range)

    def serving_default(text, z):
        return {"images": images_from(text, z)}

    def seeded(text, seed):
        return {"images": images_from(text, seeded_z(seed, spec.latent_dim))}

    def png(text, z):
        return {"png_bytes": sigs._png_batch(images_from(text, z))}

    return {"serving_default": (serving_default, [captions, z_spec]),
            "seeded": (seeded, [captions, tf.TensorSpec([None], tf.int64, name="seed")]),
            "png": (png, [captions, z_spec])}


def warmup_inputs(spec):
    """One batch-1 request per signature (TF Serving's warm-up file)."""
    feeds = {"captions": np.array([b"a warm-up caption"], object),
             "z": np.zeros((1, spec.latent_dim), np.float32)}
    return {"serving_default": feeds, "seeded": {"captions": feeds["captions"], "seed": np.array([0], np.int64)},
            "png": feeds}


def _vectorizer(model):
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.TextVectorization):
            return layer
    return None


def model_vocabulary(model):
    """The words of the model's first TextVectorization layer, without padding and [UNK] (None: no such layer)."""
    layer = _vectorizer(model)
    if layer is None:
        return None
    return [w for w in layer.get_vocabulary() if w not in ("", "[UNK]")]


def comparison_captions(model, captions=None, *, count=8, seed=0):
    """The captions the export compares on: ``captions`` cycled to ``count``.

    Args:
        model: the text-to-image model.
        captions: sentences, or None for ``count`` sentences of 4 to 8 words drawn
            (seeded) from the model's TextVectorization vocabulary.
        count: number of captions returned.
        seed: NumPy seed for the drawn sentences.

    Returns:
        A list of ``count`` str.

    Raises:
        InputError: an empty caption, or no captions and no vocabulary to draw from.
    """
    if captions is None:
        vocabulary = model_vocabulary(model)
        if not vocabulary:
            raise InputError("expected captions for a text-to-image model without a TextVectorization "
                             "vocabulary; received: captions=None")
        rng = np.random.default_rng(seed)
        captions = [" ".join(rng.choice(vocabulary, size=int(rng.integers(4, 9)))) for _ in range(count)]
    captions = [c.decode("utf-8") if isinstance(c, bytes) else str(c) for c in captions]
    empty = [i for i, c in enumerate(captions) if not c.strip()]
    if not captions or empty:
        raise InputError(f"expected non-empty captions; received: {len(captions)} captions, empty at "
                         f"{empty or 'all'}")
    return [captions[i % len(captions)] for i in range(count)]


def parse_captions(text):
    """Splits ``"first caption;second caption"`` into a list; an empty caption is an InputError."""
    parts = [part.strip() for part in str(text).split(";")]
    if not parts or any(not part for part in parts):
        raise InputError(f"expected non-empty captions separated by ';'; received: captions={text!r}")
    return parts


def unknown_words(model, captions):
    """The words of ``captions`` outside the model's vocabulary (they map to [UNK]), sorted.

    Words are standardized as Keras' default ``lower_and_strip_punctuation`` does
    (also for a vectorizer configured otherwise: an approximation there).

    Args:
        model: the text-to-image model.
        captions: sentences.

    Returns:
        A sorted list of str (empty without a TextVectorization layer).
    """
    vocabulary = model_vocabulary(model)
    if vocabulary is None:
        return []
    known = set(vocabulary)
    words = {w for c in captions for w in _STRIP.sub("", str(c).lower()).split()}
    return sorted(words - known)


sigs.register_kind("text2image", describe=describe_text2image, call=call_text2image,
                   serving_functions=serving_functions)
