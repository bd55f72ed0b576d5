"""The original GAN's networks (Goodfellow et al. 2014): an MLP generator and a maxout discriminator.

Example:
    g = build("mlp_generator", latent_dim=100, image_shape=(32, 32, 1))
    d = build("mlp_discriminator", image_shape=(32, 32, 1))
"""
import math

import keras
from keras import layers

from tfopt.layers.maxout import Maxout
from tfopt.nets.checks import check_int
from tfopt.nets.registry import register

__all__ = ["mlp_generator", "mlp_discriminator"]


@register("mlp_generator")
def mlp_generator(latent_dim=100, image_shape=(32, 32, 1), hidden=(1200, 1200), name="generator"):
    """Goodfellow et al. 2014's MLP generator: ReLU hidden layers, tanh output.

    (The paper's MNIST net ends in a sigmoid; tanh keeps the [-1, 1] contract.)

    Args:
        latent_dim: noise dimension.
        image_shape: ``(H, W, C)`` of the output images.
        hidden: units of the hidden ReLU layers.
        name: model name.

    Returns:
        A ``keras.Model`` ``z [B, latent_dim] -> images [B, H, W, C]``.
    """
    check_int("latent_dim", latent_dim)
    z = keras.Input((latent_dim,), name="z")
    h = z
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation="relu", name=f"dense_{i}")(h)
    h = layers.Dense(math.prod(image_shape), name="dense_out")(h)
    h = layers.Activation("tanh", name="tanh")(h)
    out = layers.Reshape(tuple(image_shape), name="images")(h)
    return keras.Model(z, out, name=name)


@register("mlp_discriminator")
def mlp_discriminator(image_shape=(32, 32, 1), units=(240, 240), pieces=5, dropout=0.5, name="discriminator"):
    """Goodfellow et al. 2014's maxout discriminator with dropout, one logit out.

    Args:
        image_shape: ``(H, W, C)`` of the input images.
        units: maxout units per hidden layer.
        pieces: affine pieces per maxout unit.
        dropout: dropout rate before each maxout layer (0 disables).
        name: model name.

    Returns:
        A ``keras.Model`` ``images -> logits [B, 1]``.
    """
    x = keras.Input(tuple(image_shape), name="image")
    h = layers.Flatten(name="flatten")(x)
    for i, width in enumerate(units):
        if dropout:
            h = layers.Dropout(dropout, name=f"dropout_{i}")(h)
        h = Maxout(width, pieces=pieces, name=f"maxout_{i}")(h)
    out = layers.Dense(1, name="logit")(h)
    return keras.Model(x, out, name=name)
