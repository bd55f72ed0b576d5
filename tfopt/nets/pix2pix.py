"""pix2pix networks (Isola et al. 2017): the U-Net generator, its encoder-decoder baseline, the PatchGAN.

The generator maps a condition image ``[B, H, W, C_in]`` in [-1, 1] to an image
``[B, H, W, C_out]`` in [-1, 1] (tanh). The discriminator takes the (real or generated)
``image`` and its ``condition``, concatenated on channels, and returns one unbounded logit
per patch ``[B, h, w, 1]``. Inputs are named ``condition`` and ``image`` as
:class:`tfopt.gan.GAN` feeds them. Every layer is built-in or registered
(:class:`~tfopt.layers.InstanceNorm`), so the models reload with ``safe_mode=True``.

Choices, against the known pitfalls of ports (DESIGN.md):

* LeakyReLU slope 0.2 as in the paper (Keras' default is 0.3), written as
  ``maximum(h, 0.2 h)`` for the same reason as in :mod:`tfopt.nets.dcgan` (oneDNN's
  remapper error line on Conv2D + BiasAdd + LeakyRelu);
* no norm on the first encoder block (the paper) nor on the innermost one: batch norm of
  a 1x1 bottleneck at batch 1 subtracts the only value there is, so it outputs zeros
  (junyanz/pytorch-CycleGAN-and-pix2pix #60);
* pix2pix keeps dropout on at test time as its noise: that is ``net(x, training=True)``,
  which with ``norm="batch"`` also updates the moving statistics (tensorflow #29478);
  use ``norm="instance"`` or evaluate with ``training=False`` if that matters.

Example:
    g = build("unet", image_size=256)                       # [B, 256, 256, 3] -> same, 8 blocks down to 1x1
    d = build("patchgan", patch=70, image_size=256)         # ([B,256,256,3], [B,256,256,3]) -> [B, 30, 30, 1]
    receptive_field(d)                                      # 70
    x, box = pad_to_multiple(photos, 2 ** 6)                # any size through a depth-6 image_size=None U-Net
    y = crop_back(build("unet", depth=6)(x), box)
"""
import math

import keras
import tensorflow as tf
from keras import layers

from tfopt.core.errors import InputError
from tfopt.layers.conv import NearestUpsample
from tfopt.layers.norms import InstanceNorm
from tfopt.nets.ops import leaky_relu
from tfopt.nets.checks import check_choice, check_int, check_power_of_two
from tfopt.nets.registry import register

__all__ = ["NORMS", "PATCHES", "unet", "encoder_decoder", "patchgan", "receptive_field", "check_input_size",
           "pad_to_multiple", "crop_back"]

NORMS = ("batch", "instance", "none")
"""Normalizations: batch norm (the paper, at batch 1 close to instance norm), instance norm, none."""

UPSAMPLES = ("transpose", "resize")
"""The U-Net decoder's upsampling: the paper's transposed convolutions, or nearest x2 and a convolution."""

PATCHES = (1, 16, 34, 70, 142, 286, "image")
"""PatchGAN receptive fields of the paper (section 4.4): PixelGAN (1), PatchGANs, ImageGAN."""

_MAX_DEPTH = 8  # 256 px down to 1x1, the paper's generator


def _init():
    # Section 6.1 of the paper: weights from N(0, 0.02).
    return keras.initializers.RandomNormal(stddev=0.02)


def _norm(h, norm, name):
    if norm == "batch":  # PyTorch's defaults (momentum 0.1 there, 0.9 here), gamma ~ N(1, 0.02) as junyanz
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name,
                                         gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))(h)
    if norm == "instance":
        return InstanceNorm(name=name)(h)
    return h


def _check_dropout(dropout):
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise InputError(f"expected 0 <= dropout < 1; received: dropout={dropout!r}")
    return float(dropout)


def _depth(image_size, depth):
    if image_size is None:
        if depth is None:
            raise InputError("expected depth (an integer >= 1) when image_size is None; received: depth=None")
        return check_int("depth", depth)
    check_power_of_two("image_size", image_size, lo=2)
    if depth is None:
        return min(int(math.log2(image_size)), _MAX_DEPTH)
    check_int("depth", depth)
    if image_size % 2 ** depth:
        raise InputError(f"expected image_size a multiple of 2**depth={2 ** depth}; received: "
                         f"image_size={image_size}, depth={depth}")
    return depth


