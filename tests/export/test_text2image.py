"""Text-to-image export: raw sentences in (SavedModel, REST), seeded z, TFLite of the image part."""
import io
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfopt import export
from tfopt.core.errors import InputError
from tfopt.export import saved_model as sm
from tfopt.export import signatures as sigs
from tfopt.export import text2image as t2i

VOCAB = ["a", "background", "blue", "green", "on", "red", "seven", "thick", "thin", "three"]
LATENT = 4
CAPTIONS = ["a thick red seven on blue", "thin green three", "a blue background", "seven on red"]


def stand_in(seed=0):
    """captions -> TextVectorization -> Embedding -> mean -> Dense (sentence); [sentence, z] -> 8x8x3 tanh."""
    keras.utils.set_random_seed(seed)
    captions = keras.Input((), dtype="string", name="captions")
    z = keras.Input((LATENT,), name="z")
    h = keras.layers.TextVectorization(vocabulary=VOCAB, output_sequence_length=6)(captions)
    h = keras.layers.Embedding(len(VOCAB) + 2, 8, mask_zero=True)(h)
    h = keras.layers.GlobalAveragePooling1D()(h)
    sentence = keras.layers.Dense(6, name="sentence")(h)
    wide = keras.initializers.RandomNormal(stddev=0.6, seed=seed)  # contrast: images far from flat grey
    h = keras.layers.Dense(8 * 8 * 3, kernel_initializer=wide)(keras.layers.Concatenate()([sentence, z]))
    h = keras.layers.Activation("tanh")(keras.layers.Reshape((8, 8, 3))(h))
    return keras.Model([captions, z], h, name="tiny_t2i")


def keras_images(model, captions, z):
    return np.clip((model([tf.constant(captions), tf.constant(z)], training=False).numpy() + 1.0) / 2.0, 0.0, 1.0)


@pytest.fixture(scope="module")
def model():
    return stand_in()


@pytest.fixture(scope="module")
def served(model, tmp_path_factory):
    directory = tmp_path_factory.mktemp("t2i") / "1"
    export.export_saved_model(model, export.describe_model(model), directory, model_name="t2i")
    return directory


def _z(batch, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, LATENT)).astype(np.float32)


def test_describe_recognises_a_string_and_a_z_input(model):
    spec = export.describe_model(model)
    assert (spec.kind, spec.latent_dim, spec.input_order, spec.image_shape, spec.output_range) == (
        "text2image", LATENT, ("captions", "z"), (8, 8, 3), "tanh")
    two = keras.Input((), dtype="string", name="b")
    bad = keras.Model([model.inputs[0], two], keras.layers.Concatenate()(
        [keras.layers.StringLookup(vocabulary=VOCAB)(t)[:, None] for t in (model.inputs[0], two)]))
    with pytest.raises(InputError, match="expected a text-to-image model .* received a model with inputs"):
        export.describe_model(bad)
    z = keras.Input((LATENT,), name="z")
    generator = keras.Model(z, keras.layers.Reshape((2, 2, 1))(z))
    assert export.describe_model(generator).kind == "generator"
    with pytest.raises(InputError, match="expected a text-to-image model"):
        export.describe_model(generator, kind="text2image")


