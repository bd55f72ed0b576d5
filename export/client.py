"""Client for tfopt models served by TensorFlow Serving: REST (JSON) and gRPC, or local.

Sends one predict request and writes the returned images as one PNG (a row of the
batch). REST needs only numpy and Pillow; gRPC needs ``tensorflow-serving-api``;
``--mode=local`` answers the very same JSON body in-process from a SavedModel
directory (``tfopt.export.LocalServer``), so a request can be checked without a
server.

Examples:
    # a DCGAN generator: 4 samples of z ~ N(0, 1) with seed 0
    python export/client.py --mode=rest --model_name=dcgan --batch=4 --output=samples.png
    # the same through gRPC, and a conditional generator's class 3 with truncation 1.5
    python export/client.py --mode=grpc --model_name=cgan --labels=3,3 --signature=truncated --truncation=1.5
    # a style network: send a photo as bytes, get PNG bytes back
    python export/client.py --mode=rest --model_name=style --signature=png --image=photo.jpg --output=out.png
    # no server: answer the request from the exported directory
    python export/client.py --mode=local --model_dir=models/dcgan/1 --output=samples.png
    # a text-to-image model: raw sentences in, one image per sentence
    python export/client.py --mode=rest --model_name=attngan --latent_dim=228 \
        --captions="a thick red seven on a blue background;a green three on black"
"""
import argparse
import base64
import io
import json
import os
import sys
import urllib.error
import urllib.request

import numpy as np
from PIL import Image

__all__ = [
    "generator_inputs",
    "image_inputs",
    "build_rest_payload",
    "build_grpc_request",
    "rest_predict",
    "grpc_predict",
    "local_predict",
    "rest_outputs",
    "grpc_outputs",
    "to_images",
    "save_row",
]


def generator_inputs(latent_dim, *, batch=1, seed=0, labels=None, truncation=None, captions=None):
    """Named inputs for a generator: ``z`` ~ N(0, 1), optional ``labels``, ``truncation`` or ``captions``.

    Args:
        latent_dim: length of z.
        batch: number of samples (ignored when ``labels`` is given: one per label).
        seed: NumPy seed for z.
        labels: class ids for a conditional generator.
        truncation: per-request truncation threshold (``truncated`` signature: entries of z beyond it
            are resampled inside it, as BigGAN does, not clipped).
        captions: sentences for a text-to-image generator (one sample per sentence, sent as plain strings).

    Returns:
        ``{"z": float32 [B, latent_dim], ...}``.
    """
    if labels is not None:
        batch = len(labels)
    if captions is not None:
        if not captions or any(not str(c).strip() for c in captions):
            raise ValueError(f"expected non-empty captions; received {list(captions)!r}")
        batch = len(captions)
    rng = np.random.default_rng(seed)
    inputs = {"z": rng.standard_normal((batch, latent_dim)).astype(np.float32)}
    if labels is not None:
        inputs["labels"] = np.asarray(labels, np.int32)
    if captions is not None:
        inputs["captions"] = np.asarray([str(c) for c in captions])  # unicode: JSON strings, DT_STRING over gRPC
    if truncation is not None:
        inputs["truncation"] = np.full((batch,), truncation, np.float32)
    return inputs


def image_inputs(paths, *, encoded, channels=3):
    """Named inputs for an image network.

    Args:
        paths: image files.
        encoded: send the files' bytes as ``image_bytes`` (the ``png`` signature);
            otherwise decode them to ``image`` float32 [B, H, W, C] in [0, 1] (all the
            same size).
        channels: 3 (RGB) or 1 (grey) for the decoded ``image``.

    Returns:
        ``{"image_bytes": object array of bytes}`` or ``{"image": float32 array}``.
    """
    if encoded:
        blobs = []
        for path in paths:
            with open(path, "rb") as f:
                blobs.append(f.read())
        return {"image_bytes": np.array(blobs, dtype=object)}
    mode = "RGB" if channels == 3 else "L"
    arrays = []
    for path in paths:
        pixels = np.asarray(Image.open(path).convert(mode), np.float32) / 255.0
        arrays.append(pixels.reshape(pixels.shape[:2] + (channels,)))
    if len({a.shape for a in arrays}) > 1:
        raise ValueError(f"expected images of one size for --signature=serving_default; received sizes "
                         f"{sorted({a.shape[:2] for a in arrays})} (use --signature=png)")
    return {"image": np.stack(arrays)}