@register("unet")
def unet(*, image_size=None, channels_in=3, channels_out=3, filters=64, depth=None, norm="batch", dropout=0.5,
         dropout_blocks=3, skips=True, upsample="transpose", name="unet"):
    """pix2pix's U-Net generator: strided 4x4 convolutions down, transposed (or resize) ones up, skips across.

    Encoder block ``i`` (``enc{i}_*``): ``Conv 4x4 stride 2 -> norm -> LeakyReLU(0.2)`` with
    ``filters * min(2**i, 8)`` channels, no norm on the first and the innermost block.
    Decoder block ``j`` (``dec{j}_*``, ``j = 0`` innermost): ``ConvT 4x4 stride 2 (or, with
    upsample="resize", nearest x2 -> Conv 3x3) -> norm
    -> dropout (j < dropout_blocks) -> ReLU``, then concatenated with the encoder block of
    the same size (``dec{j}_skip``); the last ``ConvT`` gives ``channels_out`` through tanh.
    Encoder activations are skipped after their LeakyReLU, as in the TensorFlow tutorial
    (junyanz's in-place LeakyReLU does the same).

    Args:
        image_size: input side, a power of two; None for any size that is a multiple of
            ``2**depth`` (see :func:`pad_to_multiple`).
        channels_in: condition channels.
        channels_out: output channels.
        filters: width of the first block (64 in the paper); capped at ``8 * filters``.
        depth: encoder blocks; default ``log2(image_size)`` (down to 1x1), at most 8.
            Required when ``image_size`` is None.
        norm: one of :data:`NORMS`; convolution biases are off where a norm follows.
        dropout: dropout rate in the innermost decoder blocks (0.5 in the paper).
        dropout_blocks: how many decoder blocks, from the innermost, have dropout (3 in
            the paper); all ``depth - 1`` of them when there are fewer.
        upsample: "transpose" (the paper's 4x4 stride-2 ``Conv2DTranspose``) or "resize"
            (nearest-neighbour x2 then a 3x3 convolution, Odena et al. 2016, "Deconvolution
            and Checkerboard Artifacts": every output pixel gets the same number of kernel
            taps, so no 2-pixel-periodic pattern is built into the decoder).
        skips: False gives the encoder-decoder baseline. Widths stay the same, so it
            differs only by the skips: each decoder ConvT but the first reads ``w`` fewer
            input channels (``w`` the skipped block's width), ``16 * w * out`` fewer weights.
        name: model name.

    Returns:
        A ``keras.Model`` ``condition [B, H, W, channels_in] -> [B, H, W, channels_out]`` in [-1, 1].

    Example:
        g = unet(image_size=256)             # the paper's 256x256 generator, 54.4M parameters
    """
    depth = _depth(image_size, depth)
    check_int("channels_in", channels_in)
    check_int("channels_out", channels_out)
    check_int("filters", filters)
    check_choice("norm", norm, NORMS)
    dropout = _check_dropout(dropout)
    check_int("dropout_blocks", dropout_blocks, 0)
    check_choice("upsample", upsample, UPSAMPLES)
    widths = [filters * min(2 ** i, 8) for i in range(depth)]
    condition = keras.Input((image_size, image_size, channels_in), name="condition")
    h, encoded = condition, []
    for i, width in enumerate(widths):
        # No norm on the first block (the paper) nor on the innermost: batch norm of the 1x1 bottleneck at
        # batch 1 subtracts its only value and outputs zeros (junyanz/pytorch-CycleGAN-and-pix2pix #60).
        normed = norm != "none" and 0 < i < depth - 1
        h = layers.Conv2D(width, 4, strides=2, padding="same", use_bias=not normed, kernel_initializer=_init(),
                          name=f"enc{i}_conv")(h)
        if normed:
            h = _norm(h, norm, f"enc{i}_norm")
        h = leaky_relu(h, f"enc{i}_lrelu")
        encoded.append(h)
    for j, i in enumerate(range(depth - 2, -1, -1)):  # decoder block j comes back to encoder block i's size
        h = _up(h, widths[i], upsample, norm == "none", f"dec{j}")
        h = _norm(h, norm, f"dec{j}_norm")
        if j < dropout_blocks and dropout > 0:
            h = layers.Dropout(dropout, name=f"dec{j}_dropout")(h)
        h = layers.ReLU(name=f"dec{j}_relu")(h)
        if skips:
            h = layers.Concatenate(name=f"dec{j}_skip")([h, encoded[i]])
    h = _up(h, channels_out, upsample, True, "out")
    out = layers.Activation("tanh", name="generated")(h)
    return keras.Model(condition, out, name=name)


