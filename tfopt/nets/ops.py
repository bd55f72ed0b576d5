"""Small pieces of network graphs shared by the builders (built-in Keras layers only)."""
from keras import layers

__all__ = ["leaky_relu"]


def leaky_relu(h, name, slope=0.2):
    """LeakyReLU written as ``maximum(h, slope * h)`` with built-in layers (the same values).

    With oneDNN on, grappler's remapper fuses Conv2D + BiasAdd + LeakyRelu even though the
    training graph's LeakyReluGrad reads the BiasAdd output; the rewrite then fails with
    "remapper failed: INVALID_ARGUMENT: Mutation::Apply error" on the terminal and is
    discarded. Maximum is not fused, so the line never appears.

    Args:
        h: a symbolic tensor.
        name: the name of the ``Maximum`` layer (its ``Rescaling`` is ``<name>_slope``).
        slope: the negative slope (0.2 as in DCGAN, pix2pix and progressive GANs).
    """
    return layers.Maximum(name=name)([h, layers.Rescaling(slope, name=f"{name}_slope")(h)])