def test_saved_model_answers_raw_sentences_like_keras(served, model):
    signatures = sm.load_saved_model(served)
    assert sorted(signatures) == ["png", "seeded", "serving_default"]
    z = _z(4)
    got = signatures["serving_default"](captions=np.array(CAPTIONS, object), z=z)["images"]
    expected = keras_images(model, CAPTIONS, z)
    assert expected.std() > 0.1  # contrast, so the comparisons mean something
    assert np.abs(got - expected).max() <= 1e-6
    same_z = keras_images(model, CAPTIONS[:2], np.repeat(z[:1], 2, axis=0))
    assert np.abs(same_z[0] - same_z[1]).max() > 0.05  # the sentence matters
    blobs = signatures["png"](captions=np.array(CAPTIONS, object), z=z)["png_bytes"]
    decoded = np.stack([np.asarray(Image.open(io.BytesIO(b)), np.float32) / 255.0 for b in blobs])
    assert np.abs(decoded - expected).max() <= 0.5 / 255 + 1e-6
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected as many captions as rows of z"):
        signatures["serving_default"](captions=np.array(CAPTIONS[:3], object), z=z)
    meta = json.loads((served / sm.METADATA_FILE).read_text())
    assert meta["signatures"]["serving_default"]["inputs"] == {"captions": ["string", [None]],
                                                               "z": ["float32", [None, LATENT]]}
    assert meta["signatures"]["seeded"]["inputs"]["seed"] == ["int64", [None]]


def test_seeded_is_deterministic_per_seed_and_differs_across_seeds(served, model):
    seeded = sm.load_saved_model(served)["seeded"]
    captions = np.array([CAPTIONS[0]] * 3, object)
    first = seeded(captions=captions, seed=np.array([5, 5, 6]))["images"]
    again = seeded(captions=captions, seed=np.array([5, 5, 6]))["images"]
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first[0], first[1])
    assert np.abs(first[0] - first[2]).max() > 0.05
    alone = seeded(captions=captions[:1], seed=np.array([6]))["images"]  # a row does not depend on the batch
    np.testing.assert_allclose(alone[0], first[2], atol=1e-6)
    z = export.seeded_z([5, 5, 6], LATENT).numpy()
    assert np.abs(z[0] - z[2]).max() > 0.1
    assert np.abs(first - keras_images(model, list(captions), z)).max() <= 1e-6


def test_rest_payload_with_raw_sentences(served, model):
    server = export.LocalServer(served)
    z = _z(2, seed=3)
    rows = server.predict({"instances": [{"captions": c, "z": v.tolist()} for c, v in zip(CAPTIONS[:2], z)]})
    cols = server.predict({"inputs": {"captions": CAPTIONS[:2], "z": z.tolist()}})
    np.testing.assert_array_equal(np.array(rows["predictions"]), np.array(cols["outputs"]))
    assert np.abs(np.array(rows["predictions"], np.float32) - keras_images(model, CAPTIONS[:2], z)).max() <= 1e-6
    seeded = server.predict({"signature_name": "seeded", "instances": [{"captions": CAPTIONS[1], "seed": 7}]})
    expected = keras_images(model, CAPTIONS[1:2], export.seeded_z([7], LATENT).numpy())
    assert np.abs(np.array(seeded["predictions"], np.float32) - expected).max() <= 1e-6
    png = server.predict({"signature_name": "png", "instances": [{"captions": CAPTIONS[0], "z": z[0].tolist()}]})
    assert set(png["predictions"][0]) == {"b64"}
    assert "expected each instance to have inputs ['captions', 'z']" in server.predict(
        {"instances": [{"captions": "a red seven"}]})["error"]


def test_warmup_records_replay_through_the_signatures(served):
    prediction_log_pb2 = pytest.importorskip("tensorflow_serving.apis.prediction_log_pb2")
    signatures = sm.load_saved_model(served)
    seen = []
    for record in tf.data.TFRecordDataset(str(served / sm.WARMUP_FILE)):
        request = prediction_log_pb2.PredictionLog.FromString(record.numpy()).predict_log.request
        feeds = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        assert next(iter(signatures[request.model_spec.signature_name](**feeds).values())).shape[0] == 1
        seen.append(request.model_spec.signature_name)
    assert sorted(seen) == ["png", "seeded", "serving_default"]


