"""An AttnGAN text2image.keras (raw captions in, the generator fed words, sentence and mask) exports like any
text-to-image model: SavedModel and TFLite (its image part) match Keras, and the .keras reloads in a fresh process."""
import json
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt import export

import binaries  # tests/binaries.py

VOCAB = ["a", "background", "blue", "green", "on", "red", "seven", "thick", "thin", "three"]
CAPTIONS = ["a thick red seven on blue", "thin green three", "a blue background", "seven on red"]
LATENT = 4 + 4  # noise, then conditioning augmentation's eps


@pytest.fixture(scope="module")
def model():
    from tfopt.nets.attngan import attngan_generator
    from tfopt.text2image.encoders import text_encoder
    from tfopt.text2image.train import combined_model

    keras.utils.set_random_seed(3)
    text = text_encoder(embedding_dim=6, word_dim=4, sequence_length=7, vectorizer=VOCAB, seed=3)
    generator = attngan_generator(latent_dim=4, embedding_dim=6, image_size=16, filters=4, ca_dim=4,
                                  residual_blocks=1)
    rng = np.random.default_rng(0)
    for weight in generator.trainable_weights:  # contrast: images far from flat grey (DCGAN's init draws ~0)
        if weight.path.endswith("kernel"):
            weight.assign(rng.normal(0.0, 0.3, weight.shape).astype(np.float32))
    return combined_model(text, generator)


def _z(batch, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, LATENT)).astype(np.float32)


def _images(model, captions, z):
    return np.clip((model([tf.constant(captions), tf.constant(z)], training=False).numpy() + 1.0) / 2.0, 0.0, 1.0)


def test_attngan_exports_with_raw_captions_in(model, tmp_path):
    spec = export.describe_model(model)
    assert (spec.kind, spec.latent_dim, spec.image_shape) == ("text2image", LATENT, (16, 16, 3))
    assert _images(model, CAPTIONS, _z(4)).std() > 0.05  # contrast, so the comparisons mean something
    summary = export.export_model(model, tmp_path / "1", formats=["saved_model", "tflite_fp32"], num_samples=4,
                                  captions=CAPTIONS, timing_runs=1, warmup=False, quiet=True)
    formats = summary["formats"]
    assert formats["saved_model"]["max_abs_diff"] <= 1e-5
    assert formats["tflite_fp32"]["max_abs_diff"] <= 5e-4  # fp32 kernels reordered; an 8-bit level is 4e-3
    # TFLite holds the image part: the generator fed by the text encoder's words, sentence and mask.
    shapes = sorted(tuple(shape) for _, shape in summary["text2image"]["tflite_inputs"].values())
    assert shapes == sorted([(None, 6), (None, 7), (None, 7, 6), (None, LATENT)])
    signatures = export.load_saved_model(tmp_path / "1")
    z = _z(3, seed=5)
    got = signatures["serving_default"](captions=np.array(CAPTIONS[:3], object), z=z)["images"]
    assert np.abs(got - _images(model, CAPTIONS[:3], z)).max() <= 1e-5


def test_attngan_keras_file_reloads_in_a_fresh_process(model, tmp_path):
    path = tmp_path / "text2image.keras"
    model.save(path)
    z = _z(2, seed=7)
    np.save(tmp_path / "z.npy", z)
    program = ("import json, sys, numpy as np, tensorflow as tf\n"
               "from tfopt.text2image.sampling import load_text2image\n"
               "model = load_text2image(sys.argv[1])\n"
               "captions, z = tf.constant(json.loads(sys.argv[2])), tf.constant(np.load(sys.argv[3]))\n"
               "out = model([captions, z], training=False)\n"
               "np.save(sys.argv[4], out.numpy())\n")
    done = binaries.run([sys.executable, "-c", program, str(path), json.dumps(CAPTIONS[:2]),
                         str(tmp_path / "z.npy"), str(tmp_path / "out.npy")])
    assert done.returncode == 0, done.stderr[-2000:]
    expected = model([tf.constant(CAPTIONS[:2]), tf.constant(z)], training=False).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-5)
