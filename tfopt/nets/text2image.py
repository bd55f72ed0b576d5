"""Text-conditioned GAN networks: GAN-INT-CLS (Reed et al. 2016) and StackGAN (Zhang et al. 2017).

Every network takes the sentence embedding of a caption as its input ``condition``
(float32 ``[B, E]``); generators also take ``z``, discriminators ``image``, so
:class:`tfopt.gan.GAN` feeds them by name.

* ``gan_int_cls_generator``: ``condition -> Dense(128) -> LReLU(0.2)``, concatenated to
  ``z``, then DCGAN's strided transposed convolutions to ``image_size``.
* ``text_discriminator`` (both papers' matching-aware D): DCGAN's strided convolutions
  down to 4x4; the embedding, projected (``Dense(128) -> LReLU``), tiled over the 4x4
  map and concatenated; a 1x1 convolution; a 4x4 convolution to one logit.
* ``stackgan_stage1_generator``: conditioning augmentation
  (:class:`~tfopt.layers.conditioning_augmentation.ConditioningAugmentation`) gives
  ``c``; ``[z, c] -> 4x4`` then nearest-neighbour upsampling + 3x3 convolutions.
* ``stackgan_stage2_generator``: a FROZEN Stage I generator inside draws the low
  resolution image; a downsampling encoder, ``c`` (its own CA) tiled and concatenated,
  residual blocks, upsampling to twice Stage I's size.

Two options that are not in the papers, off by default here (the package's recipes
choose them in :data:`tfopt.text2image.models.DEFAULTS`): ``text_norm`` makes every
generator batch norm text-conditional (gain and bias from the projected text, as
BigGAN does with classes), and ``projection`` adds Miyato & Koyama's projection term
to the discriminator's logit.

With conditioning augmentation the CA noise ``eps`` is the tail of ``z``: a Stage I
``z`` is ``[noise (latent_dim), eps (ca_dim)]``, a Stage II ``z`` is Stage I's ``z``
followed by Stage II's ``eps``. StackGAN generators return a dict: ``image`` and, with
CA, ``ca_mean`` and ``ca_log_var`` (what :func:`tfopt.gan.terms.conditioning_kl`
reads); Stage II adds ``stage1_image``. Every layer is built-in or registered, so the
models save and reload with ``safe_mode=True``.

Example:
    g = build("gan_int_cls_generator", latent_dim=100, embedding_dim=256, image_size=32)
    d = build("text_discriminator", embedding_dim=256, image_size=32)
    images = g([z, sentences])                        # [B, 32, 32, 3] in [-1, 1]
"""
import math

import keras
from keras import layers

from tfopt.core.errors import InputError
from tfopt.layers.conditioning_augmentation import ConditioningAugmentation
from tfopt.layers.norms import ConditionalBatchNorm
from tfopt.nets.checks import check_int, check_power_of_two
from tfopt.nets.ops import leaky_relu, nearest_x2
from tfopt.nets.registry import register

__all__ = ["gan_int_cls_generator", "text_discriminator", "stackgan_stage1_generator", "stackgan_stage2_generator"]


def _init():
    return keras.initializers.RandomNormal(stddev=0.02)  # DCGAN's N(0, 0.02), kept by both papers


def _bn(h, name, sync, text=None):
    """Batch norm; with ``text`` (the projected caption) its gain and bias come from the text.

    The text-conditional form (de Vries et al. 2017's conditional BN, as DF-GAN and
    BigGAN condition every block) starts as plain batch norm (zero-initialized maps).
    """
    if text is None:
        return layers.BatchNormalization(synchronized=sync, name=name)(h)
    return ConditionalBatchNorm(synchronized=sync, spectral_norm=False, kernel_initializer="zeros", name=name)([h, text])


def _project(condition, units, name):
    """Reed et al.'s text projection: ``Dense(units) -> LReLU(0.2)``.

    Keras' default (Glorot) initializer, as Reed's code keeps Torch's default for its
    linear layers: with DCGAN's N(0, 0.02) the text starts ~50 times weaker than ``z``.
    """
    h = layers.Dense(units, name=name)(condition)
    return leaky_relu(h, f"{name}_lrelu")


def _check_common(image_size, embedding_dim, channels, filters, lo=8):
    check_power_of_two("image_size", image_size, lo)
    check_int("embedding_dim", embedding_dim)
    check_int("channels", channels)
    check_int("filters", filters)


