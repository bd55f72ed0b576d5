"""Serving signatures: what an exported model takes and returns, with explicit names.

Three kinds of model are served:

* ``"generator"``: ``z [B, latent_dim]`` (plus integer ``labels [B]`` for a
  class-conditional model) -> ``images [B, H, W, C]``.
* ``"image"``: an image-to-image network (feed-forward style transfer, pix2pix):
  ``image [B, H, W, C]`` -> ``images [B, H, W, C]``.
* ``"text2image"``: raw sentences ``captions`` (string ``[B]``) and ``z [B, latent_dim]``
  -> ``images [B, H, W, C]``; its signatures are in :mod:`tfopt.export.text2image`.

``C`` is 3 (RGB) or 1 (grey, e.g. a DCGAN trained on the digits).

Every signature returns float32 images in **[0, 1]** whatever the network's own
range (a DCGAN generator ends in tanh, [-1, 1]; the conversion happens inside the
graph) and runs the network in inference mode (``training=False``: batch norm uses
its moving statistics, dropout is off). Signatures (names are what TF Serving and
``saved_model_cli`` show; never Keras' default ``inputs``/``output_0``):

=================  =====================================  ==========================
signature          inputs                                 outputs
=================  =====================================  ==========================
serving_default    z, [labels]  | image                   images  float32 [B,H,W,C]
truncated          z, [labels], truncation (generators)   images
png                z, [labels]  | image_bytes (string)    png_bytes  string [B]
=================  =====================================  ==========================

``truncation [B]`` is BigGAN's truncation trick: the entries of a sample's z beyond
``[-t, t]`` are *resampled* from the normal restricted to ``[-t, t]`` (drawn in the graph
by the inverse CDF, the distribution of redrawing until inside), not clipped; ``t = 0``
leaves that sample untouched and ``t < 0`` is an error. Labels outside the trained
classes are an error too (``InvalidArgument``), not silently garbage images. Names ending in ``_bytes`` make TF
Serving's REST API carry them as ``{"b64": ...}``.
"""
import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.nets.pix2pix import crop_back, pad_to_multiple

__all__ = [
    "ServingSpec",
    "describe_model",
    "serving_functions",
    "call_model",
    "reference_images",
    "sample_inputs",
    "to_unit",
    "from_unit",
    "resample_truncated",
    "KINDS",
    "RANGES",
    "register_kind",
]

KINDS = ("generator", "image", "text2image")
RANGES = ("unit", "tanh")
"""Value ranges: ``"unit"`` is [0, 1], ``"tanh"`` is [-1, 1]."""

_KIND_HANDLERS = {}
# Served kinds defined in their own modules (tfopt.export.text2image) register their functions here, so this
# module dispatches to them without importing them (the package's __init__ imports every kind module).


def register_kind(kind, **functions):
    """Registers the ``describe``, ``call`` and ``serving_functions`` of a served kind defined elsewhere."""
    _KIND_HANDLERS[kind] = functions


def _handler(kind):
    if kind not in _KIND_HANDLERS:
        raise InputError(f"expected a served kind with registered signatures; received: kind={kind!r} (import "
                         f"tfopt.export first)")
    return _KIND_HANDLERS[kind]


@dataclasses.dataclass(frozen=True)
class ServingSpec:
    """How to call a model and what its serving signatures look like.

    Attributes:
        kind: ``"generator"``, ``"image"`` or ``"text2image"``.
        latent_dim: length of z (generators), else None.
        conditional: whether a generator also takes integer class ``labels``.
        num_classes: number of classes of a conditional generator, if known.
        input_range: value range the image model expects (``"unit"`` or ``"tanh"``).
        output_range: value range the model produces.
        image_shape: ``(H, W, C)`` of the served input image (image models; H, W may
            be None) or of the generated image (generators; may hold None).
        input_order: order of the model's inputs, e.g. ``("z", "labels")``.
        labels_rank: rank of the model's labels input (1 for ``[B]``, 2 for ``[B, 1]``).
        multiple: image models: the side multiple the network needs (a U-Net with ``d``
            stride-2 layers needs ``2 ** d``); inputs of other sizes are padded up to it
            (the border reflected) and the output is cropped back, inside the graph.
    """

    kind: str
    latent_dim: int = None
    conditional: bool = False
    num_classes: int = None
    input_range: str = "unit"
    output_range: str = "unit"
    image_shape: tuple = (None, None, 3)
    input_order: tuple = ("image",)
    labels_rank: int = 1
    multiple: int = 1


def _shape(tensor):
    return tuple(None if d is None else int(d) for d in tensor.shape)