def _up(h, width, upsample, bias, name):
    """Doubles the size: a 4x4 stride-2 transposed convolution, or nearest x2 and a 3x3 convolution."""
    if upsample == "transpose":
        return layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=bias, kernel_initializer=_init(),
                                      name=f"{name}_deconv")(h)
    h = NearestUpsample(name=f"{name}_resize")(h)  # not UpSampling2D: see NearestUpsample (TFLite)
    return layers.Conv2D(width, 3, padding="same", use_bias=bias, kernel_initializer=_init(), name=f"{name}_conv")(h)


@register("encoder_decoder")
def encoder_decoder(*, image_size=None, channels_in=3, channels_out=3, filters=64, depth=None, norm="batch",
                    dropout=0.5, dropout_blocks=3, upsample="transpose", name="encoder_decoder"):
    """The paper's encoder-decoder baseline: :func:`unet` with ``skips=False`` (same widths, no skips).

    Args:
        image_size, channels_in, channels_out, filters, depth, norm, dropout, dropout_blocks,
        upsample, name: as for :func:`unet`.

    Returns:
        A ``keras.Model`` ``condition [B, H, W, channels_in] -> [B, H, W, channels_out]`` in [-1, 1].

    Example:
        g = encoder_decoder(image_size=64, filters=32)
    """
    return unet(image_size=image_size, channels_in=channels_in, channels_out=channels_out, filters=filters,
                depth=depth, norm=norm, dropout=dropout, dropout_blocks=dropout_blocks, skips=False, upsample=upsample,
                name=name)


def _conv(h, width, kernel, strides, name, padding="same", bias=True):
    return layers.Conv2D(width, kernel, strides=strides, padding=padding, use_bias=bias, kernel_initializer=_init(),
                         name=name)(h)


def _image_gan_downs(image_size, patch):
    if image_size is None or isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 8 \
            or image_size & (image_size - 1):
        raise InputError(f"expected image_size a power of two >= 8 for patch={patch!r} (ImageGAN); "
                         f"received: image_size={image_size!r}")
    return int(math.log2(image_size)) - 2


