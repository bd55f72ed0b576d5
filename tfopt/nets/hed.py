"""HED, holistically-nested edge detection (Xie & Tu, ICCV 2015), as a flat Keras graph.

A VGG16 trunk (``block{b}_conv{k}``, 'same'-padded 2x2 max-pooling between blocks, no
pool after block 5) gives five side outputs: a 1x1 convolution ``dsn{b}`` on the last
convolution of each block, resized bilinearly to the input size. A 1x1 convolution
``fuse`` combines them and a sigmoid ``edges`` gives edge probabilities. The input is
[0, 1] RGB; ``Preprocess("caffe", means=HED_BGR_MEANS)`` inside turns it into BGR minus
the means HED was trained with (Caffe's, up to 1.0 off keras.applications' ImageNet
means: on chelsea that moves edge probabilities by up to 0.017).

Example:
    net = hed()                                   # or build("hed"); weights: tfopt.models.pretrained
    net(np.zeros((1, 64, 64, 3), "float32"))      # [1, 64, 64, 1] in [0, 1]
"""
import keras

from tfopt.layers.conv import ResizeLike
from tfopt.layers.preprocess import Preprocess
from tfopt.nets.registry import register

__all__ = ["hed", "VGG16_BLOCKS", "HED_BGR_MEANS"]

HED_BGR_MEANS = (104.00699, 116.66877, 122.67892)
"""The BGR means HED subtracts (its Caffe training set-up)."""

VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
"""(channels, convolutions) of VGG16's five blocks."""


@register("hed")
def hed(*, input_shape=(None, None, 3), name="hed"):
    """Builds HED (weights initialized: the side outputs start at 0 and ``fuse`` at 1/5).

    Args:
        input_shape: (H, W, 3) of the [0, 1] RGB input; any size by default.
        name: the model's name.

    Returns:
        An uncompiled keras.Model mapping [B, H, W, 3] to edge probabilities [B, H, W, 1].

    Example:
        net = hed(input_shape=(128, 128, 3))
    """
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = Preprocess("caffe", means=HED_BGR_MEANS, name="preprocess")(inputs)
    sides = []
    for b, (filters, count) in enumerate(VGG16_BLOCKS, start=1):
        if b > 1:
            x = keras.layers.MaxPooling2D(2, padding="same", name=f"block{b - 1}_pool")(x)
        for k in range(1, count + 1):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{b}_conv{k}")(x)
        side = keras.layers.Conv2D(1, 1, kernel_initializer="zeros", name=f"dsn{b}")(x)
        sides.append(side if b == 1 else ResizeLike(name=f"dsn{b}_resize")([side, inputs]))
    x = keras.layers.Concatenate(name="sides")(sides)
    x = keras.layers.Conv2D(1, 1, kernel_initializer=keras.initializers.Constant(0.2), name="fuse")(x)
    outputs = keras.layers.Activation("sigmoid", name="edges")(x)
    return keras.Model(inputs, outputs, name=name)
