"""AttnGAN's networks (Xu et al. 2018): a two-stage generator whose second stage attends over the words.

Stage 1 draws at ``image_size / 2`` from the noise and the conditioning-augmented
sentence vector (StackGAN's CA, :func:`tfopt.nets.text2image._augmented`), as
AttnGAN's ``F_0``: ``[noise, c] -> Dense -> BN -> GLU -> 4x4 ->`` up blocks (nearest x2,
3x3 convolution, BN, GLU) ``-> h_1``, with an image head ``Conv3x3 -> tanh``. Stage 2
refines at ``image_size``: every sub-region of ``h_1`` attends over the word features
(:class:`~tfopt.layers.WordAttention`, masked on padding), the word contexts are
concatenated to ``h_1``, residual blocks with GLU run at that size, one up block
doubles it and a second image head draws the final image.

The generator is one model ``[z, sentence, words, mask] -> {"image", "stage1_image",
"attention", "ca_mean", "ca_log_var"}``: ``sentence``, ``words`` and ``mask`` are the
frozen text encoder's outputs of the same names (:func:`tfopt.text2image.encoders.text_encoder`),
``z`` carries the noise and then CA's ``eps``. The discriminator is one model over both
stages, ``[image, stage1_image, sentence] -> {"logits", "cond_logits"}`` ``[B, 2]`` (column
``s`` is stage ``s + 1``): each stage has its own network with an unconditional logit
(the image alone) and a sentence-conditional one.

Example:
    g = build("attngan_generator", latent_dim=100, embedding_dim=128, image_size=32)
    out = g([z, s, w, m])                                       # out["image"] [B, 32, 32, 3]
    d = build("attngan_discriminator", embedding_dim=128, image_size=32)
    d([out["image"], out["stage1_image"], s])["cond_logits"]   # [B, 2]
"""
import math

import keras
from keras import layers

from tfopt.layers.word_attention import GLU, WordAttention
from tfopt.nets.checks import check_int, check_power_of_two
from tfopt.nets.ops import leaky_relu, nearest_x2
from tfopt.nets.registry import register
from tfopt.nets.text2image import _augmented, _bn, _down_to_4x4, _init, _project

__all__ = ["attngan_generator", "attngan_stage_discriminator", "attngan_discriminator", "STAGE_IMAGES"]

STAGE_IMAGES = ("stage1_image", "image")
"""The generator's image outputs (and the discriminator's image inputs), stage by stage."""


def _up_glu(h, width, name, sync, text=None):
    """AttnGAN's up block: nearest x2, 3x3 convolution to ``2 * width``, batch norm, GLU."""
    h = nearest_x2(h, f"{name}_up")
    h = layers.Conv2D(2 * width, 3, padding="same", use_bias=False, kernel_initializer=_init(),
                      name=f"{name}_conv")(h)
    return GLU(name=f"{name}_glu")(_bn(h, f"{name}_bn", sync, text))


def _residual_glu(h, width, name, sync):
    """AttnGAN's residual block: ``h + BN(Conv3x3(GLU(BN(Conv3x3(h)))))``."""
    y = layers.Conv2D(2 * width, 3, padding="same", use_bias=False, kernel_initializer=_init(), name=f"{name}_conv1")(h)
    y = GLU(name=f"{name}_glu")(_bn(y, f"{name}_bn1", sync))
    y = layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=_init(), name=f"{name}_conv2")(y)
    return layers.Add(name=f"{name}_add")([h, _bn(y, f"{name}_bn2", sync)])


def _to_image(h, channels, name):
    h = layers.Conv2D(channels, 3, padding="same", kernel_initializer=_init(), name=f"{name}_conv")(h)
    return layers.Activation("tanh", name=name)(h)