def _json_value(array):
    array = np.asarray(array)
    if array.dtype == object or array.dtype.kind == "S":
        return [{"b64": base64.b64encode(bytes(x)).decode("ascii")} for x in array.ravel()]
    return array.tolist()


def build_rest_payload(inputs, *, signature_name="serving_default", row_format=True):
    """The JSON body of ``POST /v1/models/<name>:predict`` for named inputs.

    Args:
        inputs: ``{name: numpy array with a batch dimension}``; byte strings are sent
            as ``{"b64": ...}``.
        signature_name: the signature to call.
        row_format: ``"instances"`` (one object per example) if True, else ``"inputs"``
            (columnar).

    Returns:
        A JSON-serializable dict.
    """
    columns = {k: _json_value(v) for k, v in inputs.items()}
    if not row_format:
        return {"signature_name": signature_name, "inputs": columns}
    count = len(next(iter(columns.values())))
    return {"signature_name": signature_name,
            "instances": [{k: v[i] for k, v in columns.items()} for i in range(count)]}


def build_grpc_request(inputs, *, model_name, signature_name="serving_default", version=None):
    """A ``tensorflow_serving.apis.predict_pb2.PredictRequest`` for named inputs."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    if version is not None:
        request.model_spec.version.value = int(version)
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
    return request


def rest_predict(base_url, model_name, payload, *, version=None, timeout=30.0):
    """POSTs the payload to TF Serving's REST API and returns the parsed JSON response."""
    path = f"/v1/models/{model_name}" + (f"/versions/{version}" if version else "") + ":predict"
    body = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(base_url.rstrip("/") + path, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        return json.loads(err.read().decode("utf-8") or '{"error": "HTTP %d"}' % err.code)


def grpc_predict(target, request, *, timeout=30.0):
    """Sends a PredictRequest over gRPC and returns the PredictResponse."""
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        return prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=timeout)


def local_predict(model_dir, payload):
    """Answers the REST payload in-process from an exported SavedModel directory."""
    from tfopt.export.rest import LocalServer

    return LocalServer(model_dir).predict(payload)


def _from_json(value):
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return np.array([_from_json(v) for v in value], dtype=object)
    return np.asarray(value, np.float32)


def rest_outputs(response):
    """REST response -> ``{output name: numpy array}`` (raises on ``{"error": ...}``)."""
    if "error" in response:
        raise RuntimeError(f"server error: {response['error']}")
    if "outputs" in response:
        out = response["outputs"]
        return {k: _from_json(v) for k, v in out.items()} if isinstance(out, dict) and "b64" not in out \
            else {"output": _from_json(out)}
    predictions = response["predictions"]
    if predictions and isinstance(predictions[0], dict) and set(predictions[0]) != {"b64"}:
        return {k: _from_json([p[k] for p in predictions]) for k in predictions[0]}
    return {"output": _from_json(predictions)}


def grpc_outputs(response):
    """PredictResponse -> ``{output name: numpy array}``."""
    import tensorflow as tf

    return {k: tf.make_ndarray(v) for k, v in response.outputs.items()}


def to_images(outputs):
    """Output arrays -> list of uint8 ``[H, W, 3]`` images (float images or PNG bytes)."""
    (value,) = outputs.values() if len(outputs) == 1 else [outputs.get("images", outputs.get("png_bytes"))]
    if value.dtype == object or value.dtype.kind == "S":
        return [np.asarray(Image.open(io.BytesIO(bytes(b))).convert("RGB")) for b in value.ravel()]
    images = np.round(np.clip(value, 0.0, 1.0) * 255.0).astype(np.uint8)
    return [np.repeat(im, 3, axis=-1) if im.shape[-1] == 1 else im for im in images]