def _find_num_classes(model):
    for layer in getattr(model, "_flatten_layers", lambda: [])():
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
    return None


def describe_model(model, *, kind="auto", latent_dim=None, num_classes=None, input_range="auto",
                   output_range="auto", multiple=1):
    """Reads a model's inputs and returns its :class:`ServingSpec`.

    Args:
        model: a built Keras model. Functional/Sequential models are read from
            ``model.inputs``; for a subclassed model pass ``kind`` and ``latent_dim``.
        kind: ``"auto"`` (rank-2 float input -> generator, rank-4 -> image, a string
            input and a rank-2 float input -> text2image), or one of :data:`KINDS`.
        latent_dim: override the length of z.
        num_classes: number of classes of a conditional generator (default: the
            ``input_dim`` of its first Embedding layer, if any).
        input_range: range an image model expects: ``"auto"`` (= ``"unit"``) or one of
            :data:`RANGES`.
        output_range: range the model produces: ``"auto"`` (``"tanh"`` for generators,
            ``"unit"`` for image models) or one of :data:`RANGES`.
        multiple: image models: the side multiple the network needs (see :class:`ServingSpec`).

    Returns:
        A :class:`ServingSpec`.

    Raises:
        InputError: a model that is neither a generator nor an image network.
    """
    for name, value, choices in (("kind", kind, KINDS), ("input_range", input_range, RANGES),
                                 ("output_range", output_range, RANGES)):
        if value != "auto" and value not in choices:
            raise InputError(f"expected {name} in auto, {', '.join(choices)}; received: {name}={value!r}")
    try:
        inputs = list(model.inputs)
    except (AttributeError, ValueError):
        inputs = []
    if kind == "text2image" or (kind == "auto" and any(str(t.dtype) == "string" for t in inputs)):
        return _handler("text2image")["describe"](model, latent_dim=latent_dim, output_range=output_range)
    floats = [t for t in inputs if not str(t.dtype).startswith(("int", "uint"))]
    ints = [t for t in inputs if str(t.dtype).startswith(("int", "uint"))]
    if kind == "auto":
        ranks = [len(t.shape) for t in floats]
        if ranks == [2] or (not inputs and latent_dim):
            kind = "generator"
        elif ranks == [4] and not ints:
            kind = "image"
        else:
            shapes = ", ".join(f"{t.name}{_shape(t)}" for t in inputs) or "no symbolic inputs"
            raise InputError(
                "expected a generator (z [B, latent_dim], optional integer labels [B]) or an "
                f"image network (image [B, H, W, C]); received a model with inputs: {shapes}"
            )
    out_shape = (None, None, 3)
    try:
        out_shape = _shape(model.outputs[0])[1:]
    except (AttributeError, ValueError, IndexError):
        pass
    if kind == "generator":
        if latent_dim is None:
            if not floats or len(floats[0].shape) != 2:
                raise InputError("expected a generator with a z input [B, latent_dim]; received a model "
                                 "without one (pass latent_dim)")
            latent_dim = _shape(floats[0])[1]
        int_ids = {id(t) for t in ints}
        order = tuple("labels" if id(t) in int_ids else "z" for t in inputs) or ("z",)
        conditional = bool(ints)
        labels_rank = len(ints[0].shape) if ints else 1
        if conditional and num_classes is None:
            num_classes = _find_num_classes(model)
        if len(out_shape) != 3 or out_shape[-1] not in (1, 3):
            raise InputError(f"expected a generator producing images [B, H, W, 1 or 3]; received output "
                             f"shape {(None,) + tuple(out_shape)}")
        return ServingSpec(kind="generator", latent_dim=int(latent_dim), conditional=conditional,
                           num_classes=num_classes, input_range="unit",
                           output_range="tanh" if output_range == "auto" else output_range,
                           image_shape=tuple(out_shape), input_order=order, labels_rank=labels_rank)
    in_shape = _shape(floats[0])[1:] if floats else (None, None, 3)
    if len(in_shape) != 3 or in_shape[-1] not in (1, 3):
        raise InputError(f"expected an image network taking images [B, H, W, 1 or 3]; received input "
                         f"shape {(None,) + tuple(in_shape)}")
    if len(out_shape) != 3 or out_shape[-1] not in (1, 3):
        raise InputError(f"expected an image network producing images [B, H, W, 1 or 3]; received output "
                         f"shape {(None,) + tuple(out_shape)}")
    return ServingSpec(kind="image", input_range="unit" if input_range == "auto" else input_range,
                       output_range="unit" if output_range == "auto" else output_range,
                       image_shape=tuple(in_shape), input_order=("image",), multiple=int(multiple))


