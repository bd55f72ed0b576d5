"""Convolutions for image-to-image networks: reflection padding, resize-convolution, cropping, resizing.

Reflection padding keeps borders clean; nearest-neighbour resize followed by a
convolution replaces transposed convolutions, which leave checkerboard artefacts
(Odena, Dumoulin & Olah, 2016). All three layers work on any H, W and convert to TFLite.

Example:
    x = ReflectConv(32, 9)(image)                 # same size, reflect-padded
    y = UpsampleConv(16)(x)                       # 2x larger
    z = CropLike()([y, image])                    # back to the image's H, W
    e = ResizeLike()([side, image])               # bilinear, to the image's H, W (HED's side outputs)
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["ReflectConv", "NearestUpsample", "UpsampleConv", "CropLike", "ResizeLike"]


def _nearest_x2(x):
    # Nearest 2x by reshape + tile (at most 5-D), keeping the static channel count:
    # UpSampling2D's repeat loses it for dynamic H, W, which TFLite's Conv2D cannot take.
    s, c = ops.shape(x), x.shape[-1]
    x = ops.tile(ops.reshape(x, (-1, s[1], s[2], 1, c)), (1, 1, 1, 2, 1))
    x = ops.reshape(x, (-1, s[1], 2 * s[2], c))
    x = ops.tile(ops.reshape(x, (-1, s[1], 1, 2 * s[2], c)), (1, 1, 2, 1, 1))
    return ops.reshape(x, (-1, 2 * s[1], 2 * s[2], c))


def _doubled(input_shape, channels):
    def out(n):
        return None if n is None else 2 * n
    return (input_shape[0], out(input_shape[1]), out(input_shape[2]), channels)


@serializable
class ReflectConv(keras.layers.Layer):
    """Reflection padding then a 'valid' convolution: output size ``ceil(input / strides)``.

    Args:
        filters: output channels (positive int).
        kernel_size: odd positive int.
        strides: 1 or 2.
        **kwargs: keras.layers.Layer arguments.
    """

    def __init__(self, filters, kernel_size=3, strides=1, **kwargs):
        super().__init__(**kwargs)
        if int(filters) < 1:
            raise ValueError(f"expected filters >= 1; received: filters={filters!r}")
        if int(kernel_size) < 1 or int(kernel_size) % 2 == 0:
            raise ValueError(f"expected an odd kernel_size >= 1; received: kernel_size={kernel_size!r}")
        if strides not in (1, 2):
            raise ValueError(f"expected strides 1 or 2; received: strides={strides!r}")
        self.filters, self.kernel_size, self.strides = int(filters), int(kernel_size), int(strides)
        self.conv = keras.layers.Conv2D(self.filters, self.kernel_size, strides=self.strides, padding="valid")

    def build(self, input_shape):
        self.conv.build((input_shape[0], None, None, input_shape[-1]))

    def call(self, x):
        pad = self.kernel_size // 2
        if pad:
            x = ops.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="reflect")
        return self.conv(x)

    def compute_output_shape(self, input_shape):
        def out(n):
            return None if n is None else -(-n // self.strides)
        return (input_shape[0], out(input_shape[1]), out(input_shape[2]), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides}


@serializable
class NearestUpsample(keras.layers.Layer):
    """Nearest-neighbour 2x upsampling of ``[B, H, W, C]`` for any H, W; converts to TFLite.

    ``keras.layers.UpSampling2D`` does the same, but for dynamic H, W its output loses the
    static channel count and the TFLite converter then refuses the next Conv2D.
    """

    def call(self, x):
        return _nearest_x2(x)

    def compute_output_shape(self, input_shape):
        return _doubled(input_shape, input_shape[-1])


@serializable
class UpsampleConv(keras.layers.Layer):
    """Nearest-neighbour 2x upsampling then a reflection-padded convolution (no checkerboard).

    Args:
        filters: output channels.
        kernel_size: odd kernel size.
        **kwargs: keras.layers.Layer arguments.
    """

    def __init__(self, filters, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.conv = ReflectConv(self.filters, self.kernel_size)

    def build(self, input_shape):
        self.conv.build((input_shape[0], None, None, input_shape[-1]))

    def call(self, x):
        return self.conv(_nearest_x2(x))

    def compute_output_shape(self, input_shape):
        return _doubled(input_shape, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}


@serializable
class CropLike(keras.layers.Layer):
    """Crops ``x`` ([B, H', W', C], H' >= H) to the spatial size of ``like`` ([B, H, W, ...])."""

    def call(self, inputs):
        x, like = inputs
        shape = ops.shape(like)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, input_shapes):
        x, like = input_shapes
        return (x[0], like[1], like[2], x[3])


@serializable
class ResizeLike(keras.layers.Layer):
    """Resizes ``x`` bilinearly (half-pixel centres, no antialias) to the spatial size of ``like``."""

    def call(self, inputs):
        x, like = inputs
        shape = ops.shape(like)
        return ops.image.resize(x, (shape[1], shape[2]), interpolation="bilinear")

    def compute_output_shape(self, input_shapes):
        x, like = input_shapes
        return (x[0], like[1], like[2], x[3])