def save_row(path, images):
    """Writes the images side by side (common height, 2 px white gaps) as one PNG."""
    height = max(im.shape[0] for im in images)
    width = sum(im.shape[1] for im in images) + 2 * (len(images) - 1)
    canvas = np.full((height, width, 3), 255, np.uint8)
    x = 0
    for im in images:
        canvas[: im.shape[0], x : x + im.shape[1]] = im
        x += im.shape[1] + 2
    Image.fromarray(canvas).save(path, format="PNG")


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", choices=("rest", "grpc", "local"), default="rest")
    p.add_argument("--host", default="localhost")
    p.add_argument("--rest_port", type=int, default=8501)
    p.add_argument("--grpc_port", type=int, default=8500)
    p.add_argument("--model_name", default="dcgan")
    p.add_argument("--version", type=int, default=None, help="model version (default: the latest)")
    p.add_argument("--model_dir", help="--mode=local: the exported version directory")
    p.add_argument("--signature", default="serving_default", choices=("serving_default", "truncated", "png"))
    p.add_argument("--latent_dim", type=int, help="length of z (local mode reads it from the export)")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--labels", help="comma-separated class ids (conditional generators)")
    p.add_argument("--truncation", type=float, default=None, help="truncation threshold: entries of z beyond it are "
                   "resampled inside it (signature truncated)")
    p.add_argument("--image", help="comma-separated image files (image networks)")
    p.add_argument("--captions", help="sentences separated by ';' (text-to-image models)")
    p.add_argument("--columnar", action="store_true", help='send {"inputs": ...} instead of {"instances": ...}')
    p.add_argument("--output", default="prediction.png")
    p.add_argument("--save_request", help="also write the JSON request body here")
    p.add_argument("--save_response", help="also write the JSON response here (REST/local)")
    return p.parse_args(argv)


def _fail(message, status=2):
    """One line on stderr; exit 2 for bad input, 1 when the server is unreachable or errs."""
    sys.stderr.write(f"client.py: error: {message}\n")
    sys.exit(status)


def _latent_dim(args):
    if args.latent_dim:
        return args.latent_dim
    if args.mode == "local" and args.model_dir:
        meta = os.path.join(args.model_dir, "assets.extra", "tfopt_export.json")
        if os.path.isfile(meta):
            with open(meta, encoding="utf-8") as f:
                return json.load(f)["spec"]["latent_dim"]
    _fail(f"expected --latent_dim for a generator in --mode={args.mode}; received none")


def main(argv=None):
    """Builds the request from flags, sends it, writes the PNG. Exit 2 on bad input."""
    args = _parse(argv)
    if args.mode == "local" and not (args.model_dir and os.path.isdir(args.model_dir)):
        _fail(f"expected --model_dir=<exported version directory> for --mode=local; received {args.model_dir!r}")
    try:
        if args.image:
            inputs = image_inputs(args.image.split(","), encoded=args.signature == "png")
        else:
            if args.batch < 1:
                _fail(f"expected --batch >= 1; received {args.batch}")
            labels = [int(x) for x in args.labels.split(",")] if args.labels else None
            truncation = args.truncation if args.signature == "truncated" else None
            if args.signature == "truncated" and truncation is None:
                _fail("expected --truncation=T with --signature=truncated; received none")
            captions = args.captions.split(";") if args.captions is not None else None
            inputs = generator_inputs(_latent_dim(args), batch=args.batch, seed=args.seed, labels=labels,
                                      truncation=truncation, captions=captions)
    except (OSError, ValueError) as err:
        _fail(str(err).splitlines()[0])
    payload = build_rest_payload(inputs, signature_name=args.signature, row_format=not args.columnar)
    if args.save_request:
        with open(args.save_request, "w", encoding="utf-8") as f:
            json.dump(payload, f)
    if args.mode == "grpc":
        import grpc

        request = build_grpc_request(inputs, model_name=args.model_name, signature_name=args.signature,
                                     version=args.version)
        target = f"{args.host}:{args.grpc_port}"
        try:
            outputs = grpc_outputs(grpc_predict(target, request))
        except grpc.RpcError as err:
            _fail(f"gRPC predict at {target} failed: {err.code().name}: {err.details()}", status=1)
    else:
        if args.mode == "rest":
            url = f"http://{args.host}:{args.rest_port}"
            try:
                response = rest_predict(url, args.model_name, payload, version=args.version)
            except urllib.error.URLError as err:
                _fail(f"could not reach TF Serving's REST API at {url}: {err.reason}", status=1)
        else:
            response = local_predict(args.model_dir, payload)
        if args.save_response:
            with open(args.save_response, "w", encoding="utf-8") as f:
                json.dump(response, f)
        if "error" in response:
            _fail(f"server answered: {response['error']}", status=1)
        outputs = rest_outputs(response)
    save_row(args.output, to_images(outputs))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
