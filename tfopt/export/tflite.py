"""TFLite (LiteRT) conversion of an exported SavedModel, and running it with ai_edge_litert.

Four quantizations:

=========  ===============================================================  ================
name       what                                                             needs
=========  ===============================================================  ================
fp32       float32 weights and activations                                  -
fp16       float16 weights (dequantized to float32 on CPU)                  -
dynamic    int8 weights, activations quantized on the fly (dynamic range)   -
int8       full integer: int8 weights and activations, calibrated;          representative
           float32 in/out (quantize/dequantize at the edges)                inputs
=========  ===============================================================  ================

Only TFLite's built-in ops are allowed (``TFLITE_BUILTINS``, and
``TFLITE_BUILTINS_INT8`` for int8): a model that would need the Select TF ops
(the TensorFlow kernels bundled with a bigger runtime) is refused with an
:class:`UnsupportedOpsError` naming the ops.

Conversion starts from the exported SavedModel's ``serving_default`` signature (not
``model.export(format="litert")``, which converts the bare ``model.__call__``): so
the .tflite file has the same named inputs and outputs and the same in-graph
conversion to [0, 1] as the served model.
"""
import pathlib
import re
import warnings

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError

__all__ = ["QUANTIZATIONS", "UnsupportedOpsError", "convert_saved_model", "TFLiteModel"]

QUANTIZATIONS = ("fp32", "fp16", "dynamic", "int8")


class UnsupportedOpsError(InputError):
    """A model needs TensorFlow ops that are not TFLite built-ins (one line, names the ops)."""


_OP_LISTS = re.compile(r"^(TF Select ops|Custom ops|Flex ops):\s*(.+)$", re.MULTILINE)
_NOT_SUPPORTED = re.compile(r"'(tf\.\w+)' op is neither a custom op nor a flex op")
_NO_INT8 = re.compile(r"'(tfl?\.\w+)' op[^\n]*(?:quantiz|int8)[^\n]*", re.IGNORECASE)


def _ops_from_error(text):
    ops = []
    for _, listed in _OP_LISTS.findall(text):
        ops += [op.strip() for op in listed.split(",") if op.strip()]
    if not ops:
        ops = [name.removeprefix("tf.") for name in _NOT_SUPPORTED.findall(text)]
    return sorted(set(ops))


def convert_saved_model(saved_model_dir, quantization="fp32", *, representative=None,
                        signature="serving_default"):
    """Converts one signature of a SavedModel to a TFLite flatbuffer (built-in ops only).

    Args:
        saved_model_dir: an exported SavedModel (see
            :func:`tfopt.export.saved_model.export_saved_model`).
        quantization: one of :data:`QUANTIZATIONS`.
        representative: for ``"int8"``: an iterable (re-iterable, e.g. a list) of
            ``{input name: numpy array with batch 1}`` used to calibrate activation
            ranges: z ~ N(0, 1) for generators, real photos for image networks.
        signature: the signature to convert.

    Returns:
        The ``.tflite`` model as bytes.

    Raises:
        UnsupportedOpsError: the model needs ops outside TFLite's built-in set.
        InputError: unknown quantization, or int8 without representative inputs.
    """
    if quantization not in QUANTIZATIONS:
        raise InputError(f"expected quantization in {', '.join(QUANTIZATIONS)}; "
                         f"received: quantization={quantization!r}")
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir), signature_keys=[signature])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "int8":
        if representative is None:
            raise InputError("expected representative inputs for int8 calibration; received: None")
        samples = list(representative)
        if not samples:
            raise InputError("expected at least one representative input for int8; received: 0")
        converter.representative_dataset = lambda: iter(samples)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    try:
        with warnings.catch_warnings():
            # The int8 calibrator inside TensorFlow still uses tf.lite.Interpreter and warns
            # about its deprecation; tfopt itself runs models with ai_edge_litert.
            warnings.filterwarnings("ignore", message=r"\s*Warning: tf.lite.Interpreter is deprecated")
            return converter.convert()
    except Exception as err:  # ConverterError, or a RuntimeError from the quantizer
        text = str(err)
        ops = _ops_from_error(text)
        if ops:
            raise UnsupportedOpsError(
                f"expected a model made of TFLite built-in ops ({quantization}); received one that needs "
                f"Select TF ops: {', '.join(ops)}"
            ) from None
        no_int8 = _NO_INT8.search(text)
        if quantization == "int8" and no_int8:
            raise UnsupportedOpsError(f"expected ops with int8 kernels for full-integer TFLite; received: "
                                      f"{no_int8.group(0).strip()}") from None
        raise


class TFLiteModel:
    """A .tflite model run with ``ai_edge_litert.interpreter.Interpreter`` by signature.

    Inputs are resized to the batch (and image size) given, so one model serves any
    batch size.

    Args:
        model: path to a ``.tflite`` file, or its bytes.
        signature: signature name to run (``serving_default``).
        num_threads: interpreter threads (None: the runtime's default).

    Example:
        lite = TFLiteModel("model_fp32.tflite")
        images = lite(z=z)["images"]
    """

    def __init__(self, model, *, signature="serving_default", num_threads=None):
        from ai_edge_litert.interpreter import Interpreter

        if isinstance(model, (bytes, bytearray)):
            self._interpreter = Interpreter(model_content=bytes(model), num_threads=num_threads)
        else:
            path = pathlib.Path(model)
            if not path.is_file():
                raise InputError(f"expected a .tflite file; received: {str(path)!r} (no such file)")
            self._interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        names = list(self._interpreter.get_signature_list())
        if signature not in names:
            raise InputError(f"expected a signature in {', '.join(names)}; received: signature={signature!r}")
        self._runner = self._interpreter.get_signature_runner(signature)
        self.input_details = self._runner.get_input_details()
        self.output_details = self._runner.get_output_details()

    @property
    def input_names(self):
        """Names of the inputs, e.g. ``["labels", "z"]``."""
        return sorted(self.input_details)

    def __call__(self, **feeds):
        """Runs the model on named numpy inputs and returns ``{output name: numpy array}``."""
        missing = set(self.input_details) - set(feeds)
        if missing:
            raise InputError(f"expected inputs {', '.join(self.input_names)}; received: {', '.join(sorted(feeds))}")
        cast = {k: np.asarray(v, self.input_details[k]["dtype"]) for k, v in feeds.items()}
        return {k: np.array(v) for k, v in self._runner(**cast).items()}
