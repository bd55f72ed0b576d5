"""TF Serving's REST predict API, answered in-process from an exported SavedModel.

No TensorFlow Serving binary is needed to check that a request is right: this
module answers ``POST /v1/models/<name>:predict`` bodies the way TF Serving's REST
API documents them, straight from ``tf.saved_model.load``:

* ``{"signature_name": ..., "instances": [...]}`` (row format): one element per
  example, a bare value when the signature has one input, else ``{name: value}``;
  answered with ``{"predictions": [...]}`` (bare values when there is one output).
* ``{"signature_name": ..., "inputs": ...}`` (columnar format): a batched value, or
  ``{name: batched value}``; answered with ``{"outputs": ...}``.
* Binary strings travel as ``{"b64": "<base64>"}``; outputs whose name ends in
  ``_bytes`` are returned that way.
* A bad request is answered with ``{"error": "<message>"}`` (TF Serving's HTTP 400).

``export/client.py --mode=local`` sends its JSON here instead of over HTTP.
"""
import base64

import numpy as np
import tensorflow as tf

from tfopt.export.saved_model import load_saved_model

__all__ = ["LocalServer", "decode_value", "encode_value"]


def decode_value(value):
    """Turns JSON (nested lists, numbers, strings, ``{"b64": ...}``) into Python values for numpy."""
    if isinstance(value, dict):
        if set(value) == {"b64"}:
            return base64.b64decode(value["b64"])
        raise ValueError(f"expected a value or {{'b64': ...}}; received an object with keys {sorted(value)}")
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, str):
        return value.encode("utf-8")
    return value


def encode_value(array, name):
    """Numpy output -> JSON: lists of numbers, with ``{"b64": ...}`` for ``*_bytes`` outputs."""
    array = np.asarray(array)
    if array.dtype == object or array.dtype.kind in "SO":
        def enc(item):
            if isinstance(item, (list, np.ndarray)):
                return [enc(x) for x in item]
            if name.endswith("_bytes"):
                return {"b64": base64.b64encode(item).decode("ascii")}
            return item.decode("utf-8", errors="replace")

        return enc(array.tolist() if array.ndim else array.item())
    return array.tolist()


class LocalServer:
    """Answers TF Serving REST predict bodies from a SavedModel directory.

    Args:
        directory: an exported SavedModel version directory.

    Example:
        server = LocalServer("models/dcgan/1")
        server.predict({"instances": [{"z": [0.1] * 100}]})["predictions"][0]  # H x W x 3 lists
    """

    def __init__(self, directory):
        self._signatures = load_saved_model(directory)

    @property
    def signature_names(self):
        """The served signature names."""
        return sorted(self._signatures)

    def _input_specs(self, name):
        return self._signatures[name].signature.structured_input_signature[1]

    def _array(self, value, spec):
        value = decode_value(value)
        if spec.dtype == tf.string:
            return np.array(value, dtype=object)
        return np.asarray(value, dtype=spec.dtype.as_numpy_dtype)

    def predict(self, payload):
        """Answers one predict request body (a dict parsed from JSON).

        Args:
            payload: the request body.

        Returns:
            The response body: ``{"predictions": ...}``, ``{"outputs": ...}`` or
            ``{"error": message}``.
        """
        try:
            return self._predict(payload)
        except (ValueError, TypeError, KeyError, tf.errors.InvalidArgumentError) as err:
            return {"error": f"{type(err).__name__}: {_one_line(err)}"}

    def _predict(self, payload):
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object as the request body")
        name = payload.get("signature_name", "serving_default")
        if name not in self._signatures:
            raise ValueError(f"expected signature_name in {self.signature_names}; received {name!r}")
        specs = self._input_specs(name)
        keys = sorted(specs)
        if ("instances" in payload) == ("inputs" in payload):
            raise ValueError("expected exactly one of 'instances' (row format) or 'inputs' (columnar)")
        if "instances" in payload:
            rows = payload["instances"]
            if not isinstance(rows, list) or not rows:
                raise ValueError("expected 'instances' to be a non-empty list")
            if len(keys) == 1 and not (isinstance(rows[0], dict) and set(rows[0]) != {"b64"}):
                columns = {keys[0]: rows}  # bare values of the one input
            else:
                for row in rows:
                    if not isinstance(row, dict) or set(row) != set(keys):
                        got = sorted(row) if isinstance(row, dict) else type(row).__name__
                        raise ValueError(f"expected each instance to have inputs {keys}; received {got}")
                columns = {k: [row[k] for row in rows] for k in keys}
        else:
            inputs = payload["inputs"]
            if len(keys) == 1 and not (isinstance(inputs, dict) and set(inputs) != {"b64"}):
                inputs = {keys[0]: inputs}
            if not isinstance(inputs, dict) or set(inputs) != set(keys):
                got = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
                raise ValueError(f"expected 'inputs' to have {keys}; received {got}")
            columns = inputs
        feeds = {k: self._array(columns[k], specs[k]) for k in keys}
        for k, value in feeds.items():
            if not specs[k].shape.is_compatible_with(value.shape):
                want = tuple(-1 if d is None else d for d in specs[k].shape.as_list())
                raise ValueError(f"expected input {k!r} of shape {want}; received shape {value.shape}")
        outputs = self._signatures[name](**feeds)
        encoded = {k: encode_value(v, k) for k, v in outputs.items()}
        if "instances" in payload:
            count = len(payload["instances"])
            if len(encoded) == 1:
                return {"predictions": next(iter(encoded.values()))}
            return {"predictions": [{k: v[i] for k, v in encoded.items()} for i in range(count)]}
        return {"outputs": next(iter(encoded.values())) if len(encoded) == 1 else encoded}


def _one_line(err):
    """The line of an error a client needs: a failed graph assertion's own message (a graph execution
    error's first line is only "Graph execution error:"), else the first line."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith("assertion failed:")]
    return (failed or lines or [""])[0]