@register("patchgan")
def patchgan(*, patch=70, image_size=None, channels_in=3, channels=3, filters=64, norm="batch", name="patchgan"):
    """pix2pix's conditional PatchGAN discriminator: one logit per ``patch x patch`` receptive field.

    ``patch`` selects the paper's variants (section 4.4):

    * 1, PixelGAN: ``Conv 1x1 (F) -> LReLU -> Conv 1x1 (2F) -> norm -> LReLU -> Conv 1x1 (1)``;
    * 16, 34, 70, 142, 286: junyanz's ``n_layers`` = 1..5 stride-2 ``Conv 4x4`` (widths
      ``F * min(2**i, 8)``), then a stride-1 ``Conv 4x4`` (width capped at 8F) and a stride-1
      1-channel ``Conv 4x4``, the two stride-1 ones padded by 1 as in PyTorch (so 256 px
      gives the paper's 30x30 map for 70);
    * "image", ImageGAN: stride-2 ``Conv 4x4`` down to 4x4, then a 4x4 'valid' Conv to one
      logit per image (needs ``image_size``).

    The first layer has no norm; LeakyReLU slope 0.2; weights from N(0, 0.02).

    Args:
        patch: one of :data:`PATCHES`.
        image_size: input side; None for any size (PixelGAN and PatchGANs only). A
            fixed size must leave a non-empty map (e.g. >= 65 for 286).
        channels_in: condition channels.
        channels: image channels (real or generated).
        filters: width of the first layer (64 in the paper).
        norm: one of :data:`NORMS`.
        name: model name.

    Returns:
        A ``keras.Model`` ``(image [B, H, W, channels], condition [B, H, W, channels_in]) ->
        logits [B, h, w, 1]`` (no sigmoid).

    Example:
        d = patchgan(patch=70, image_size=256)       # -> [B, 30, 30, 1]; receptive_field(d) == 70
    """
    if isinstance(patch, bool) or patch not in PATCHES:
        raise InputError(f"expected patch to be one of {', '.join(map(str, PATCHES))}; received: patch={patch!r}")
    if patch == "image":
        downs = _image_gan_downs(image_size, patch)
    elif image_size is not None:
        check_int("image_size", image_size)
    check_int("channels_in", channels_in)
    check_int("channels", channels)
    check_int("filters", filters)
    check_choice("norm", norm, NORMS)
    image = keras.Input((image_size, image_size, channels), name="image")
    condition = keras.Input((image_size, image_size, channels_in), name="condition")
    h = layers.Concatenate(name="image_and_condition")([image, condition])
    normed = norm != "none"

    def block(h, i, width, kernel, strides, padding="same", norm_here=True):
        h = _conv(h, width, kernel, strides, f"conv{i}", padding, bias=not (normed and norm_here))
        if normed and norm_here:
            h = _norm(h, norm, f"norm{i}")
        return leaky_relu(h, f"lrelu{i}")

    if patch == 1:
        h = block(h, 0, filters, 1, 1, norm_here=False)
        h = block(h, 1, 2 * filters, 1, 1)
        logits = _conv(h, 1, 1, 1, "logits")
    elif patch == "image":
        for i in range(downs):
            h = block(h, i, filters * min(2 ** i, 8), 4, 2, norm_here=i > 0)
        logits = _conv(h, 1, 4, 1, "logits", padding="valid")
    else:
        n_layers = PATCHES.index(patch)
        if image_size is not None and math.ceil(image_size / 2 ** n_layers) < 3:
            raise InputError(f"expected image_size >= {2 ** (n_layers + 1) + 1} for patch={patch} (two padded 4x4 "
                             f"convolutions each take one pixel off); received: image_size={image_size}")
        for i in range(n_layers):
            h = block(h, i, filters * min(2 ** i, 8), 4, 2, norm_here=i > 0)
        h = layers.ZeroPadding2D(1, name=f"pad{n_layers}")(h)
        h = block(h, n_layers, filters * min(2 ** n_layers, 8), 4, 1, padding="valid")
        h = layers.ZeroPadding2D(1, name="pad_logits")(h)
        logits = _conv(h, 1, 4, 1, "logits", padding="valid")
    return keras.Model([image, condition], logits, name=name)


_NOT_A_WINDOW = (layers.Conv2DTranspose, layers.UpSampling2D, layers.Flatten, layers.Reshape, layers.Dense,
                 layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D)


def _walk(model):
    """The receptive field of one output of a chain of convolutions and poolings, walked back from the output."""
    field = 1
    for layer in reversed(model.layers):
        if isinstance(layer, _NOT_A_WINDOW):
            raise InputError(f"expected a model of convolutions and poolings; received: {model.name} with "
                             f"{type(layer).__name__} layer {layer.name!r}")
        if hasattr(layer, "kernel_size") and hasattr(layer, "strides"):
            kernel, stride = layer.kernel_size[0], layer.strides[0]
            dilation = getattr(layer, "dilation_rate", (1,))[0]
        elif hasattr(layer, "pool_size") and hasattr(layer, "strides"):
            kernel, stride, dilation = layer.pool_size[0], layer.strides[0], 1
        else:
            continue  # pointwise: activations, norms, padding, concatenation
        # An output window of `field` pixels at stride `stride` spans (field - 1) * stride + the dilated kernel.
        field = (field - 1) * stride + dilation * (kernel - 1) + 1
    return field


def _whole_image(model):
    """The input side if every logit sees the whole image (a static input and a 1x1 output map), else None."""
    side, out = model.inputs[0].shape[1], model.outputs[0].shape[1:3]
    return side if side is not None and tuple(out) == (1, 1) else None