def to_unit(x, value_range):
    """Maps images from ``value_range`` to [0, 1] and clips (works on tensors and arrays)."""
    x = tf.convert_to_tensor(x, tf.float32)
    if value_range == "tanh":
        x = (x + 1.0) * 0.5
    return tf.clip_by_value(x, 0.0, 1.0)


def from_unit(x, value_range):
    """Maps images in [0, 1] to ``value_range``."""
    x = tf.convert_to_tensor(x, tf.float32)
    return x * 2.0 - 1.0 if value_range == "tanh" else x


def call_model(model, spec, *, z=None, labels=None, image=None, captions=None):
    """Runs the model in inference mode and returns its raw output (its own range).

    Args:
        model: the Keras model.
        spec: its :class:`ServingSpec`.
        z: ``[B, latent_dim]`` float32 (generators).
        labels: ``[B]`` integers (conditional generators).
        image: ``[B, H, W, C]`` in [0, 1] (image models; converted to the model's range).
        captions: string ``[B]`` (text-to-image models).

    Returns:
        The model's output tensor.
    """
    if spec.kind == "text2image":
        return _handler("text2image")["call"](model, spec, captions, z)
    if spec.kind == "image":
        x = from_unit(image, spec.input_range)
        if spec.multiple <= 1:
            return model(x, training=False)
        return _padded_call(model, x, spec.multiple)
    z = tf.convert_to_tensor(z, tf.float32)
    if not spec.conditional:
        return model([z] if _takes_list(model) else z, training=False)
    labels = tf.cast(tf.convert_to_tensor(labels), _labels_dtype(model))
    if spec.num_classes:
        message = f"expected labels in 0..{spec.num_classes - 1}"
        checks = [tf.debugging.assert_non_negative(labels, message=message),
                  tf.debugging.assert_less(labels, tf.cast(spec.num_classes, labels.dtype), message=message)]
        with tf.control_dependencies(checks):
            labels = tf.identity(labels)
    if spec.labels_rank == 2:
        labels = tf.reshape(labels, [-1, 1])
    feeds = {"z": z, "labels": labels}
    return model([feeds[name] for name in spec.input_order], training=False)


def _padded_call(model, x, multiple):
    """``model(x)`` with H, W padded up to multiples of ``multiple`` (reflected border), cropped back."""
    padded, box = pad_to_multiple(x, multiple)
    return crop_back(model(padded, training=False), box)


def _takes_list(model):
    """Whether a functional model was built with a list of inputs (``keras.Model([z], ...)``)."""
    try:
        return isinstance(model.input, list)
    except (AttributeError, ValueError):
        return False


def _labels_dtype(model):
    """dtype of the model's integer input (int32 when it cannot be read)."""
    for t in getattr(model, "inputs", None) or []:
        if str(t.dtype).startswith(("int", "uint")):
            return tf.as_dtype(str(t.dtype))
    return tf.int32


def reference_images(model, spec, inputs):
    """The Keras model's images in [0, 1] for a dict of signature inputs (the ground truth).

    Args:
        model: the Keras model.
        spec: its :class:`ServingSpec`.
        inputs: ``{"z": ..., "labels": ...}``, ``{"image": ...}`` or ``{"captions": ..., "z": ...}``.

    Returns:
        float32 numpy array ``[B, H, W, C]`` in [0, 1].
    """
    out = call_model(model, spec, z=inputs.get("z"), labels=inputs.get("labels"), image=inputs.get("image"),
                     captions=inputs.get("captions"))
    return to_unit(out, spec.output_range).numpy()


def sample_inputs(spec, *, batch, seed=0, images=None, captions=None):
    """Signature inputs for comparisons and calibration.

    Args:
        spec: the :class:`ServingSpec`.
        batch: number of samples.
        seed: NumPy seed for z ~ N(0, 1) and the labels.
        images: for image models, ``[B, H, W, C]`` float32 in [0, 1] (required).
        captions: for text-to-image models, sentences (required; cycled to ``batch``).

    Returns:
        ``{"z": float32 [B, latent_dim], "labels": int32 [B]}`` (labels only for
        conditional generators: cycling through the classes), ``{"image": images}``
        or ``{"captions": object [B] of str, "z": ...}``.
    """
    if spec.kind == "image":
        if images is None:
            raise InputError("expected images for an image network; received: images=None")
        return {"image": np.asarray(images, np.float32)}
    rng = np.random.default_rng(seed)
    feeds = {"z": rng.standard_normal((batch, spec.latent_dim)).astype(np.float32)}
    if spec.kind == "text2image":
        if captions is None or not len(captions):
            raise InputError("expected captions for a text-to-image model; received: captions=None")
        return {"captions": np.array([captions[i % len(captions)] for i in range(batch)], object), **feeds}
    if spec.conditional:
        classes = spec.num_classes or 10
        feeds["labels"] = (np.arange(batch) % classes).astype(np.int32)
    return feeds


