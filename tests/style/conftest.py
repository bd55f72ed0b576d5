"""A tiny random VGG-like network with VGG19's layer names, so the default layers apply."""
import keras
import numpy as np
import pytest


def tiny_vgg(seed=0):
    keras.utils.set_random_seed(seed)
    x = inp = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(2.0, offset=-1.0)(x)
    names = [("block1_conv1", 8), ("block2_conv1", 8), ("block3_conv1", 12), ("block4_conv1", 12),
             ("block5_conv1", 16), ("block5_conv2", 16)]
    for i, (name, width) in enumerate(names):
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=name,
                                kernel_initializer="he_normal")(x)
        if i in (0, 1, 2):
            x = keras.layers.AveragePooling2D(2)(x)
    return keras.Model(inp, x, name="tiny_vgg")


@pytest.fixture(scope="session")
def vgg():
    return tiny_vgg()


@pytest.fixture(scope="session")
def photos():
    from tfopt.images import load_image
    return np.asarray(load_image("chelsea", max_side=48)), np.asarray(load_image("ihc", max_side=48))


@pytest.fixture(scope="session")
def tiny_vgg_file(tmp_path_factory):
    """The tiny VGG-like network saved as a .keras file (a loss network for --model=FILE)."""
    path = tmp_path_factory.mktemp("loss_net") / "tiny_vgg.keras"
    tiny_vgg().save(path)
    return path
