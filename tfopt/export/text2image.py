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
lowercasing, splitting and vocabulary lookup) are not TFLite built-ins.
:func:`split_model` cuts the functional graph where tensors computed from the
captions alone enter ops that also see z (the sentence vector entering the
generator), so ``image_model([text features..., z]) == model([captions, z])``.

Example:
    from tfopt import export
    spec = export.describe_model(model)                    # kind "text2image"
    export.export_model(model, "models/t2i/1", captions=["a thick red seven on a blue background"])
    split = export.split_model(model)                      # text part | image part
"""
import dataclasses
import re

import keras
import numpy as np
import tensorflow as tf
from keras import tree

from tfopt.core.errors import InputError
from tfopt.export import signatures as sigs

__all__ = [
    "TFLITE_NOTE",
    "Split",
    "describe_text2image",
    "call_text2image",
    "seeded_z",
    "serving_functions",
    "warmup_inputs",
    "split_model",
    "comparison_captions",
    "parse_captions",
    "unknown_words",
]

TFLITE_NOTE = ("TFLite gets the image part only (text features, z -> images): the string ops "
               "(TextVectorization) are not TFLite built-ins, so the text part runs in the SavedModel")
_STRIP = re.compile(r"[!\"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~']")  # Keras' default punctuation


def _string_inputs(model):
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
    strings = _string_inputs(model)
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
    if len(_string_inputs(model)[0].shape) == 2:
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


@dataclasses.dataclass(frozen=True)
class Split:
    """A text-to-image model cut into its text part and its image part.

    Attributes:
        text_model: ``captions -> [text features]`` (the string ops live here).
        image_model: ``[text features..., z] -> images`` in the model's own range;
            shares its layers (and weights) with the full model.
        feature_names: names of the image part's feature inputs
            (``("text_features",)`` or ``text_features_0, _1, ...``).
    """

    text_model: keras.Model
    image_model: keras.Model
    feature_names: tuple

    def image_inputs(self, inputs):
        """``{feature name: array, "z": z}`` for the image part from ``{"captions", "z"}`` inputs."""
        captions = tf.convert_to_tensor(inputs["captions"], tf.string)
        if len(self.text_model.inputs[0].shape) == 2:
            captions = tf.reshape(captions, [-1, 1])
        features = tree.flatten(self.text_model(captions, training=False))
        feeds = {name: keras.ops.convert_to_numpy(f) for name, f in zip(self.feature_names, features)}
        feeds["z"] = np.asarray(inputs["z"], np.float32)
        return feeds

    def input_signature(self):
        """``{name: [dtype, shape]}`` of the image part's inputs."""
        return {t.name: [str(t.dtype), list(t.shape)] for t in self.image_model.inputs}

    def export(self, directory, spec):
        """Writes the image part as a SavedModel: ``serving_default(text features..., z) -> images [0, 1]``."""
        specs = [tf.TensorSpec(t.shape, t.dtype, name=t.name) for t in self.image_model.inputs]

        def serving_default(*args):
            return {"images": sigs.to_unit(self.image_model(list(args), training=False), spec.output_range)}

        archive = keras.export.ExportArchive()
        archive.track(self.image_model)
        archive.add_endpoint("serving_default", serving_default, input_signature=specs)
        archive.write_out(str(directory), verbose=False)

    def representative(self, captions, spec, *, count, seed):
        """int8 calibration inputs of the image part: ``count`` batch-1 dicts, z ~ N(0, 1).

        The captions are ``captions`` and as many sentences drawn (seeded) from the
        vocabulary, cycled to ``count``, so the text features cover more than a few sentences.
        """
        vocabulary = _vocabulary(self.text_model)
        if vocabulary:
            captions = list(captions) + comparison_captions(self.text_model, count=len(captions), seed=seed)
        rows = [captions[i % len(captions)] for i in range(count)]
        z = np.random.default_rng(seed).standard_normal((count, spec.latent_dim)).astype(np.float32)
        feeds = self.image_inputs({"captions": np.array(rows, object), "z": z})
        return [{k: v[i : i + 1] for k, v in feeds.items()} for i in range(count)]


