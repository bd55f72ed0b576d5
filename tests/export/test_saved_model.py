"""The SavedModel contract without TF Serving: saved_model_cli, warm-up records, a fresh process."""
import base64
import io
import json
import pathlib
import re

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfopt import export
from tfopt.export import saved_model as sm

SAVED_MODEL_CLI = pathlib.Path(__import__("sys").executable).with_name("saved_model_cli")


def test_saved_model_cli_show_lists_named_signatures(exported, run):
    result = run([SAVED_MODEL_CLI, "show", "--all", "--dir", exported["cgen"]])
    assert result.returncode == 0, result.stderr[-2000:]
    text = result.stdout
    blocks = dict(re.findall(r"signature_def\['(\w+)'\]:\n(.*?)(?=\nsignature_def\[|\nThe MetaGraph|\Z)", text, re.S))
    assert {"serving_default", "truncated", "png"} <= set(blocks)
    default = blocks["serving_default"]
    assert "inputs['z']" in default and "inputs['labels']" in default and "outputs['images']" in default
    assert re.search(r"inputs\['labels'\] tensor_info:\s+dtype: DT_INT32\s+shape: \(-1\)", default)
    assert re.search(r"outputs\['images'\] tensor_info:\s+dtype: DT_FLOAT\s+shape: \(-1, 16, 16, 3\)", default)
    assert "inputs['truncation']" in blocks["truncated"]
    assert re.search(r"outputs\['png_bytes'\] tensor_info:\s+dtype: DT_STRING", blocks["png"])
    for name in ("serving_default", "truncated", "png"):
        assert "output_0" not in blocks[name] and "inputs['inputs']" not in blocks[name]
        assert "tensorflow/serving/predict" in blocks[name]


def test_saved_model_cli_run_executes_serving_default(exported, generator, run, tmp_path):
    z = np.random.default_rng(11).standard_normal((3, 8)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    result = run([SAVED_MODEL_CLI, "run", "--dir", exported["gen"], "--tag_set", "serve", "--signature_def",
                  "serving_default", "--inputs", f"z={tmp_path / 'z.npy'}", "--outdir", tmp_path / "out"])
    assert result.returncode == 0, result.stderr[-2000:]
    images = np.load(tmp_path / "out" / "images.npy")
    expected = np.clip((generator(z, training=False).numpy() + 1.0) / 2.0, 0.0, 1.0)
    assert images.shape == (3, 16, 16, 3)
    assert np.abs(images - expected).max() <= 1e-5


def test_warmup_records_are_valid_requests(exported):
    prediction_log_pb2 = pytest.importorskip("tensorflow_serving.apis.prediction_log_pb2")

    directory = exported["cgen"]
    served = sm.load_saved_model(directory)
    seen = []
    for record in tf.data.TFRecordDataset(str(directory / sm.WARMUP_FILE)):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        request = log.predict_log.request
        assert request.model_spec.name == "cgen"
        feeds = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        outputs = served[request.model_spec.signature_name](**feeds)  # raises if names/dtypes are wrong
        assert next(iter(outputs.values())).shape[0] == 1
        seen.append(request.model_spec.signature_name)
    assert sorted(seen) == ["png", "serving_default", "truncated"]
    meta = json.loads((directory / sm.METADATA_FILE).read_text())
    assert meta["spec"]["latent_dim"] == 8 and meta["spec"]["num_classes"] == 5


def test_fresh_process_answers_the_client_payload(exported, generator, client, run, python, tmp_path):
    req, resp, png = tmp_path / "request.json", tmp_path / "response.json", tmp_path / "out.png"
    result = run([python, "export/client.py", "--mode=local", f"--model_dir={exported['gen']}", "--batch=3",
                  "--seed=4", f"--save_request={req}", f"--save_response={resp}", f"--output={png}"])
    assert result.returncode == 0, result.stderr[-2000:]
    inputs = client.generator_inputs(8, batch=3, seed=4)  # latent_dim read from the export's metadata
    payload = json.loads(req.read_text())
    assert payload == json.loads(json.dumps(client.build_rest_payload(inputs)))
    z = np.array([row["z"] for row in payload["instances"]], np.float32)
    np.testing.assert_array_equal(z, inputs["z"])
    got = np.array(json.loads(resp.read_text())["predictions"], np.float32)
    expected = np.clip((generator(z, training=False).numpy() + 1.0) / 2.0, 0.0, 1.0)
    assert got.shape == (3, 16, 16, 3)
    assert np.abs(got - expected).max() <= 1e-5
    assert Image.open(png).size == (3 * 16 + 2 * 2, 16)


def test_client_image_bytes_to_png(exported, style_net, photos32, client, tmp_path):
    # In-process (a fresh process is shown above): photo bytes as {"b64"} in, PNG bytes out.
    photo = tmp_path / "photo.png"
    Image.fromarray(np.round(photos32[2] * 255).astype(np.uint8)).save(photo)
    resp, out = tmp_path / "response.json", tmp_path / "styled.png"
    client.main(["--mode=local", f"--model_dir={exported['style']}", "--signature=png", f"--image={photo}",
                 f"--save_response={resp}", f"--output={out}"])
    blob = base64.b64decode(json.loads(resp.read_text())["predictions"][0]["b64"])
    styled = np.asarray(Image.open(io.BytesIO(blob)), np.float32) / 255.0
    sent = np.asarray(Image.open(photo), np.float32)[None] / 255.0
    expected = style_net(sent, training=False).numpy()[0]
    assert np.abs(styled - expected).max() <= 0.5 / 255 + 1e-5
    np.testing.assert_array_equal(np.asarray(Image.open(out)), np.round(styled * 255).astype(np.uint8))


def test_export_saved_model_reports_signatures(exported):
    described = json.loads((exported["style"] / sm.METADATA_FILE).read_text())["signatures"]
    assert described["serving_default"]["inputs"] == {"image": ["float32", [None, None, None, 3]]}
    assert described["png"] == {"inputs": {"image_bytes": ["string", [None]]},
                                "outputs": {"png_bytes": ["string", [None]]}}
    assert export.LocalServer(exported["style"]).signature_names == ["png", "serving_default"]
