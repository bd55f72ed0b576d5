"""A small fully-convolutional segmenter: [0, 1] RGB in, per-pixel class logits out.

A tiny encoder-decoder: two stride-2 convolutions down to 1/4 resolution, dilated
convolutions there (the context), bilinear upsampling back and a skip from the
full-resolution features (the edges). Its field of view is about 53 x 53 px; with
about 27 M multiply-adds per 64x64 image and 36 k weights (8 classes) it trains
400 steps of 16 such images in 40-50 s on 2 CPU cores.
It is the labeller of :mod:`tfopt.pix2pix.segmenter` (the FCN score of pix2pix).

Example:
    net = fcn_segmenter(num_classes=8)          # or build("fcn_segmenter", num_classes=8)
    net(np.zeros((1, 64, 64, 3), "float32")).shape   # (1, 64, 64, 8): logits
"""
import keras

from tfopt.core.errors import InputError
from tfopt.nets.registry import register

__all__ = ["fcn_segmenter"]


@register("fcn_segmenter")
def fcn_segmenter(*, num_classes, filters=32, input_shape=(None, None, 3), name="fcn_segmenter"):
    """Builds the small fully-convolutional per-pixel classifier (weights initialized, not trained).

    Layers (3x3 convolutions with ReLU unless said): ``stem`` (filters/2, full resolution),
    ``down1`` and ``down2`` (stride 2, to 1/4 resolution), ``context1`` and ``context2``
    (dilation 2 and 3 at 1/4 resolution), ``up`` (bilinear x4), concatenation with the
    stem's features, ``fuse`` (1x1, filters/2), ``refine`` (filters/2), and ``logits``
    (1x1, no activation). Field of view: about 53 x 53 pixels. Height and width must be
    multiples of 4 (the two stride-2 steps are undone exactly).

    Args:
        num_classes: number of classes (>= 2).
        filters: channels at 1/4 resolution (even, >= 2); the full-resolution layers have half.
        input_shape: (height, width, 3); None for any size (multiples of 4).
        name: the model's name.

    Returns:
        An uncompiled keras.Model mapping [B, H, W, 3] in [0, 1] to logits [B, H, W, num_classes].

    Example:
        net = fcn_segmenter(num_classes=8, filters=32)
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise InputError(f"expected num_classes to be an integer >= 2; received: num_classes={num_classes!r}")
    if isinstance(filters, bool) or not isinstance(filters, int) or filters < 2 or filters % 2:
        raise InputError(f"expected filters to be an even integer >= 2; received: filters={filters!r}")
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or input_shape[2] != 3 or any(
            size is not None and (size < 4 or size % 4) for size in input_shape[:2]):
        raise InputError(f"expected input_shape (height, width, 3) with height and width None or multiples of 4; "
                         f"received: input_shape={input_shape}")
    half = filters // 2

    def conv(x, channels, layer_name, **kwargs):
        return keras.layers.Conv2D(channels, 3, padding="same", activation="relu", name=layer_name, **kwargs)(x)

    inputs = keras.Input(shape=input_shape, name="image")
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="centre")(inputs)   # [0, 1] -> [-1, 1]
    stem = conv(x, half, "stem")                                           # field of view 3
    x = conv(stem, filters, "down1", strides=2)                            # 5
    x = conv(x, filters, "down2", strides=2)                               # 9
    x = conv(x, filters, "context1", dilation_rate=2)                      # 25
    x = conv(x, filters, "context2", dilation_rate=3)                      # 49 (at 1/4 resolution: every 4th px)
    x = keras.layers.UpSampling2D(4, interpolation="bilinear", name="up")(x)
    x = keras.layers.Concatenate(name="skip")([x, stem])
    x = keras.layers.Conv2D(half, 1, activation="relu", name="fuse")(x)
    x = conv(x, half, "refine")
    outputs = keras.layers.Conv2D(num_classes, 1, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)
