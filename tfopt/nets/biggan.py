"""BigGAN networks (Brock, Donahue & Simonyan 2019) at any power-of-two size: residual blocks,
class-conditional batch norm with a hierarchical latent, spectral norm, orthogonal init, self-attention.

Generator: ``z`` is split into one chunk for the first linear layer and one per block;
each block's batch norms take their gain and bias from ``[shared class embedding, its
z chunk]``. Up-blocks are ``CBN -> ReLU -> upsample -> conv3x3 -> CBN -> ReLU -> conv3x3``
plus an upsampled 1x1 skip. Discriminator: pre-activation down-blocks (the first
without the leading ReLU), ``ReLU``, sum-pooling to ``h``, and the projection head
``psi(h) + <embed(y), h>`` (Miyato & Koyama 2018); ``projection=False`` gives the
baseline that reads the class as one-hot input planes instead. Every convolution and
linear layer is spectrally normalized (:mod:`tfopt.layers.spectral`).

Example:
    g = build("biggan_generator", latent_dim=32, image_size=32, channels=1, width=16, num_classes=10)
    d = build("biggan_discriminator", image_size=32, channels=1, width=16, num_classes=10)
"""
import math

import keras
from keras import layers

from tfopt.core.errors import InputError
from tfopt.layers.attention import SelfAttention
from tfopt.layers.conditioning import ClassProjection
from tfopt.layers.latent import LatentChunks
from tfopt.layers.norms import ConditionalBatchNorm
from tfopt.layers.spectral import SpectralConv2D, SpectralDense
from tfopt.nets.checks import check_int, check_power_of_two
from tfopt.nets.registry import register

__all__ = ["biggan_generator", "biggan_discriminator"]


def _widths(width, blocks, growing):
    """Channels per block: halving towards the image in G (growing=False), doubling away from it in D."""
    widths = [width * 2 ** min(i, 3) for i in range(blocks)]
    return widths if growing else widths[::-1]


def _check(image_size, channels, width, num_classes, attention):
    check_power_of_two("image_size", image_size)
    check_int("channels", channels)
    check_int("width", width)
    check_int("num_classes", num_classes, 2)
    check_int("attention", attention, 0)
    if attention and (attention & (attention - 1) or not 8 <= attention <= image_size):
        raise InputError(f"expected attention to be 0 or a resolution in 8..{image_size}; received: "
                         f"attention={attention}")


def _upsample(h, name):
    """Nearest-neighbour 2x upsampling (BigGAN's). Resizing, not UpSampling2D: UpSampling2D repeats through
    Tile + Reshape, whose reshape targets the TFLite converter cannot infer for a dynamic batch, leaving
    the next convolution unconvertible (Select TF ops); Resizing is one RESIZE_NEAREST_NEIGHBOR, equal values."""
    return layers.Resizing(2 * h.shape[1], 2 * h.shape[2], interpolation="nearest", name=name)(h)


def _g_block(h, condition, width, name, sync):
    # No biases: every path out of these convolutions reaches a batch norm, which removes a bias
    # (its gradient is rounding noise, which Adam would turn into full-size steps).
    skip = _upsample(h, f"{name}_skip_up")
    skip = SpectralConv2D(width, 1, use_bias=False, name=f"{name}_skip")(skip)
    h = ConditionalBatchNorm(synchronized=sync, name=f"{name}_cbn1")([h, condition])
    h = layers.ReLU(name=f"{name}_relu1")(h)
    h = _upsample(h, f"{name}_up")
    h = SpectralConv2D(width, 3, use_bias=False, name=f"{name}_conv1")(h)
    h = ConditionalBatchNorm(synchronized=sync, name=f"{name}_cbn2")([h, condition])
    h = layers.ReLU(name=f"{name}_relu2")(h)
    h = SpectralConv2D(width, 3, use_bias=False, name=f"{name}_conv2")(h)
    return layers.Add(name=f"{name}_out")([h, skip])