def test_tflite_holds_the_image_part_with_parity(model, tmp_path, capsys):
    summary = export.export_model(model, tmp_path / "1", formats=["tflite_fp32", "tflite_int8"], num_samples=4,
                                  captions=CAPTIONS[:2] + ["a crimson seven"], timing_runs=1, warmup=False)
    assert capsys.readouterr().out.count("TextVectorization) are not TFLite built-ins") == 1
    text = summary["text2image"]
    assert text["unknown_words"] == ["crimson"] and text["captions"][3] == CAPTIONS[0]
    assert "not TFLite built-ins" in text["tflite"]
    assert text["tflite_inputs"] == {"text_features": ["float32", [None, 6]], "z": ["float32", [None, LATENT]]}
    formats = summary["formats"]
    assert formats["tflite_fp32"]["max_abs_diff"] <= 1e-5
    assert formats["tflite_int8"]["psnr_db"] >= 30.0 and formats["tflite_int8"]["max_abs_diff"] > 0
    lite = export.TFLiteModel(tmp_path / "1" / "tflite" / "model_fp32.tflite")
    assert lite.input_names == ["text_features", "z"]
    split = export.split_model(model)
    z = _z(3, seed=8)
    feeds = split.image_inputs({"captions": np.array(CAPTIONS[1:], object), "z": z})
    assert np.abs(lite(**feeds)["images"] - keras_images(model, CAPTIONS[1:], z)).max() <= 1e-5


def test_split_finds_the_sentence_between_nested_text_encoder_and_generator(tmp_path):
    inner = stand_in(seed=4)
    encoder = keras.Model(inner.inputs[0], {"sentence": inner.get_layer("sentence").output,
                                            "tokens": inner.layers[1].output}, name="text_encoder")
    z, sentence = keras.Input((LATENT,), name="gz"), keras.Input((6,), name="gsentence")
    h = keras.layers.Dense(8 * 8 * 3, activation="tanh")(keras.layers.Concatenate()([z, sentence]))
    generator = keras.Model([z, sentence], keras.layers.Reshape((8, 8, 3))(h), name="generator")
    captions, z_in = keras.Input((), dtype="string", name="captions"), keras.Input((LATENT,), name="z")
    combined = keras.Model([captions, z_in], generator([z_in, encoder(captions)["sentence"]]))
    split = export.split_model(combined)
    assert split.feature_names == ("text_features",)
    assert [tuple(t.shape) for t in split.image_model.inputs] == [(None, 6), (None, LATENT)]
    assert not any(isinstance(layer, keras.layers.TextVectorization)
                   for layer in split.image_model._flatten_layers(recursive=True))
    z = _z(4, seed=2)
    feeds = split.image_inputs({"captions": np.array(CAPTIONS, object), "z": z})
    z = tf.constant(z)
    np.testing.assert_allclose(split.image_model([tf.constant(feeds["text_features"]), z]),
                               combined([tf.constant(CAPTIONS), z]), atol=1e-6)
    combined.save(tmp_path / "combined.keras")  # splitting left the model intact
    reloaded = keras.saving.load_model(tmp_path / "combined.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded([tf.constant(CAPTIONS), z]), combined([tf.constant(CAPTIONS), z]), atol=1e-6)


def test_captions_checks_and_unknown_words(model):
    assert export.parse_captions("a red seven ; thin green three") == ["a red seven", "thin green three"]
    for bad in ("", "a red seven;;", " ; "):
        with pytest.raises(InputError, match="expected non-empty captions separated by ';'"):
            export.parse_captions(bad)
    with pytest.raises(InputError, match="expected non-empty captions; received: 2 captions, empty at \\[1\\]"):
        t2i.comparison_captions(model, ["a red seven", "  "], count=2)
    drawn = t2i.comparison_captions(model, count=5, seed=3)
    assert drawn == t2i.comparison_captions(model, count=5, seed=3) != t2i.comparison_captions(model, count=5, seed=4)
    assert t2i.unknown_words(model, drawn) == []
    assert t2i.unknown_words(model, ["A Crimson seven, on TEAL!"]) == ["crimson", "teal"]
    with pytest.raises(InputError, match="expected captions for a text-to-image model"):
        sigs.sample_inputs(export.describe_model(model), batch=2)
