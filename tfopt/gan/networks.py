"""Generator and discriminator networks: Goodfellow's MLP GAN and DCGAN.

Generators map noise ``z [B, latent_dim]`` to images ``[B, H, W, C]`` in [-1, 1]
(tanh). Discriminators map images to one unbounded logit per example ``[B, 1]``; the
loss family decides how to read it. With ``categorical_codes=N`` (DCGAN only) the
generator reads an InfoGAN categorical code from the first ``N`` entries of ``z``
(:class:`~tfopt.gan.layers.CategoricalCode`) and the discriminator has a second output,
the ``[B, N]`` logits of its Q head (Chen et al. 2016) sharing the convolutional trunk.
All are functional ``keras.Model`` s built only from built-in or registered layers, so
they save and reload with ``safe_mode=True``.

Example:
    g = dcgan_generator(latent_dim=100, image_size=32, channels=1)
    d = dcgan_discriminator(image_size=32, channels=1)
    images = g(keras.random.normal((16, 100)))      # [16, 32, 32, 1] in [-1, 1]
"""
import math

import keras
from keras import layers

from tfopt.core.errors import InputError
from tfopt.gan.layers import CategoricalCode, Maxout

__all__ = [
    "NORMS",
    "mlp_generator",
    "mlp_discriminator",
    "dcgan_generator",
    "dcgan_discriminator",
    "build_networks",
]

NORMS = ("batch", "layer", "none")
"""Discriminator normalizations: batch norm (DCGAN), layer norm (WGAN-GP), none."""


def _init():
    # DCGAN section 4: all weights from N(0, 0.02).
    return keras.initializers.RandomNormal(stddev=0.02)