def receptive_field(model):
    """The side of the input window one output of a convolutional model sees, walked from its layers.

    Walks the model's layers from output to input (a chain: each convolution or pooling with
    kernel ``k``, stride ``s``, dilation ``d`` maps a window of ``r`` outputs to
    ``(r - 1) s + d (k - 1) + 1`` inputs); no table of the paper's numbers. For an ImageGAN
    (static input, 1x1 map) it returns the image side: the walk gives more (94 at 64 px),
    counting zero padding that holds no pixel, while every logit sees the whole image.

    Args:
        model: a Keras model of convolutions, poolings and pointwise layers (a PatchGAN).

    Returns:
        The receptive field in pixels (an int): 1, 16, 34, 70, 142, 286 for :func:`patchgan`.

    Raises:
        InputError: the model has transposed convolutions, upsampling or dense layers.

    Example:
        receptive_field(patchgan(patch=70))    # 70
    """
    field = _walk(model)
    whole = _whole_image(model)
    return whole if whole is not None else field


def check_input_size(size, model):
    """Raises if images of side ``size`` are smaller than a PatchGAN's patch (PixelGAN, ImageGAN: never).

    Args:
        size: the image side in pixels, or ``(height, width)`` (a tuple, list or shape; the smaller counts).
        model: a :func:`patchgan` model.

    Returns:
        ``size``, when it is large enough.

    Raises:
        InputError: e.g. "expected images at least 70 px for a 70x70 PatchGAN; received: 32 px".

    Example:
        check_input_size(photos.shape[1:3], d)
    """
    side = min(int(s) for s in size) if hasattr(size, "__len__") else int(size)
    field = receptive_field(model)
    if field > 1 and _whole_image(model) is None and side < field:
        raise InputError(f"expected images at least {field} px for a {field}x{field} PatchGAN; received: {side} px")
    return size


def _side(images, axis):
    static = images.shape[axis]
    return static if static is not None else tf.shape(images)[axis]


def _indices(size, before, after):
    """Gather indices padding one axis: reflection when it fits (pad < size), else the edge pixel repeated."""
    i = tf.range(-before, size + after)
    reflect = (size - 1) - tf.abs((size - 1) - tf.abs(i))
    edge = tf.clip_by_value(i, 0, size - 1)
    return tf.where(tf.maximum(before, after) < size, reflect, edge)


def pad_to_multiple(images, multiple):
    """Pads images so both sides are multiples of ``multiple``, for a fully convolutional U-Net.

    The padding is split evenly (one more after than before when odd). Along each axis it
    reflects the image (numpy's "reflect": the border pixel is not repeated) when the pad
    is smaller than the image, else repeats the edge pixel (reflection cannot reach).

    Args:
        images: ``[B, H, W, C]`` (numpy or tensor).
        multiple: an integer >= 1, e.g. ``2 ** depth`` for a U-Net.

    Returns:
        ``(padded, box)``: the padded tensor and ``box = (top, left, h, w)`` for :func:`crop_back`.

    Example:
        x, box = pad_to_multiple(photos, 64)     # 48x80 -> 64x128
        y = crop_back(net(x), box)               # 48x80
    """
    check_int("multiple", multiple)
    images = tf.convert_to_tensor(images)
    if images.shape.rank != 4:
        raise InputError(f"expected images [B, H, W, C]; received: shape {tuple(images.shape)}")
    h, w = _side(images, 1), _side(images, 2)
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    top, left = pad_h // 2, pad_w // 2
    padded = tf.gather(images, _indices(h, top, pad_h - top), axis=1)
    padded = tf.gather(padded, _indices(w, left, pad_w - left), axis=2)
    return padded, (top, left, h, w)


def crop_back(images, box):
    """Crops what :func:`pad_to_multiple` added: ``images[:, top:top + h, left:left + w]``.

    Args:
        images: ``[B, H', W', C]``, the padded input's size (a U-Net's output).
        box: ``(top, left, h, w)`` from :func:`pad_to_multiple`.

    Returns:
        ``[B, h, w, C]``.
    """
    top, left, h, w = box
    return images[:, top:top + h, left:left + w]
