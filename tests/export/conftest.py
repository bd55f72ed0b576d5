"""Tiny models for the export tests, trained a few steps so their images have contrast.

A random DCGAN-like generator produces nearly flat grey images, on which any
quantization looks perfect; the generator and the image network here are fitted for
a few dozen steps to real photo crops so that PSNR numbers mean something.
"""
import importlib.util
import pathlib
import sys

import keras
import numpy as np
import pytest

from tfopt import export

import binaries  # tests/binaries.py

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYTHON = sys.executable
LATENT = 8
PHOTOS = ["astronaut", "chelsea", "coffee", "rocket"]


@pytest.fixture(scope="session")
def client():
    """export/client.py imported as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("tfopt_serving_client", ROOT / "export" / "client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(args):
    return binaries.run([str(a) for a in args])


@pytest.fixture(scope="session")
def run():
    """Runs a command (list) from the repo root (tests/binaries.py); returns CompletedProcess."""
    return _run


@pytest.fixture(scope="session")
def python():
    return PYTHON


@pytest.fixture(scope="session")
def root():
    return ROOT


def _generator(conditional=False, num_classes=5):
    z = keras.Input((LATENT,), name="z")
    inputs, h = [z], z
    if conditional:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(labels)
        h = keras.layers.Concatenate()([z, keras.layers.Embedding(num_classes, 4)(labels)])
    h = keras.layers.Dense(4 * 4 * 16)(h)
    h = keras.layers.Reshape((4, 4, 16))(h)
    h = keras.layers.BatchNormalization(momentum=0.5)(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2DTranspose(16, 4, strides=2, padding="same")(h)
    h = keras.layers.BatchNormalization(momentum=0.5)(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.UpSampling2D()(h)
    h = keras.layers.Conv2D(3, 3, padding="same", activation="tanh")(h)
    return keras.Model(inputs if conditional else z, h, name="tiny_generator")


@pytest.fixture(scope="session")
def photos16():
    return export.photo_batch(PHOTOS, 16)


@pytest.fixture(scope="session")
def generator(photos16):
    """z [B, 8] -> [B, 16, 16, 3] in [-1, 1], fitted 60 steps to map 8 fixed z to photo crops."""
    keras.utils.set_random_seed(1)
    model = _generator()
    z = np.random.default_rng(0).standard_normal((8, LATENT)).astype(np.float32)
    targets = np.concatenate([photos16, photos16[:, :, ::-1]]) * 2.0 - 1.0
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    model.fit(z, targets, batch_size=8, epochs=60, verbose=0)
    return model


@pytest.fixture(scope="session")
def cond_generator():
    keras.utils.set_random_seed(2)
    return _generator(conditional=True)


@pytest.fixture(scope="session")
def photos32():
    return export.photo_batch(PHOTOS, 32)


@pytest.fixture(scope="session")
def style_net(photos32):
    """Fully convolutional image -> image in [0, 1], fitted 40 steps to invert colours."""
    keras.utils.set_random_seed(3)
    inp = keras.Input((None, None, 3))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    h = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(h)
    model = keras.Model(inp, h, name="tiny_style")
    model.compile(optimizer=keras.optimizers.Adam(2e-2), loss="mse")
    model.fit(photos32, 1.0 - photos32, batch_size=4, epochs=40, verbose=0)
    return model


@pytest.fixture(scope="session")
def exported(tmp_path_factory, generator, cond_generator, style_net):
    """SavedModel version dirs of the three models: {"gen": dir, "cgen": dir, "style": dir}."""
    base = tmp_path_factory.mktemp("serving")
    dirs = {}
    for name, model in (("gen", generator), ("cgen", cond_generator), ("style", style_net)):
        dirs[name] = base / name / "1"
        export.export_saved_model(model, export.describe_model(model), dirs[name], model_name=name)
    return dirs
