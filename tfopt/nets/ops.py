"""Small pieces of network graphs shared by the builders (built-in Keras layers only)."""
from keras import layers

__all__ = ["leaky_relu", "nearest_x2"]


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


def nearest_x2(h, name):
    """Nearest-neighbour x2 upsampling by repeating rows, then columns (reshape and concatenate, static shapes).

    Not ``UpSampling2D``: two of them in a row left the second convolution's height unknown in the
    TFLite converter, which then refused that Conv2D; not ``Resizing``: XLA on CPU has no gradient
    of a nearest resize.

    Args:
        h: a symbolic ``[B, H, W, C]`` tensor with static H, W, C.
        name: the name of the last ``Reshape`` (the others are ``<name>_rows`` and so on).
    """
    height, width, channels = (int(d) for d in h.shape[1:])
    rows = layers.Reshape((height, 1, width * channels), name=f"{name}_rows")(h)
    rows = layers.Concatenate(axis=2, name=f"{name}_repeat_rows")([rows, rows])
    cols = layers.Reshape((2 * height, width, 1, channels), name=f"{name}_cols")(rows)
    cols = layers.Concatenate(axis=3, name=f"{name}_repeat_cols")([cols, cols])
    return layers.Reshape((2 * height, 2 * width, channels), name=name)(cols)