def _producer(tensor):
    operation, node_index, _ = tensor._keras_history
    return operation, operation._inbound_nodes[node_index]


def _text_only_tensors(model, text_input):
    """The tensors computed from the captions alone that enter ops which also see z (graph order)."""
    sources, cut, seen = {}, [], set()

    def sources_of(tensor):
        key = id(tensor)
        if key not in sources:
            _, node = _producer(tensor)
            found = {key} if node.is_input else set()
            for x in [] if node.is_input else node.input_tensors:
                found |= sources_of(x)
            sources[key] = frozenset(found)
        return sources[key]

    def visit(tensor):
        if id(tensor) in seen:
            return
        seen.add(id(tensor))
        if sources_of(tensor) == {id(text_input)}:
            if str(tensor.dtype) == "string":
                raise InputError(f"expected the captions to become numbers before they meet z; received "
                                 f"a string tensor {tensor.name} entering the image part")
            cut.append(tensor)
            return
        _, node = _producer(tensor)
        for x in [] if node.is_input else node.input_tensors:
            visit(x)

    for output in model.outputs:
        visit(output)
    return cut


def _rebuild(model, replacements):
    """The model's outputs recomputed from ``replacements`` ({id(tensor): new Input}) by calling its layers."""
    computed = dict(replacements)

    def compute(tensor):
        if id(tensor) not in computed:
            operation, node = _producer(tensor)
            if node.is_input:
                raise InputError(f"expected the image part to need only text features and z; received a "
                                 f"model whose output needs input {tensor.name} directly")
            args, kwargs = node.arguments.fill_in({id(x): compute(x) for x in node.input_tensors})
            for old, new in zip(node.outputs, tree.flatten(operation(*args, **kwargs))):
                computed[id(old)] = new
        return computed[id(tensor)]

    return [compute(t) for t in model.outputs]


def split_model(model):
    """Cuts a text-to-image model into its text part and its image part.

    The cut is found from the graph: the tensors that depend on the captions only
    and enter an op that also depends on z (for text_encoder -> generator models,
    the sentence vector the generator takes). The image part calls the model's own
    layers on new inputs, so it shares the weights. Keras masks do not cross the
    cut (pass a mask as a tensor if the image part needs one).

    Args:
        model: a functional text-to-image model (see :func:`describe_text2image`).

    Returns:
        A :class:`Split`.

    Raises:
        InputError: not a functional model with one string input, or the images do
            not depend on the captions.
    """
    strings = _string_inputs(model)
    if len(strings) != 1 or len(model.inputs) != 2:
        raise InputError("expected a functional text-to-image model (captions string [B], z); received one with "
                         f"inputs: {[t.name for t in getattr(model, 'inputs', None) or []]}")
    text_input = strings[0]
    z_input = next(t for t in model.inputs if t is not text_input)
    cut = _text_only_tensors(model, text_input)
    if not cut:
        raise InputError("expected images that depend on the captions; received a model whose outputs "
                         "do not use them")
    names = ("text_features",) if len(cut) == 1 else tuple(f"text_features_{i}" for i in range(len(cut)))
    new_inputs = [keras.Input(batch_shape=t.shape, dtype=t.dtype, name=n) for t, n in zip(cut, names)]
    new_z = keras.Input(batch_shape=z_input.shape, dtype=z_input.dtype, name="z")
    replacements = {id(t): new for t, new in zip(cut, new_inputs)}
    replacements[id(z_input)] = new_z
    outputs = _rebuild(model, replacements)
    image_model = keras.Model([*new_inputs, new_z], outputs[0], name=f"{model.name}_image_part")
    text_model = keras.Model(text_input, list(cut), name=f"{model.name}_text_part")
    return Split(text_model=text_model, image_model=image_model, feature_names=names)


def _vectorizer(model):
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.TextVectorization):
            return layer
    return None


def _vocabulary(model):
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
        vocabulary = _vocabulary(model)
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
    vocabulary = _vocabulary(model)
    if vocabulary is None:
        return []
    known = set(vocabulary)
    words = {w for c in captions for w in _STRIP.sub("", str(c).lower()).split()}
    return sorted(words - known)
