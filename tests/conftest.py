"""Shared test set-up: quiet TensorFlow and a tiny fixed classifier."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import keras
import numpy as np
import pytest


@pytest.fixture(scope="session")
def tiny_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv")(inp)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(16, activation="relu", name="penultimate")(x)
    x = keras.layers.Dense(5, name="logits_dense")(x)
    return keras.Model(inp, keras.layers.Softmax(name="probs")(x))


@pytest.fixture()
def images():
    return np.random.RandomState(0).rand(4, 16, 16, 3).astype("float32")
