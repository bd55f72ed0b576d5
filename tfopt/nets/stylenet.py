"""A Johnson-style image transformation network for feed-forward style transfer.

Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer" (2016), with
two later fixes: instance normalization instead of batch normalization (Ulyanov, Vedaldi
& Lempitsky, 2016) and nearest-neighbour resize followed by a convolution instead of
transposed convolutions, which leave checkerboard artefacts (Odena, Dumoulin & Olah,
2016). Reflection padding keeps borders clean. The network is fully convolutional:
``[B, H, W, 3]`` in [0, 1] -> ``[B, H, W, 3]`` in [0, 1] for any H, W.

Every layer is a registered, serializable Keras layer (:mod:`tfopt.layers`), so a
trained network saves as one ``.keras`` file that loads with ``safe_mode=True`` and
exports as a SavedModel or TFLite.

Example:
    net = build_stylenet(filters=(32, 64, 128), residual_blocks=5)   # or build("stylenet", ...)
    y = net(np.zeros([1, 100, 75, 3], "float32"))      # [1, 100, 75, 3]
"""
import keras

from tfopt.core.errors import InputError
from tfopt.layers import CropLike, InstanceNorm, ReflectConv, ResidualBlock, UpsampleConv
from tfopt.nets.registry import register

__all__ = ["build_stylenet"]


@register("stylenet")
def build_stylenet(filters=(32, 64, 128), residual_blocks=5, name="stylenet"):
    """Builds the transformation network (untrained).

    Three stages: a 9x9 convolution and two stride-2 convolutions down to 1/4 size,
    ``residual_blocks`` residual blocks, two resize-convolutions back up and a 9x9
    convolution to RGB through a sigmoid. Odd sizes are handled by cropping the output
    to the input's size.

    Args:
        filters: channels of the three stages (Johnson et al.: 32, 64, 128).
        residual_blocks: number of residual blocks (Johnson et al.: 5).
        name: model name.

    Returns:
        A functional ``keras.Model``: ``[B, H, W, 3]`` in [0, 1] -> same shape in [0, 1].
    """
    filters = tuple(int(f) for f in filters)
    if len(filters) != 3 or min(filters) < 1:
        raise InputError(f"expected three positive stage widths; received: filters={filters}")
    if isinstance(residual_blocks, bool) or int(residual_blocks) != residual_blocks or residual_blocks < 0:
        raise InputError(f"expected residual_blocks >= 0 (an integer); received: residual_blocks={residual_blocks!r}")
    f1, f2, f3 = filters
    image = keras.Input((None, None, 3), name="image")
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_signed")(image)
    for i, (f, k, s) in enumerate(((f1, 9, 1), (f2, 3, 2), (f3, 3, 2))):
        x = ReflectConv(f, k, s, name=f"down{i}_conv")(x)
        x = keras.layers.ReLU(name=f"down{i}_relu")(InstanceNorm(name=f"down{i}_norm")(x))
    for i in range(int(residual_blocks)):
        x = ResidualBlock(f3, name=f"res{i}")(x)
    for i, f in enumerate((f2, f1)):
        x = UpsampleConv(f, 3, name=f"up{i}_conv")(x)
        x = keras.layers.ReLU(name=f"up{i}_relu")(InstanceNorm(name=f"up{i}_norm")(x))
    x = ReflectConv(3, 9, name="out_conv")(x)
    x = CropLike(name="crop")([x, image])
    out = keras.layers.Activation("sigmoid", name="stylized")(x)
    return keras.Model(image, out, name=name)