@register("attngan_generator")
def attngan_generator(latent_dim=100, embedding_dim=128, image_size=32, channels=3, filters=32, ca_dim=128,
                      residual_blocks=2, text_norm=False, sync_batch_norm=True, name="generator"):
    """AttnGAN's generator with two stages: ``image_size / 2`` from the sentence, then ``image_size`` with attention.

    Args:
        latent_dim: size of the noise part of ``z`` (``z`` has ``ca_dim`` more entries: CA's ``eps``).
        embedding_dim: size of the sentence vector and of each word feature.
        image_size: side of the final image, a power of two >= 16 (Stage 1 draws at half of it).
        channels: image channels.
        filters: width of Stage 1's last hidden features ``h_1`` and of Stage 2 (the 4x4 map has
            ``filters * image_size / 8``).
        ca_dim: size of the conditioning ``c``.
        residual_blocks: Stage 2's residual blocks (2 in the paper).
        text_norm: Stage 1's batch norms take their gain and bias from ``c`` (not in the paper).
        sync_batch_norm: cross-replica batch statistics.
        name: model name.

    Returns:
        A ``keras.Model`` ``[z, sentence, words [B, T, E], mask [B, T]] -> {"image" [B, S, S, C],
        "stage1_image" [B, S/2, S/2, C], "attention" [B, (S/2)^2, T], "ca_mean", "ca_log_var"}``.
    """
    check_int("latent_dim", latent_dim)
    check_int("embedding_dim", embedding_dim)
    check_int("channels", channels)
    check_int("filters", filters)
    check_int("ca_dim", ca_dim)
    check_int("residual_blocks", residual_blocks, 0)
    check_power_of_two("image_size", image_size, 16)
    ups = int(math.log2(image_size // 2)) - 2
    width = filters * 2 ** ups
    z = keras.Input((latent_dim + ca_dim,), name="z")
    sentence = keras.Input((embedding_dim,), name="sentence")
    words = keras.Input((None, embedding_dim), name="words")
    mask = keras.Input((None,), name="mask")
    noise, c, extra = _augmented(sentence, z, latent_dim, ca_dim, True, "ca")
    norm_text = c if text_norm else None
    h = layers.Concatenate(name="z_and_c")([noise, c])
    h = layers.Dense(4 * 4 * width * 2, use_bias=False, kernel_initializer=_init(), name="project")(h)
    h = layers.Reshape((4, 4, width * 2), name="reshape")(h)
    h = GLU(name="glu_0")(_bn(h, "bn_0", sync_batch_norm, norm_text))
    for i in range(1, ups + 1):
        width //= 2
        h = _up_glu(h, width, f"up_{i}", sync_batch_norm, norm_text)
    stage1_image = _to_image(h, channels, "stage1_image")
    # U keeps Keras' default (Glorot) initializer, as AttnGAN's 1x1 convolution keeps Torch's: with DCGAN's
    # N(0, 0.02) the scores h_i . U e_j start ~0 and every sub-region attends uniformly (measured: max 0.12 of 8 words).
    context, attention = WordAttention(name="word_attention")([h, words, mask])
    attention = layers.Identity(name="attention")(attention)
    h = layers.Concatenate(name="h_and_context")([h, context])
    for i in range(residual_blocks):
        h = _residual_glu(h, 2 * filters, f"res_{i}", sync_batch_norm)
    h = _up_glu(h, filters, "up_stage2", sync_batch_norm)
    image = _to_image(h, channels, "image")
    outputs = {"image": image, "stage1_image": stage1_image, "attention": attention, **extra}
    return keras.Model([z, sentence, words, mask], outputs, name=name)


@register("attngan_stage_discriminator")
def attngan_stage_discriminator(embedding_dim=128, image_size=32, channels=3, filters=32, projection_dim=128,
                                projection=False, sync_batch_norm=True, name="stage_discriminator"):
    """One stage's discriminator: an unconditional and a sentence-conditional logit on shared image features.

    ``image -> [Conv4x4/2 -> (BN) -> LReLU] * -> 4x4xW``; unconditional: ``Conv4x4 (valid)``;
    conditional: the projected sentence tiled and concatenated, ``Conv3x3 -> BN -> LReLU ->
    Conv4x4 (valid)`` (AttnGAN's ``D_GET_LOGITS``), plus with ``projection`` the inner product
    of the projected text with the pooled features (Miyato & Koyama 2018; not in the paper).

    Args:
        embedding_dim: size of the sentence vector.
        image_size: the stage's image side, a power of two >= 8.
        channels: image channels.
        filters: first convolution's filters, doubled at each halving.
        projection_dim: size of the text projection.
        projection: add the projection term to the conditional logit.
        sync_batch_norm: cross-replica batch statistics.
        name: model name.

    Returns:
        A ``keras.Model`` ``[image, sentence] -> {"logits" [B, 1], "cond_logits" [B, 1]}``.
    """
    check_power_of_two("image_size", image_size, 8)
    check_int("embedding_dim", embedding_dim)
    check_int("filters", filters)
    check_int("projection_dim", projection_dim)
    image = keras.Input((image_size, image_size, channels), name="image")
    sentence = keras.Input((embedding_dim,), name="sentence")
    h, width = _down_to_4x4(image, filters, sync_batch_norm)
    features = h
    uncond = layers.Conv2D(1, 4, padding="valid", kernel_initializer=_init(), name="uncond_conv")(features)
    projected = _project(sentence, projection_dim, "text_projection")
    tiled = layers.Reshape((4, 4, projection_dim), name="text_tiled")(
        layers.RepeatVector(16, name="text_repeat")(projected))
    h = layers.Concatenate(name="image_and_text")([features, tiled])
    h = layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=_init(), name="joint_conv")(h)
    h = leaky_relu(_bn(h, "joint_bn", sync_batch_norm), "joint_lrelu")
    cond = layers.Reshape((1,), name="cond_flat")(
        layers.Conv2D(1, 4, padding="valid", kernel_initializer=_init(), name="cond_conv")(h))
    if projection:
        pooled = layers.GlobalAveragePooling2D(name="pooled")(features)
        embedded = layers.Dense(width, use_bias=False, name="text_embedding")(projected)
        match = layers.Dot(axes=1, name="projection")([pooled, embedded])
        cond = layers.Add(name="cond_with_projection")([cond, match])
    outputs = {"logits": layers.Reshape((1,), name="logits")(uncond), "cond_logits": layers.Identity(name="cond")(cond)}
    return keras.Model([image, sentence], outputs, name=name)


@register("attngan_discriminator")
def attngan_discriminator(embedding_dim=128, image_size=32, channels=3, filters=32, projection_dim=128,
                          projection=False, sync_batch_norm=True, name="discriminator"):
    """Both stages' discriminators in one model: each judges its own stage's image.

    Args:
        embedding_dim, channels, filters, projection_dim, projection, sync_batch_norm: as for
            :func:`attngan_stage_discriminator` (each stage gets the same widths).
        image_size: the final image side (Stage 1's is half of it).
        name: model name.

    Returns:
        A ``keras.Model`` ``[image [B, S, S, C], stage1_image [B, S/2, S/2, C], sentence] ->
        {"logits" [B, 2], "cond_logits" [B, 2]}`` (column 0: Stage 1, column 1: Stage 2).
    """
    check_power_of_two("image_size", image_size, 16)
    sentence = keras.Input((embedding_dim,), name="sentence")
    inputs, uncond, cond = {"sentence": sentence}, [], []
    for stage, (key, size) in enumerate(zip(STAGE_IMAGES, (image_size // 2, image_size)), start=1):
        inputs[key] = keras.Input((size, size, channels), name=key)
        judge = attngan_stage_discriminator(embedding_dim=embedding_dim, image_size=size, channels=channels,
                                            filters=filters, projection_dim=projection_dim, projection=projection,
                                            sync_batch_norm=sync_batch_norm, name=f"stage{stage}_discriminator")
        out = judge([inputs[key], sentence])
        uncond.append(out["logits"])
        cond.append(out["cond_logits"])
    outputs = {"logits": layers.Concatenate(name="logits")(uncond),
               "cond_logits": layers.Concatenate(name="cond_logits")(cond)}
    return keras.Model([inputs["image"], inputs["stage1_image"], sentence], outputs, name=name)