def _input_specs(spec):
    if spec.kind == "image":
        return {"image": tf.TensorSpec([None, *spec.image_shape], tf.float32, name="image")}
    specs = {"z": tf.TensorSpec([None, spec.latent_dim], tf.float32, name="z")}
    if spec.conditional:
        specs["labels"] = tf.TensorSpec([None], tf.int32, name="labels")
    return specs


def _to_uint8(images):
    """float in [0, 1] -> uint8 by rounding (convert_image_dtype truncates x * 255.5)."""
    return tf.cast(tf.round(tf.clip_by_value(images, 0.0, 1.0) * 255.0), tf.uint8)


def resample_truncated(z, truncation):
    """BigGAN's truncation in the graph: entries of ``z`` beyond ``±t`` are redrawn inside (per sample).

    The redraw is the inverse CDF of a uniform on ``[Phi(-t), Phi(t)]``, which has the
    distribution of redrawing a normal until it falls inside; ``t = 0`` leaves a sample
    as it is, ``t < 0`` raises ``InvalidArgument``.

    Args:
        z: ``[B, D]`` noise.
        truncation: ``[B]`` thresholds.

    Returns:
        ``[B, D]`` noise.
    """
    t = tf.reshape(tf.cast(truncation, z.dtype), [-1, 1])
    check = tf.debugging.assert_non_negative(t, message="expected truncation >= 0 (0: none)")
    with tf.control_dependencies([check]):
        low = 0.5 * tf.math.erfc(t / np.sqrt(2.0))  # Phi(-t)
    redraw = tf.math.ndtri(low + tf.random.uniform(tf.shape(z), dtype=z.dtype) * (1.0 - 2.0 * low))
    return tf.where((t > 0.0) & (tf.abs(z) > t), tf.clip_by_value(redraw, -t, t), z)


def _png_batch(images):
    """float [B, H, W, C] in [0, 1] -> string [B] of PNG bytes."""
    return tf.map_fn(tf.io.encode_png, _to_uint8(images), fn_output_signature=tf.TensorSpec([], tf.string))


def serving_functions(model, spec):
    """The serving signatures as plain Python functions with their input specs.

    Args:
        model: the Keras model (tracked by the caller's export archive).
        spec: its :class:`ServingSpec`.

    Returns:
        ``{signature name: (fn, [tf.TensorSpec, ...])}``; each ``fn`` takes the named
        inputs positionally in the order of the specs and returns ``{output name: tensor}``.
        ``serving_default`` comes first.
    """
    if spec.kind == "text2image":
        return _handler("text2image")["serving_functions"](model, spec)
    specs = _input_specs(spec)
    order = list(specs)

    def images_from(**feeds):
        return to_unit(call_model(model, spec, **feeds), spec.output_range)

    def serving_default(*args):
        return {"images": images_from(**dict(zip(order, args)))}

    functions = {"serving_default": (serving_default, [specs[k] for k in order])}
    if spec.kind == "generator":
        def truncated(*args):
            feeds = dict(zip(order, args[:-1]))
            feeds["z"] = resample_truncated(feeds["z"], args[-1])
            return {"images": images_from(**feeds)}

        def png(*args):
            return {"png_bytes": _png_batch(images_from(**dict(zip(order, args))))}

        trunc_spec = tf.TensorSpec([None], tf.float32, name="truncation")
        functions["truncated"] = (truncated, [specs[k] for k in order] + [trunc_spec])
        functions["png"] = (png, [specs[k] for k in order])
        return functions

    fixed_hw = spec.image_shape[:2] if None not in spec.image_shape[:2] else None

    def one_png(encoded):
        image = tf.io.decode_image(encoded, channels=spec.image_shape[-1], expand_animations=False)
        image = tf.cast(image, tf.float32) / 255.0
        if fixed_hw is not None:
            image = tf.image.resize(image, fixed_hw, antialias=True)
        out = images_from(image=image[tf.newaxis])[0]
        return tf.io.encode_png(_to_uint8(out))

    def png_from_bytes(image_bytes):
        return {"png_bytes": tf.map_fn(one_png, image_bytes, fn_output_signature=tf.TensorSpec([], tf.string))}

    functions["png"] = (png_from_bytes, [tf.TensorSpec([None], tf.string, name="image_bytes")])
    return functions
