"""REST/gRPC client paths against stand-in servers that answer from the exported SavedModel."""
import http.server
import json
import threading
from concurrent import futures

import numpy as np
import pytest
import tensorflow as tf

from tfopt import export


@pytest.fixture(scope="module")
def gen_server(exported):
    return export.LocalServer(exported["gen"])


def _expected(generator, z):
    return np.clip((generator(z, training=False).numpy() + 1.0) / 2.0, 0.0, 1.0)


def test_row_and_columnar_formats_agree(gen_server, generator, client):
    inputs = client.generator_inputs(8, batch=2, seed=1)
    rows = gen_server.predict(client.build_rest_payload(inputs))
    cols = gen_server.predict(client.build_rest_payload(inputs, row_format=False))
    np.testing.assert_array_equal(np.array(rows["predictions"]), np.array(cols["outputs"]))
    assert np.abs(np.array(rows["predictions"], np.float32) - _expected(generator, inputs["z"])).max() <= 1e-6


def test_bad_requests_get_an_error_body(gen_server, client):
    inputs = client.generator_inputs(8, batch=1)
    assert "signature_name" in gen_server.predict(client.build_rest_payload(inputs, signature_name="nope"))["error"]
    assert "['z']" in gen_server.predict({"instances": [{"x": [0.0] * 8}]})["error"]
    assert "expected input 'z' of shape (-1, 8); received shape (1, 5)" in gen_server.predict(
        {"instances": [{"z": [0.0] * 5}]})["error"]
    assert "exactly one" in gen_server.predict({"inputs": {"z": [[0.0] * 8]}, "instances": []})["error"]


def test_png_bytes_come_back_as_b64(gen_server, client):
    response = gen_server.predict(client.build_rest_payload(client.generator_inputs(8, batch=2), signature_name="png"))
    assert [set(p) for p in response["predictions"]] == [{"b64"}, {"b64"}]
    images = client.to_images(client.rest_outputs(response))
    assert [im.shape for im in images] == [(16, 16, 3), (16, 16, 3)]


class _Handler(http.server.BaseHTTPRequestHandler):
    server_obj = None
    paths = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        _Handler.paths.append(self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = _Handler.server_obj.predict(body)
        data = json.dumps(answer).encode()
        self.send_response(400 if "error" in answer else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_rest_predict_over_http(gen_server, generator, client):
    _Handler.server_obj, _Handler.paths = gen_server, []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        inputs = client.generator_inputs(8, batch=2, seed=9)
        response = client.rest_predict(url, "gen", client.build_rest_payload(inputs), version=1)
        bad = client.rest_predict(url, "gen", client.build_rest_payload(inputs, signature_name="nope"))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert _Handler.paths == ["/v1/models/gen/versions/1:predict", "/v1/models/gen:predict"]
    got = client.rest_outputs(response)["output"]
    assert np.abs(got - _expected(generator, inputs["z"])).max() <= 1e-6
    assert "error" in bad


def test_grpc_predict_request(exported, cond_generator, client):
    grpc = pytest.importorskip("grpc")
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    served = export.load_saved_model(exported["cgen"])
    seen = []

    class Servicer(prediction_service_pb2_grpc.PredictionServiceServicer):
        def Predict(self, request, context):  # noqa: N802 (gRPC naming)
            seen.append((request.model_spec.name, request.model_spec.signature_name))
            feeds = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
            response = predict_pb2.PredictResponse()
            for key, value in served[request.model_spec.signature_name](**feeds).items():
                response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
            return response

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        inputs = client.generator_inputs(8, labels=[2, 4], seed=5)
        request = client.build_grpc_request(inputs, model_name="cgen")
        outputs = client.grpc_outputs(client.grpc_predict(f"127.0.0.1:{port}", request))
    finally:
        server.stop(None)
    assert seen == [("cgen", "serving_default")]
    expected = np.clip((cond_generator([inputs["z"], inputs["labels"]], training=False).numpy() + 1) / 2, 0, 1)
    assert np.abs(outputs["images"] - expected).max() <= 1e-6