@register("biggan_generator")
def biggan_generator(latent_dim=128, image_size=32, channels=3, width=64, num_classes=10, embed_dim=128, attention=0,
                     sync_batch_norm=True, name="generator"):
    """BigGAN's generator.

    Args:
        latent_dim: noise size, split into ``log2(image_size / 4) + 1`` equal chunks.
        image_size: output side, a power of two >= 8 (4x4 start, one up-block per doubling).
        channels: output channels.
        width: channels of the last block (each earlier block doubles, up to 8x).
        num_classes: classes of the ``condition`` input.
        embed_dim: size of the shared class embedding.
        attention: resolution after which a self-attention block runs (0: none).
        sync_batch_norm: batch statistics over all replicas.
        name: model name.

    Returns:
        A ``keras.Model`` ``[z [B, latent_dim], condition [B]] -> images [B, S, S, channels]`` in [-1, 1].
    """
    _check(image_size, channels, width, num_classes, attention)
    check_int("embed_dim", embed_dim)
    blocks = int(math.log2(image_size)) - 2
    if latent_dim % (blocks + 1):
        raise InputError(f"expected latent_dim divisible by {blocks + 1} (one chunk for the input and one per "
                         f"block at {image_size} px); received: latent_dim={latent_dim}")
    widths = _widths(width, blocks, growing=False)
    z = keras.Input((latent_dim,), name="z")
    y = keras.Input((), dtype="int32", name="condition")
    shared = layers.Embedding(num_classes, embed_dim, name="shared_embedding",
                              embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0))(y)
    chunks = LatentChunks(blocks + 1, name="z_chunks")(z)
    # With a bias, as BigGAN's linear layer: it is a learnt 4x4 template per channel, which the next batch
    # norm does not remove (that removes one mean per channel, not per position). Without it, z -> 0 under
    # truncation leaves G no spatial input at all, and low thresholds drew blurred class averages.
    h = SpectralDense(4 * 4 * widths[0], name="project")(chunks[0])
    h = layers.Reshape((4, 4, widths[0]), name="reshape")(h)
    resolution = 4
    for i, w in enumerate(widths):
        condition = layers.Concatenate(name=f"g{i}_condition")([shared, chunks[i + 1]])
        h = _g_block(h, condition, w, f"g{i}", sync_batch_norm)
        resolution *= 2
        if resolution == attention:
            h = SelfAttention(name=f"attention_{resolution}")(h)
    h = layers.BatchNormalization(synchronized=sync_batch_norm, name="bn_out")(h)
    h = layers.ReLU(name="relu_out")(h)
    h = SpectralConv2D(channels, 3, name="conv_out")(h)
    out = layers.Activation("tanh", name="images")(h)
    return keras.Model([z, y], out, name=name)


def _d_block(x, width, name, *, down, preactivation):
    h = layers.ReLU(name=f"{name}_relu0")(x) if preactivation else x
    h = SpectralConv2D(width, 3, name=f"{name}_conv1")(h)
    h = layers.ReLU(name=f"{name}_relu1")(h)
    h = SpectralConv2D(width, 3, name=f"{name}_conv2")(h)
    if down:
        h = layers.AveragePooling2D(2, name=f"{name}_pool")(h)
    skip = x
    if preactivation:  # conv then pool; the first block pools first (BigGAN's order)
        skip = SpectralConv2D(width, 1, name=f"{name}_skip")(skip)
        skip = layers.AveragePooling2D(2, name=f"{name}_skip_pool")(skip) if down else skip
    else:
        skip = layers.AveragePooling2D(2, name=f"{name}_skip_pool")(skip) if down else skip
        skip = SpectralConv2D(width, 1, name=f"{name}_skip")(skip)
    return layers.Add(name=f"{name}_out")([h, skip])


@register("biggan_discriminator")
def biggan_discriminator(image_size=32, channels=3, width=64, num_classes=10, attention=0, projection=True,
                         name="discriminator"):
    """BigGAN's discriminator with a projection head.

    Args:
        image_size: input side, a power of two >= 8 (down-blocks to 4x4).
        channels: input channels.
        width: channels of the first block (each later one doubles, up to 8x).
        num_classes: classes of the ``condition`` input.
        attention: resolution at which a self-attention block runs (0: none).
        projection: the projection head ``psi(h) + <embed(y), h>``; False reads the class as
            ``num_classes`` one-hot planes concatenated to the image instead (a baseline).
        name: model name.

    Returns:
        A ``keras.Model`` ``[image [B, S, S, C], condition [B]] -> logits [B, 1]``.
    """
    _check(image_size, channels, width, num_classes, attention)
    blocks = int(math.log2(image_size)) - 2
    widths = _widths(width, blocks, growing=True)
    x = keras.Input((image_size, image_size, channels), name="image")
    y = keras.Input((), dtype="int32", name="condition")
    h = x
    if not projection:
        # Broadcast each example's one-hot over the whole image: a plane per class (not tf.repeat's band).
        onehot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="class_one_hot")(y)
        planes = layers.Reshape((1, 1, num_classes), name="class_planes")(onehot)
        planes = layers.UpSampling2D(image_size, name="class_broadcast")(planes)
        h = layers.Concatenate(name="image_and_class")([x, planes])
    resolution = image_size
    for i, w in enumerate(widths):
        h = _d_block(h, w, f"d{i}", down=True, preactivation=i > 0)
        resolution //= 2
        if resolution == attention:
            h = SelfAttention(name=f"attention_{resolution}")(h)
    h = layers.ReLU(name="relu_out")(h)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    h = layers.Rescaling(16.0, name="sum_pool")(h)  # sum over the 4x4 positions, as BigGAN sum-pools
    logits = SpectralDense(1, name="psi")(h)
    if projection:
        term = ClassProjection(num_classes, embeddings_initializer="orthogonal", spectral_norm=True,
                               name="projection")([h, y])
        logits = layers.Add(name="logits")([logits, term])
    return keras.Model([x, y], logits, name=name)
