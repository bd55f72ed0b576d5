"""SavedModel export for TensorFlow Serving: named signatures, inference mode, warm-up.

TF Serving loads ``<base>/<model_name>/<version>/`` (a SavedModel per integer
version). :func:`export_saved_model` writes one such version directory:

* ``saved_model.pb`` + ``variables/``: the signatures of
  :mod:`tfopt.export.signatures` (``serving_default`` first), written with Keras'
  own ``keras.export.ExportArchive``;
* ``assets.extra/tf_serving_warmup_requests``: a TFRecord of ``PredictionLog``
  protos that TF Serving replays at load time so the first real request is not the
  slow one (graph optimization, memory allocation). Writing it needs
  tensorflow-serving-api (the ``serving`` extra); without it the file is skipped
  with one line on stderr and the SavedModel is complete otherwise;
* ``assets.extra/tfopt_export.json``: what the model takes and returns (kind,
  latent_dim, classes, signatures) for clients; TF Serving ignores it.
"""
import dataclasses
import pathlib
import sys

import keras
import numpy as np
import tensorflow as tf

from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.export import signatures as sigs

__all__ = ["export_saved_model", "write_warmup", "warmup_unavailable", "load_saved_model", "WARMUP_FILE",
           "METADATA_FILE", "SERVING_INSTALL"]

WARMUP_FILE = "assets.extra/tf_serving_warmup_requests"
METADATA_FILE = "assets.extra/tfopt_export.json"
SERVING_INSTALL = "pip install -e '.[serving]'"


def _serving_protos():
    """``(predict_pb2, prediction_log_pb2)`` of tensorflow-serving-api, or the ImportError."""
    try:
        from tensorflow_serving.apis import predict_pb2, prediction_log_pb2
    except ImportError as err:
        return err
    return predict_pb2, prediction_log_pb2


def warmup_unavailable():
    """Says why the warm-up file cannot be written here, or returns None when it can.

    Returns:
        None when tensorflow-serving-api imports, else a short reason naming the fix,
        e.g. "tensorflow-serving-api is not installed (pip install -e '.[serving]')".
    """
    protos = _serving_protos()
    if isinstance(protos, ImportError):
        return f"tensorflow-serving-api is not installed ({SERVING_INSTALL})"
    return None


def export_saved_model(model, spec, directory, *, model_name="model", warmup=True):
    """Writes the model's serving signatures as a SavedModel in ``directory``.

    Args:
        model: a built Keras model.
        spec: its :class:`~tfopt.export.signatures.ServingSpec`.
        directory: the version directory to write (created; should be new or empty).
        model_name: the name TF Serving serves it under (recorded in warm-up requests).
        warmup: also write ``assets.extra/tf_serving_warmup_requests``. Without
            tensorflow-serving-api the file is skipped and one line saying so (and
            how to get it) goes to stderr; ``assets.extra/tfopt_export.json`` records
            whether it was written (``"warmup_requests"``: the path or None).

    Returns:
        ``{signature name: {"inputs": {name: [dtype, shape]}, "outputs": {...}}}``.

    Example:
        spec = describe_model(generator)
        export_saved_model(generator, spec, "models/dcgan/1", model_name="dcgan")
    """
    directory = pathlib.Path(directory)
    functions = sigs.serving_functions(model, spec)
    # Keras' own export path: ExportArchive tracks the model's variables and makes
    # each endpoint a SavedModel signature whose input names come from the
    # TensorSpec names and whose output names are the returned dict's keys.
    archive = keras.export.ExportArchive()
    archive.track(model)
    endpoints = {name: archive.add_endpoint(name, fn, input_signature=specs)
                 for name, (fn, specs) in functions.items()}
    archive.write_out(str(directory), verbose=False)
    described = _describe_signatures(endpoints)
    # ExportArchive has no notion of assets.extra (it is TF Serving's convention,
    # not part of the SavedModel proto), so those files are written directly.
    skipped = warmup_unavailable() if warmup else None
    if skipped:
        print(f"tfopt: skipped the TF Serving warm-up file {WARMUP_FILE}: {skipped}", file=sys.stderr, flush=True)
    elif warmup:
        write_warmup(directory, spec, model_name=model_name)
    meta = {"model_name": model_name, "spec": dataclasses.asdict(spec), "signatures": described,
            "warmup_requests": WARMUP_FILE if warmup and not skipped else None}
    files.write_json(directory / METADATA_FILE, meta)
    return described


def _describe_signatures(endpoints):
    out = {}
    for name, fn in endpoints.items():
        concrete = fn.get_concrete_function()
        outputs = concrete.structured_outputs
        out[name] = {
            "inputs": {s.name: [s.dtype.name, list(s.shape.as_list())] for s in concrete.structured_input_signature[0]},
            "outputs": {k: [v.dtype.name, list(v.shape.as_list())] for k, v in outputs.items()},
        }
    return out


def _warmup_inputs(spec):
    """One small request per signature (batch 1)."""
    if spec.kind == "text2image":
        from tfopt.export import text2image

        return text2image.warmup_inputs(spec)
    if spec.kind == "generator":
        feeds = sigs.sample_inputs(spec, batch=1, seed=0)
        return {
            "serving_default": feeds,
            "truncated": {**feeds, "truncation": np.array([2.0], np.float32)},
            "png": feeds,
        }
    h, w = (d if d is not None else 64 for d in spec.image_shape[:2])
    image = np.full((1, h, w, spec.image_shape[-1]), 0.5, np.float32)
    encoded = tf.io.encode_png(tf.image.convert_image_dtype(image[0], tf.uint8)).numpy()
    return {"serving_default": {"image": image}, "png": {"image_bytes": np.array([encoded], object)}}


def write_warmup(directory, spec, *, model_name="model"):
    """Writes ``assets.extra/tf_serving_warmup_requests`` (one PredictRequest per signature).

    Args:
        directory: the SavedModel version directory.
        spec: the model's :class:`~tfopt.export.signatures.ServingSpec`.
        model_name: the served model name put in each request's ``model_spec``.

    Returns:
        The path of the warm-up file.

    Raises:
        InputError: tensorflow-serving-api is not installed.
    """
    protos = _serving_protos()
    if isinstance(protos, ImportError):
        raise InputError(f"expected tensorflow-serving-api for the warm-up file ({SERVING_INSTALL}); "
                         f"received: {protos}")
    predict_pb2, prediction_log_pb2 = protos
    path = pathlib.Path(directory) / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for signature, feeds in _warmup_inputs(spec).items():
            request = predict_pb2.PredictRequest()
            request.model_spec.name = model_name
            request.model_spec.signature_name = signature
            for key, value in feeds.items():
                request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


def load_saved_model(directory):
    """Loads an exported SavedModel and returns ``{signature name: callable}``.

    Each callable takes the named inputs as keyword arguments (numpy arrays or
    tensors) and returns ``{output name: numpy array}``.

    Args:
        directory: the version directory.

    Returns:
        A dict of callables, e.g. ``load_saved_model(d)["serving_default"](z=z)["images"]``.
    """
    loaded = tf.saved_model.load(str(directory))

    def wrap(fn):
        def call(**feeds):
            args = fn.structured_input_signature[1]
            tensors = {k: tf.convert_to_tensor(v, args[k].dtype) for k, v in feeds.items()}
            return {k: v.numpy() for k, v in fn(**tensors).items()}

        call.signature = fn
        call.keep_alive = loaded  # the functions need the loaded object's variables
        return call

    return {name: wrap(fn) for name, fn in loaded.signatures.items()}