def _upsample(h, width, name, sync, text=None):
    """StackGAN's up block: nearest x2, 3x3 convolution, batch norm (text-conditional with ``text``), ReLU."""
    h = nearest_x2(h, f"{name}_up")  # not UpSampling2D: two in a row did not convert to TFLite
    h = layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=_init(), name=f"{name}_conv")(h)
    return layers.ReLU(name=f"{name}_relu")(_bn(h, f"{name}_bn", sync, text))


def _down_to_4x4(image, filters, sync):
    """DCGAN's discriminator trunk: stride-2 4x4 convolutions down to 4x4 (no norm on the first); ``(h, width)``."""
    h, width = image, filters
    for i in range(int(math.log2(image.shape[1])) - 2):
        h = layers.Conv2D(width, 4, strides=2, padding="same", use_bias=i == 0, kernel_initializer=_init(),
                          name=f"conv_{i}")(h)
        h = leaky_relu(h if i == 0 else _bn(h, f"bn_{i}", sync), f"lrelu_{i}")
        width *= 2
    return h, width // 2


def _augmented(condition, z, latent_dim, ca_dim, conditioning_augmentation, name):
    """``(noise, c, extra outputs)``: CA on the condition with ``eps`` from z's tail, or a plain projection."""
    if not conditioning_augmentation:
        return z, _project(condition, ca_dim, f"{name}_projection"), {}
    noise, eps = z[:, :latent_dim], z[:, latent_dim:]
    c, mean, log_var = ConditioningAugmentation(ca_dim, kernel_initializer=_init(), name=name)([condition, eps])
    return noise, c, {"ca_mean": mean, "ca_log_var": log_var}


@register("gan_int_cls_generator")
def gan_int_cls_generator(latent_dim=100, embedding_dim=256, image_size=32, channels=3, filters=64,
                          projection_dim=128, text_norm=False, sync_batch_norm=True, name="generator"):
    """GAN-INT-CLS generator: projected text concatenated to ``z``, DCGAN up-convolutions.

    Args:
        latent_dim: size of ``z``.
        embedding_dim: size of the sentence embedding ``condition``.
        image_size: output side, a power of two >= 8 (32 or 64).
        channels: output channels.
        filters: filters of the last hidden layer (the widest is ``filters * image_size / 8``).
        projection_dim: size of the text projection (128 in the paper).
        text_norm: every batch norm takes its gain and bias from the projected text (not
            in the paper, where the text enters once, beside ``z``).
        sync_batch_norm: cross-replica batch statistics.
        name: model name.

    Returns:
        A ``keras.Model`` ``[z [B, latent_dim], condition [B, E]] -> image [B, S, S, channels]`` in [-1, 1].
    """
    check_int("latent_dim", latent_dim)
    check_int("projection_dim", projection_dim)
    _check_common(image_size, embedding_dim, channels, filters)
    ups = int(math.log2(image_size)) - 2
    width = filters * 2 ** (ups - 1)
    z = keras.Input((latent_dim,), name="z")
    condition = keras.Input((embedding_dim,), name="condition")
    text = _project(condition, projection_dim, "text_projection")
    norm_text = text if text_norm else None
    h = layers.Concatenate(name="z_and_text")([z, text])
    h = layers.Dense(4 * 4 * width, use_bias=False, kernel_initializer=_init(), name="project")(h)
    h = layers.Reshape((4, 4, width), name="reshape")(h)
    h = layers.ReLU(name="relu_0")(_bn(h, "bn_0", sync_batch_norm, norm_text))
    for i in range(1, ups):
        width //= 2
        h = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init(),
                                   name=f"deconv_{i}")(h)
        h = layers.ReLU(name=f"relu_{i}")(_bn(h, f"bn_{i}", sync_batch_norm, norm_text))
    h = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", kernel_initializer=_init(), name="deconv_out")(h)
    image = layers.Activation("tanh", name="image")(h)
    return keras.Model([z, condition], image, name=name)


