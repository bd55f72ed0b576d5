"""DCGAN networks (Radford et al. 2016), optionally conditioned on a class or carrying an InfoGAN code.

Generators map ``z [B, latent_dim]`` (plus an integer ``condition [B]`` when
``num_classes`` > 0) to images ``[B, H, W, C]`` in [-1, 1]. Discriminators map
``image`` (plus ``condition``) to one unbounded logit per example; with an InfoGAN
code they return ``{"logits": [B, 1], "code_logits": [B, N]}``.

Conditioning follows the common practice of the field: the generator concatenates a
learnt class embedding to ``z`` (Mirza & Osindero 2014, with an embedding instead of a
one-hot), the discriminator adds the projection term ``<embed(y), h>`` to its logit
(Miyato & Koyama 2018). Inputs are named ``z``, ``image`` and ``condition``: that is
how :class:`tfopt.gan.GAN` feeds them. Every layer is built-in or registered, so the
models save and reload with ``safe_mode=True``.

Example:
    g = build("dcgan_generator", latent_dim=100, image_size=32, channels=1, num_classes=10)
    images = g([z, labels])                        # [B, 32, 32, 1] in [-1, 1]
"""
import math

import keras
from keras import layers

from tfopt.core.errors import InputError
from tfopt.layers.codes import CategoricalCode
from tfopt.layers.conditioning import ClassProjection
from tfopt.nets.ops import leaky_relu
from tfopt.nets.checks import check_choice, check_int, check_power_of_two
from tfopt.nets.registry import register

__all__ = ["NORMS", "dcgan_generator", "dcgan_discriminator"]

NORMS = ("batch", "layer", "none")
"""Discriminator normalizations: batch norm (DCGAN), layer norm (WGAN-GP), none."""


def _init():
    # DCGAN section 4: all weights from N(0, 0.02).
    return keras.initializers.RandomNormal(stddev=0.02)


def _condition_input(num_classes):
    check_int("num_classes", num_classes, 0)
    return keras.Input((), dtype="int32", name="condition") if num_classes else None


@register("dcgan_generator")
def dcgan_generator(latent_dim=100, image_size=32, channels=1, filters=64, sync_batch_norm=True, name="generator",
                    categorical_codes=0, num_classes=0, embed_dim=None):
    """DCGAN generator: project, then strided transposed convolutions.

    ``z -> Dense(4*4*F) -> BN -> ReLU -> [ConvT(stride 2) -> BN -> ReLU] * ... -> ConvT -> tanh``,
    halving the filters at each doubling of the resolution; ``F = filters * image_size / 8``
    (256 for 32x32, 512 for 64x64 with ``filters=64``).

    Args:
        latent_dim: noise dimension.
        image_size: output side, a power of two (32 or 64 in the paper's spirit).
        channels: output channels (1 grey, 3 colour).
        filters: filters of the last hidden layer (the widest is ``filters * image_size / 8``).
        sync_batch_norm: batch statistics over all replicas (so 1 and N devices train
            alike); costs an all-reduce per layer under a multi-device strategy.
        name: model name.
        categorical_codes: if N > 0, the first N entries of ``z`` become the one-hot of
            their argmax (a uniform categorical code) before the projection; ``z``
            keeps its size and distribution. Needs ``N < latent_dim``.
        num_classes: if K > 0, a second input ``condition`` (int ``[B]`` in
            ``[0, K)``) whose learnt embedding is concatenated to ``z``.
        embed_dim: size of that embedding (default: ``latent_dim``).

    Returns:
        A ``keras.Model`` ``z [B, latent_dim] (, condition [B]) -> images [B, image_size, image_size, channels]``.
    """
    check_int("latent_dim", latent_dim)
    check_int("categorical_codes", categorical_codes, 0)
    if categorical_codes >= latent_dim:
        raise InputError(f"expected categorical_codes < latent_dim={latent_dim} (the code is read from the first "
                         f"entries of z); received: categorical_codes={categorical_codes}")
    check_power_of_two("image_size", image_size)
    check_int("channels", channels)
    check_int("filters", filters)
    condition = _condition_input(num_classes)
    ups = int(math.log2(image_size)) - 2
    width = filters * 2 ** (ups - 1)
    z = keras.Input((latent_dim,), name="z")
    h = CategoricalCode(categorical_codes, name="code")(z) if categorical_codes else z
    if condition is not None:
        # N(0, 1) rows, as strong as z's entries: with Keras' default U(-0.05, 0.05) the class starts
        # 20 times weaker than the noise, and a small generator learnt to ignore it.
        embedded = layers.Embedding(num_classes, embed_dim or latent_dim, name="class_embedding",
                                    embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0))(condition)
        h = layers.Concatenate(name="z_and_class")([h, embedded])
    h = layers.Dense(4 * 4 * width, use_bias=False, kernel_initializer=_init(), name="project")(h)
    h = layers.Reshape((4, 4, width), name="reshape")(h)
    h = layers.BatchNormalization(synchronized=sync_batch_norm, name="bn_0")(h)
    h = layers.ReLU(name="relu_0")(h)
    for i in range(1, ups):
        width //= 2
        h = layers.Conv2DTranspose(
            width, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init(), name=f"deconv_{i}"
        )(h)
        h = layers.BatchNormalization(synchronized=sync_batch_norm, name=f"bn_{i}")(h)
        h = layers.ReLU(name=f"relu_{i}")(h)
    h = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", kernel_initializer=_init(), name="deconv_out")(h)
    out = layers.Activation("tanh", name="images")(h)
    return keras.Model([z, condition] if condition is not None else z, out, name=name)