def _check_int(name, value, lo=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise InputError(f"expected {name} to be an integer >= {lo}; received: {name}={value!r}")


def _check_image_size(image_size):
    _check_int("image_size", image_size, 8)
    if image_size & (image_size - 1):
        raise InputError(f"expected image_size to be a power of two >= 8 (32 or 64); received: image_size={image_size}")


def mlp_generator(latent_dim=100, image_shape=(32, 32, 1), hidden=(1200, 1200), name="generator"):
    """Goodfellow et al. 2014's MLP generator: ReLU hidden layers, tanh output.

    (The paper's MNIST net ends in a sigmoid; tanh keeps the [-1, 1] contract.)

    Args:
        latent_dim: noise dimension.
        image_shape: ``(H, W, C)`` of the output images.
        hidden: units of the hidden ReLU layers.
        name: model name.

    Returns:
        A ``keras.Model`` ``z [B, latent_dim] -> images [B, H, W, C]``.
    """
    _check_int("latent_dim", latent_dim)
    z = keras.Input((latent_dim,), name="z")
    h = z
    for i, units in enumerate(hidden):
        h = layers.Dense(units, activation="relu", name=f"dense_{i}")(h)
    h = layers.Dense(math.prod(image_shape), name="dense_out")(h)
    h = layers.Activation("tanh", name="tanh")(h)
    out = layers.Reshape(tuple(image_shape), name="images")(h)
    return keras.Model(z, out, name=name)


def mlp_discriminator(image_shape=(32, 32, 1), units=(240, 240), pieces=5, dropout=0.5, name="discriminator"):
    """Goodfellow et al. 2014's maxout discriminator with dropout, one logit out.

    Args:
        image_shape: ``(H, W, C)`` of the input images.
        units: maxout units per hidden layer.
        pieces: affine pieces per maxout unit.
        dropout: dropout rate before each maxout layer (0 disables).
        name: model name.

    Returns:
        A ``keras.Model`` ``images -> logits [B, 1]``.
    """
    x = keras.Input(tuple(image_shape), name="images")
    h = layers.Flatten(name="flatten")(x)
    for i, width in enumerate(units):
        if dropout:
            h = layers.Dropout(dropout, name=f"dropout_{i}")(h)
        h = Maxout(width, pieces=pieces, name=f"maxout_{i}")(h)
    out = layers.Dense(1, name="logit")(h)
    return keras.Model(x, out, name=name)


def _check_codes(categorical_codes, latent_dim=None):
    _check_int("categorical_codes", categorical_codes, 0)
    if latent_dim is not None and categorical_codes and categorical_codes >= latent_dim:
        raise InputError(f"expected categorical_codes < latent_dim={latent_dim} (the code is read from the first "
                         f"entries of z); received: categorical_codes={categorical_codes}")


def dcgan_generator(latent_dim=100, image_size=32, channels=1, filters=64, sync_batch_norm=True, name="generator",
                    categorical_codes=0):
    """DCGAN generator (Radford et al. 2016): project, then strided transposed convolutions.

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

    Returns:
        A ``keras.Model`` ``z [B, latent_dim] -> images [B, image_size, image_size, channels]``.
    """
    _check_int("latent_dim", latent_dim)
    _check_codes(categorical_codes, latent_dim)
    _check_image_size(image_size)
    _check_int("channels", channels)
    _check_int("filters", filters)
    ups = int(math.log2(image_size)) - 2
    width = filters * 2 ** (ups - 1)
    z = keras.Input((latent_dim,), name="z")
    h = CategoricalCode(categorical_codes, name="code")(z) if categorical_codes else z
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
    return keras.Model(z, out, name=name)


def dcgan_discriminator(image_size=32, channels=1, filters=64, norm="batch", sync_batch_norm=True,
                        name="discriminator", categorical_codes=0, q_units=128):
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
            ``Flatten -> Dense(q_units) -> LReLU -> Dense(N)``, a second output.
        q_units: hidden units of the Q head.

    Returns:
        A ``keras.Model`` ``images -> logits [B, 1]``, or ``images -> [logits [B, 1],
        code logits [B, N]]`` with codes.
    """
    _check_image_size(image_size)
    _check_codes(categorical_codes)
    _check_int("q_units", q_units)
    _check_int("channels", channels)
    _check_int("filters", filters)
    if norm not in NORMS:
        raise InputError(f"expected norm to be one of {', '.join(NORMS)}; received: norm={norm!r}")
    downs = int(math.log2(image_size)) - 2
    x = keras.Input((image_size, image_size, channels), name="images")
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
        h = layers.LeakyReLU(0.2, name=f"lrelu_{i}")(h)
        width *= 2
    h = layers.Flatten(name="flatten")(h)
    out = layers.Dense(1, kernel_initializer=_init(), name="logit")(h)
    if categorical_codes:
        q = layers.Dense(q_units, kernel_initializer=_init(), name="q_hidden")(h)
        q = layers.LeakyReLU(0.2, name="q_lrelu")(q)
        q = layers.Dense(categorical_codes, kernel_initializer=_init(), name="q_logits")(q)
        out = [out, q]
    return keras.Model(x, out, name=name)


def build_networks(model="dcgan", *, latent_dim=100, image_size=32, channels=1, filters=64, norm="batch",
                   sync_batch_norm=True, categorical_codes=0):
    """Builds a (generator, discriminator) pair by family name.

    Args:
        model: ``"dcgan"`` or ``"gan"`` (Goodfellow's MLP with maxout discriminator).
        latent_dim: noise dimension.
        image_size: image side.
        channels: image channels.
        filters: DCGAN width (ignored by ``"gan"``).
        norm: DCGAN discriminator normalization (see :func:`dcgan_discriminator`).
        sync_batch_norm: cross-replica batch statistics.
        categorical_codes: InfoGAN categorical code size (DCGAN only; 0 = none).

    Returns:
        ``(generator, discriminator)`` keras Models.
    """
    if model == "dcgan":
        return (
            dcgan_generator(latent_dim, image_size, channels, filters, sync_batch_norm,
                            categorical_codes=categorical_codes),
            dcgan_discriminator(image_size, channels, filters, norm, sync_batch_norm,
                                categorical_codes=categorical_codes),
        )
    if categorical_codes:
        raise InputError(f"expected model='dcgan' with categorical codes; received: model={model!r}, "
                         f"categorical_codes={categorical_codes}")
    if model == "gan":
        _check_int("image_size", image_size)
        shape = (image_size, image_size, channels)
        return mlp_generator(latent_dim, shape), mlp_discriminator(shape)
    raise InputError(f"expected model to be one of dcgan, gan; received: model={model!r}")