@register("text_discriminator")
def text_discriminator(embedding_dim=256, image_size=32, channels=3, filters=64, projection_dim=128,
                       projection=False, sync_batch_norm=True, name="discriminator"):
    """Matching-aware discriminator: image features at 4x4 joined with the tiled, projected text.

    ``image -> [Conv4x4/2 -> (BN) -> LReLU] * -> 4x4xW``; ``condition -> Dense -> LReLU ->
    tile 4x4``; concatenate; ``Conv1x1(W) -> BN -> LReLU -> Conv4x4 (valid) -> logit``.

    Args:
        embedding_dim: size of the sentence embedding ``condition``.
        image_size: input side, a power of two >= 8.
        channels: input channels.
        filters: filters of the first convolution, doubled at each halving.
        projection_dim: size of the text projection (128 in both papers).
        projection: add Miyato & Koyama's projection term ``<V t, sum-pooled image features>``
            to the logit (not in the papers: a match score that is linear in the text, so
            what each word asks for is checked on its own, in combinations never seen too).
        sync_batch_norm: cross-replica batch statistics.
        name: model name.

    Returns:
        A ``keras.Model`` ``[image [B, S, S, C], condition [B, E]] -> logits [B, 1]``.
    """
    check_int("projection_dim", projection_dim)
    _check_common(image_size, embedding_dim, channels, filters)
    image = keras.Input((image_size, image_size, channels), name="image")
    condition = keras.Input((embedding_dim,), name="condition")
    h, width = _down_to_4x4(image, filters, sync_batch_norm)
    projected = _project(condition, projection_dim, "text_projection")
    text = layers.Reshape((4, 4, projection_dim), name="text_tiled")(
        layers.RepeatVector(16, name="text_repeat")(projected))
    features = h
    h = layers.Concatenate(name="image_and_text")([h, text])
    h = layers.Conv2D(width, 1, use_bias=False, kernel_initializer=_init(), name="joint_conv")(h)
    h = leaky_relu(_bn(h, "joint_bn", sync_batch_norm), "joint_lrelu")
    h = layers.Conv2D(1, 4, padding="valid", kernel_initializer=_init(), name="logit_conv")(h)
    logits = layers.Reshape((1,), name="logits")(h)
    if projection:
        pooled = layers.GlobalAveragePooling2D(name="pooled")(features)
        embedded = layers.Dense(width, use_bias=False, name="text_embedding")(projected)
        match = layers.Dot(axes=1, name="projection")([pooled, embedded])
        logits = layers.Add(name="logits_with_projection")([logits, match])
    return keras.Model([image, condition], logits, name=name)


@register("stackgan_stage1_generator")
def stackgan_stage1_generator(latent_dim=100, embedding_dim=256, image_size=16, channels=3, filters=64, ca_dim=128,
                              conditioning_augmentation=True, text_norm=False, sync_batch_norm=True,
                              name="stage1_generator"):
    """StackGAN Stage I: ``c`` from conditioning augmentation, ``[noise, c] -> 4x4 ->`` up blocks ``-> image``.

    Args:
        latent_dim: size of the noise part of ``z``.
        embedding_dim: size of the sentence embedding ``condition``.
        image_size: output side, a power of two >= 8 (16 for a 32 px Stage II).
        channels: output channels.
        filters: filters of the last up block (the 4x4 map has ``filters * image_size / 4``).
        ca_dim: size of ``c`` (128 in the paper).
        conditioning_augmentation: CA (``z`` gets ``ca_dim`` more entries, the ``eps``);
            False: ``c`` is a plain projection ``Dense -> LReLU`` and there is no KL.
        sync_batch_norm: cross-replica batch statistics.
        name: model name.

    Returns:
        A ``keras.Model`` ``[z, condition] -> {"image", "ca_mean", "ca_log_var"}`` (``{"image"}`` without CA).
    """
    check_int("latent_dim", latent_dim)
    check_int("ca_dim", ca_dim)
    _check_common(image_size, embedding_dim, channels, filters)
    ups = int(math.log2(image_size)) - 2
    width = filters * 2 ** ups
    z = keras.Input((latent_dim + (ca_dim if conditioning_augmentation else 0),), name="z")
    condition = keras.Input((embedding_dim,), name="condition")
    noise, c, extra = _augmented(condition, z, latent_dim, ca_dim, conditioning_augmentation, "ca")
    h = layers.Concatenate(name="z_and_c")([noise, c])
    h = layers.Dense(4 * 4 * width, use_bias=False, kernel_initializer=_init(), name="project")(h)
    h = layers.Reshape((4, 4, width), name="reshape")(h)
    norm_text = c if text_norm else None
    h = layers.ReLU(name="relu_0")(_bn(h, "bn_0", sync_batch_norm, norm_text))
    for i in range(1, ups + 1):
        width //= 2
        h = _upsample(h, width, f"up_{i}", sync_batch_norm, norm_text)
    h = layers.Conv2D(channels, 3, padding="same", kernel_initializer=_init(), name="to_image")(h)
    outputs = {"image": layers.Activation("tanh", name="image")(h), **extra}
    return keras.Model([z, condition], outputs, name=name)