@register("dcgan_discriminator")
def dcgan_discriminator(image_size=32, channels=1, filters=64, norm="batch", sync_batch_norm=True,
                        name="discriminator", categorical_codes=0, q_units=128, num_classes=0):
    """DCGAN discriminator: strided convolutions, LeakyReLU(0.2), no norm on the first layer.

    ``Conv(F) -> LReLU -> [Conv(2F) -> norm -> LReLU] * ... -> Flatten -> Dense(1)``.

    Args:
        image_size: input side, a power of two.
        channels: input channels.
        filters: filters of the first layer, doubled at each halving.
        norm: ``"batch"`` (DCGAN), ``"layer"`` (use with the gradient penalty, which
            needs per-example gradients) or ``"none"``.
        sync_batch_norm: cross-replica batch statistics when ``norm="batch"``.
        name: model name.
        categorical_codes: if N > 0, add InfoGAN's Q head on the shared trunk:
            ``Flatten -> Dense(q_units) -> LReLU -> Dense(N)``, output ``code_logits``.
        q_units: hidden units of the Q head.
        num_classes: if K > 0, a second input ``condition`` (int ``[B]``) and the
            projection term ``<embed(condition), h>`` added to the logit.

    Returns:
        A ``keras.Model`` ``image (, condition) -> logits [B, 1]``, or ``-> {"logits": [B, 1],
        "code_logits": [B, N]}`` with codes.
    """
    check_power_of_two("image_size", image_size)
    check_int("categorical_codes", categorical_codes, 0)
    check_int("q_units", q_units)
    check_int("channels", channels)
    check_int("filters", filters)
    check_choice("norm", norm, NORMS)
    condition = _condition_input(num_classes)
    downs = int(math.log2(image_size)) - 2
    x = keras.Input((image_size, image_size, channels), name="image")
    h = x
    width = filters
    for i in range(downs):
        batch_norm = i > 0 and norm == "batch"  # a bias before batch norm is redundant (zero gradient)
        h = layers.Conv2D(
            width, 4, strides=2, padding="same", use_bias=not batch_norm, kernel_initializer=_init(), name=f"conv_{i}"
        )(h)
        if batch_norm:
            h = layers.BatchNormalization(synchronized=sync_batch_norm, name=f"bn_{i}")(h)
        elif i > 0 and norm == "layer":
            h = layers.LayerNormalization(name=f"ln_{i}")(h)
        h = leaky_relu(h, f"lrelu_{i}")
        width *= 2
    h = layers.Flatten(name="flatten")(h)
    logits = layers.Dense(1, kernel_initializer=_init(), name="logit")(h)
    if condition is not None:
        projection = ClassProjection(num_classes, embeddings_initializer=_init(), name="projection")([h, condition])
        logits = layers.Add(name="logits")([logits, projection])
    out = logits
    if categorical_codes:
        q = layers.Dense(q_units, kernel_initializer=_init(), name="q_hidden")(h)
        q = layers.LeakyReLU(0.2, name="q_lrelu")(q)
        q = layers.Dense(categorical_codes, kernel_initializer=_init(), name="q_logits")(q)
        out = {"logits": logits, "code_logits": q}
    return keras.Model([x, condition] if condition is not None else x, out, name=name)
