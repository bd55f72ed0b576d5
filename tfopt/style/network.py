"""A Johnson-style image transformation network for feed-forward style transfer.

Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer" (2016), with
two later fixes: instance normalization instead of batch normalization (Ulyanov, Vedaldi
& Lempitsky, 2016) and nearest-neighbour resize followed by a convolution instead of
transposed convolutions, which leave checkerboard artefacts (Odena, Dumoulin & Olah,
2016). Reflection padding keeps borders clean. The network is fully convolutional:
``[B, H, W, 3]`` in [0, 1] -> ``[B, H, W, 3]`` in [0, 1] for any H, W.

Every layer is a registered, serializable Keras layer, so a trained network saves as one
``.keras`` file that loads with ``safe_mode=True`` and exports as a SavedModel or TFLite.

Example:
    net = build_stylenet(filters=(32, 64, 128), residual_blocks=5)
    y = net(np.zeros([1, 100, 75, 3], "float32"))      # [1, 100, 75, 3]
"""
import keras
from keras import ops

from tfopt.core.errors import InputError

__all__ = ["ReflectConv", "InstanceNorm", "ResidualBlock", "UpsampleConv", "CropLike", "build_stylenet"]

_PACKAGE = "tfopt_style"


@keras.saving.register_keras_serializable(package=_PACKAGE)
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


@keras.saving.register_keras_serializable(package=_PACKAGE)
class InstanceNorm(keras.layers.Layer):
    """Instance normalization: each sample's channels normalized over H, W, then scaled and shifted.

    Args:
        epsilon: variance floor.
        **kwargs: keras.layers.Layer arguments.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise ValueError(f"expected epsilon > 0; received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        c = input_shape[-1]
        self.gamma = self.add_weight(shape=(c,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(c,), initializer="zeros", name="beta")

    def call(self, x):
        mean, var = ops.moments(x, axes=[1, 2], keepdims=True)
        return (x - mean) * ops.rsqrt(var + self.epsilon) * self.gamma + self.beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ResidualBlock(keras.layers.Layer):
    """``x + IN(conv(relu(IN(conv(x)))))`` with 3x3 reflection-padded convolutions.

    Args:
        filters: channels of ``x`` and of both convolutions.
        **kwargs: keras.layers.Layer arguments.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.conv1, self.norm1 = ReflectConv(self.filters, 3), InstanceNorm()
        self.conv2, self.norm2 = ReflectConv(self.filters, 3), InstanceNorm()

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(f"expected {self.filters} input channels; received: {input_shape[-1]}")
        shape = (input_shape[0], None, None, self.filters)
        for layer in (self.conv1, self.norm1, self.conv2, self.norm2):
            layer.build(shape)

    def call(self, x):
        y = ops.relu(self.norm1(self.conv1(x)))
        return x + self.norm2(self.conv2(y))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package=_PACKAGE)
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
        # Nearest 2x by reshape + tile (at most 5-D), keeping the static channel count:
        # UpSampling2D's repeat loses it for dynamic H, W, which TFLite's Conv2D cannot take.
        s, c = ops.shape(x), x.shape[-1]
        x = ops.tile(ops.reshape(x, (-1, s[1], s[2], 1, c)), (1, 1, 1, 2, 1))
        x = ops.reshape(x, (-1, s[1], 2 * s[2], c))
        x = ops.tile(ops.reshape(x, (-1, s[1], 1, 2 * s[2], c)), (1, 1, 2, 1, 1))
        return self.conv(ops.reshape(x, (-1, 2 * s[1], 2 * s[2], c)))

    def compute_output_shape(self, input_shape):
        def out(n):
            return None if n is None else 2 * n
        return (input_shape[0], out(input_shape[1]), out(input_shape[2]), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class CropLike(keras.layers.Layer):
    """Crops ``x`` ([B, H', W', C], H' >= H) to the spatial size of ``like`` ([B, H, W, ...])."""

    def call(self, inputs):
        x, like = inputs
        shape = ops.shape(like)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, input_shapes):
        x, like = input_shapes
        return (x[0], like[1], like[2], x[3])


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