def _residual(h, width, name, sync):
    y = layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=_init(), name=f"{name}_conv1")(h)
    y = layers.ReLU(name=f"{name}_relu1")(_bn(y, f"{name}_bn1", sync))
    y = layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=_init(), name=f"{name}_conv2")(y)
    y = _bn(y, f"{name}_bn2", sync)
    return layers.ReLU(name=f"{name}_relu")(layers.Add(name=f"{name}_add")([h, y]))


@register("stackgan_stage2_generator")
def stackgan_stage2_generator(stage1, ca_dim=128, filters=32, downsamples=2, residual_blocks=2,
                              conditioning_augmentation=True, sync_batch_norm=True, name="stage2_generator"):
    """StackGAN Stage II on a frozen Stage I generator: refines Stage I's image to twice its size.

    ``stage1 image -> Conv3x3 -> ReLU -> [Conv4x4/2 -> BN -> ReLU] * downsamples``; ``c`` tiled
    and concatenated; ``Conv3x3 -> BN -> ReLU``; residual blocks; ``downsamples + 1`` up blocks;
    ``Conv3x3 -> tanh``. The paper downsamples 4x (64 -> 16) and runs 4 residual blocks.

    Args:
        stage1: a Stage I generator (:func:`stackgan_stage1_generator`); it is set
            ``trainable = False`` and its batch norm runs on its moving statistics.
        ca_dim: size of Stage II's own ``c``.
        filters: filters of the first encoder convolution, doubled at each downsampling.
        downsamples: stride-2 convolutions of the encoder.
        residual_blocks: residual blocks at the joint resolution.
        conditioning_augmentation: Stage II's own CA (its ``eps`` is appended to Stage I's ``z``).
        sync_batch_norm: cross-replica batch statistics.
        name: model name.

    Returns:
        A ``keras.Model`` ``[z, condition] -> {"image", "stage1_image", "ca_mean", "ca_log_var"}``
        (no ``ca_*`` without CA).
    """
    if not isinstance(stage1, keras.Model) or [t.name for t in stage1.inputs] != ["z", "condition"]:
        raise InputError(f"expected a Stage I generator with inputs ['z', 'condition']; received: {stage1!r}")
    check_int("ca_dim", ca_dim)
    check_int("filters", filters)
    check_int("downsamples", downsamples)
    check_int("residual_blocks", residual_blocks, 0)
    stage1.trainable = False
    stage1_z = int(stage1.inputs[0].shape[-1])
    embedding_dim = int(stage1.inputs[1].shape[-1])
    z = keras.Input((stage1_z + (ca_dim if conditioning_augmentation else 0),), name="z")
    condition = keras.Input((embedding_dim,), name="condition")
    low = stage1([z[:, :stage1_z], condition])
    low = low["image"] if isinstance(low, dict) else low
    size = int(low.shape[1])
    if size % 2 ** downsamples:
        raise InputError(f"expected a Stage I image size divisible by 2**downsamples={2 ** downsamples}; "
                         f"received: {size}")
    _, c, extra = _augmented(condition, z, stage1_z, ca_dim, conditioning_augmentation, "ca2")
    h = layers.Conv2D(filters, 3, padding="same", kernel_initializer=_init(), name="encode_0")(low)
    h = layers.ReLU(name="encode_0_relu")(h)
    width = filters
    for i in range(1, downsamples + 1):
        width *= 2
        h = layers.Conv2D(width, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init(),
                          name=f"encode_{i}")(h)
        h = layers.ReLU(name=f"encode_{i}_relu")(_bn(h, f"encode_{i}_bn", sync_batch_norm))
    side = size // 2 ** downsamples
    tiled = layers.Reshape((side, side, ca_dim), name="c_tiled")(layers.RepeatVector(side * side, name="c_repeat")(c))
    h = layers.Concatenate(name="image_and_c")([h, tiled])
    h = layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=_init(), name="joint")(h)
    h = layers.ReLU(name="joint_relu")(_bn(h, "joint_bn", sync_batch_norm))
    for i in range(residual_blocks):
        h = _residual(h, width, f"res_{i}", sync_batch_norm)
    for i in range(downsamples + 1):
        width = max(width // 2, 8)
        h = _upsample(h, width, f"up_{i}", sync_batch_norm)
    h = layers.Conv2D(int(low.shape[-1]), 3, padding="same", kernel_initializer=_init(), name="to_image")(h)
    image = layers.Activation("tanh", name="image")(h)
    return keras.Model([z, condition], {"image": image, "stage1_image": low, **extra}, name=name)
