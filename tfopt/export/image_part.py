"""The image part of a text-to-image model: what follows the string ops, for TFLite.

TextVectorization's string ops (lowercasing, splitting, vocabulary lookup) are not
TFLite built-ins, so TFLite gets the image part only. :func:`split_model` cuts the
functional graph where tensors computed from the captions alone enter ops that
also see z (for a text encoder feeding a generator: the sentence vector), so that
``image_model([text features..., z]) == model([captions, z])``. The image part calls
the model's own layers on new inputs: it shares the weights and leaves the model
as it was (it still saves and loads).

Example:
    split = split_model(model)
    feeds = split.image_inputs({"captions": captions, "z": z})   # text_features, z
    split.export("scratch/image_part", spec)                      # then convert to TFLite
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf
from keras import tree

from tfopt.core.errors import InputError
from tfopt.export import signatures as sigs
from tfopt.export.text2image import comparison_captions, model_vocabulary, string_inputs

__all__ = ["Split", "split_model"]


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
        vocabulary = model_vocabulary(self.text_model)
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
    strings = string_inputs(model)
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
