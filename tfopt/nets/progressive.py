"""Progressive GAN networks (Karras et al. 2018): one set of layers, one Keras model per growth stage.

Stage ``s`` draws at ``4 * 2**s`` px. :class:`ProgressiveNetworks` builds every layer
of every stage once (so a checkpoint always holds the same variables) and hands out
functional *views* that share them:

* ``generator(s)``: ``z -> image [B, R_s, R_s, C]``. For ``s > 0`` its output is
  ``FadeIn([upsample(toRGB_{s-1}(h_{s-1})), toRGB_s(h_s)])``: the old path, nearest-
  upsampled, blended with the new block by the layer's ``alpha``.
* ``discriminator(s)``: ``image [B, R_s, R_s, C] -> logit [B, 1]``. Its input path blends
  ``fromRGB_{s-1}(avgpool(x))`` with the new block's ``block_s(fromRGB_s(x))`` the same way.

At ``alpha = 0`` a grown view computes exactly the previous stage's function (up to the
resampling); at ``alpha = 1`` only the new path counts. The layers are the paper's:
equalized learning rate everywhere, pixel norm after every generator convolution (and on
``z``), a minibatch-stddev feature before the discriminator's last block, nearest-neighbour
upsampling, 2x2 average pooling, 1x1 toRGB / fromRGB, LeakyReLU(0.2), a linear output.

Widths follow the paper's rule ``min(filters, 32 * filters / R)``: 512 filters give its
512 maps up to 32 px, 256 at 64 px, and so on.

Example:
    nets = ProgressiveNetworks(resolution=32, latent_dim=64, channels=1, filters=64)
    g, d = nets.generator(1), nets.discriminator(1)      # the 8 px stage, fading in
    nets.set_alpha(1, 0.3)                               # both views' blend
    images = g(z)                                        # [B, 8, 8, 1]
"""
import math

import keras
import tensorflow as tf
from keras import layers

from tfopt.core.errors import InputError
from tfopt.layers.progressive import EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStddev, PixelNorm
from tfopt.nets.checks import check_int, check_power_of_two
from tfopt.nets.ops import leaky_relu

__all__ = ["ProgressiveNetworks", "stage_resolution", "stage_of"]


def stage_resolution(stage):
    """The side in pixels of stage ``stage`` (4 px is stage 0)."""
    return 4 * 2 ** int(stage)


def stage_of(resolution):
    """The stage that draws at ``resolution`` px (a power of two >= 4)."""
    check_power_of_two("resolution", resolution, 4)
    return int(math.log2(resolution)) - 2


class ProgressiveNetworks:
    """Every layer of a progressive generator and discriminator, and their per-stage views.

    Args:
        resolution: the final side in pixels (a power of two >= 4).
        latent_dim: size of ``z``.
        channels: image channels.
        filters: feature maps of the low-resolution blocks (the paper: 512).
        minibatch_stddev: add the minibatch-stddev feature in the discriminator.
        group_size: examples per minibatch-stddev group (the paper: 4).
        generator_only: build no discriminator (e.g. for the EMA copy of the generator).

    Attributes:
        num_stages: stages from 4 px up to ``resolution``.
        generator_layers: the generator's layers with weights, by stage (a flat list).
        discriminator_layers: the discriminator's, likewise.
    """

    def __init__(self, *, resolution=32, latent_dim=512, channels=3, filters=512, minibatch_stddev=True,
                 group_size=4, generator_only=False):
        check_power_of_two("resolution", resolution, 4)
        self.resolution = resolution
        self.latent_dim = check_int("latent_dim", latent_dim)
        self.channels = check_int("channels", channels)
        self.filters = check_int("filters", filters)
        self.minibatch_stddev = bool(minibatch_stddev)
        self.group_size = check_int("group_size", group_size)
        self.num_stages = stage_of(resolution) + 1
        self._g_blocks = [self._g_block(s) for s in range(self.num_stages)]
        self._to_rgb = [EqualizedConv2D(channels, 1, gain=1.0, name=f"to_rgb_{stage_resolution(s)}")
                        for s in range(self.num_stages)]
        self._g_fade = [FadeIn(name=f"g_fade_{stage_resolution(s)}") for s in range(self.num_stages)]
        self.generator_layers = [*(x for b in self._g_blocks for x in b), *self._to_rgb, *self._g_fade[1:]]
        self.discriminator_layers = []
        if not generator_only:
            self._d_blocks = [self._d_block(s) for s in range(self.num_stages)]
            self._from_rgb = [EqualizedConv2D(self.width(s), 1, name=f"from_rgb_{stage_resolution(s)}")
                              for s in range(self.num_stages)]
            self._d_fade = [FadeIn(name=f"d_fade_{stage_resolution(s)}") for s in range(self.num_stages)]
            self.discriminator_layers = [*(x for b in self._d_blocks for x in b), *self._from_rgb,
                                         *self._d_fade[1:]]
        for s in range(self.num_stages):  # creates every weight now: a checkpoint's variables never change
            self.generator(s)
            if not generator_only:
                self.discriminator(s)

    def width(self, stage):
        """Feature maps of stage ``stage``'s blocks: ``min(filters, 32 * filters / R)``."""
        return max(1, min(self.filters, 32 * self.filters // stage_resolution(stage)))

    def _g_block(self, s):
        r, f = stage_resolution(s), self.width(s)
        if s == 0:  # the paper's 4x4 dense has gain sqrt(2) / 4
            return [EqualizedDense(16 * f, gain=math.sqrt(2) / 4, name="g4_dense"),
                    EqualizedConv2D(f, 3, name="g4_conv")]
        return [EqualizedConv2D(f, 3, name=f"g{r}_conv0"), EqualizedConv2D(f, 3, name=f"g{r}_conv1")]

    def _d_block(self, s):
        r, f = stage_resolution(s), self.width(s)
        if s == 0:
            return [EqualizedConv2D(f, 3, name="d4_conv"), EqualizedDense(f, name="d4_dense"),
                    EqualizedDense(1, gain=1.0, name="d4_logit")]
        return [EqualizedConv2D(f, 3, name=f"d{r}_conv0"), EqualizedConv2D(self.width(s - 1), 3, name=f"d{r}_conv1")]

    def _check_stage(self, stage):
        if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage < self.num_stages:
            raise InputError(f"expected a stage in 0..{self.num_stages - 1} (4..{self.resolution} px); "
                             f"received: stage={stage!r}")

    def _g_features(self, z, stage):
        """The generator's features after each stage's block, up to ``stage``."""
        h, out = PixelNorm(name="z_norm")(z), []
        for s in range(stage + 1):
            r = stage_resolution(s)
            first, second = self._g_blocks[s]
            if s == 0:
                h = layers.Reshape((4, 4, self.width(0)), name="g4_reshape")(first(h))
            else:
                h = layers.UpSampling2D(2, interpolation="nearest", name=f"g{r}_up")(h)
                h = PixelNorm(name=f"g{r}_norm0")(leaky_relu(first(h), f"g{r}_act0"))
            h = PixelNorm(name=f"g{r}_norm1")(leaky_relu(second(h), f"g{r}_act1"))
            out.append(h)
        return out

    def generator(self, stage, *, fade=True, output_resolution=None, name=None):
        """The generator of stage ``stage``: ``z [B, latent_dim] -> [B, R, R, C]``, linear output.

        Args:
            stage: 0 (4 px) .. ``num_stages - 1``.
            fade: include the fade-in from the previous stage (its ``alpha`` is :meth:`set_alpha`'s);
                False gives the new path alone, for export.
            output_resolution: nearest-upsample the images to this side (e.g. the final one, to
                compare stages at one size); None keeps the stage's own.
            name: the model's name (default ``generator_<R>px``).
        """
        self._check_stage(stage)
        r = stage_resolution(stage)
        z = keras.Input((self.latent_dim,), name="z")
        features = self._g_features(z, stage)
        image = self._to_rgb[stage](features[-1])
        if fade and stage > 0:
            old = layers.UpSampling2D(2, interpolation="nearest", name="old_up")(self._to_rgb[stage - 1](features[-2]))
            image = self._g_fade[stage]([old, image])
        if output_resolution and output_resolution != r:
            if output_resolution % r:
                raise InputError(f"expected output_resolution a multiple of {r}; received: {output_resolution}")
            image = layers.UpSampling2D(output_resolution // r, interpolation="nearest", name="to_output")(image)
        return keras.Model(z, image, name=name or f"generator_{r}px")

    def discriminator(self, stage, *, fade=True, name=None):
        """The discriminator of stage ``stage``: ``image [B, R, R, C] -> logit [B, 1]``.

        Args:
            stage: 0 (4 px) .. ``num_stages - 1``.
            fade: include the fade-in of the input path (``alpha`` as for the generator).
            name: the model's name (default ``discriminator_<R>px``).
        """
        if not self.discriminator_layers:
            raise InputError("expected networks built with a discriminator; received: generator_only=True")
        self._check_stage(stage)
        r = stage_resolution(stage)
        x = keras.Input((r, r, self.channels), name="image")
        h = leaky_relu(self._from_rgb[stage](x), f"from_rgb_{r}_act")
        for s in range(stage, 0, -1):
            rs = stage_resolution(s)
            first, second = self._d_blocks[s]
            h = leaky_relu(first(h), f"d{rs}_act0")
            h = leaky_relu(second(h), f"d{rs}_act1")
            h = layers.AveragePooling2D(2, name=f"d{rs}_pool")(h)
            if s == stage and fade:
                old = layers.AveragePooling2D(2, name="old_pool")(x)
                old = leaky_relu(self._from_rgb[s - 1](old), "old_from_rgb_act")
                h = self._d_fade[s]([old, h])
        conv, dense, logit = self._d_blocks[0]
        if self.minibatch_stddev:
            h = MinibatchStddev(self.group_size, name="minibatch_stddev")(h)
        h = leaky_relu(conv(h), "d4_act0")
        h = leaky_relu(dense(layers.Flatten(name="d4_flatten")(h)), "d4_act1")
        return keras.Model(x, logit(h), name=name or f"discriminator_{r}px")

    def set_alpha(self, stage, alpha):
        """Sets the fade-in ``alpha`` of stage ``stage`` in the generator and discriminator (no-op at stage 0)."""
        self._check_stage(stage)
        if stage == 0:
            return
        self._g_fade[stage].set_alpha(alpha)
        if self.discriminator_layers:
            self._d_fade[stage].set_alpha(alpha)

    def real_fade(self, stage):
        """The fade of the real images at stage ``stage``: ``x -> alpha * x + (1 - alpha) * up(avgpool(x))``.

        During a fade-in the generator's images are partly the old, upsampled ones; the real
        images the discriminator sees are blended the same way, with the discriminator's
        ``alpha`` (Karras et al. 2018, appendix A.1). None at stage 0.
        """
        self._check_stage(stage)
        if stage == 0 or not self.discriminator_layers:
            return None
        fade = self._d_fade[stage]

        def blend(images):
            low = tf.nn.avg_pool2d(images, 2, 2, "VALID")
            low = tf.repeat(tf.repeat(low, 2, axis=1), 2, axis=2)  # nearest-neighbour upsampling
            alpha = tf.cast(tf.convert_to_tensor(fade.alpha), images.dtype)
            return alpha * images + (1.0 - alpha) * low

        return blend

    def copy_generator_from(self, other):
        """Sets this generator's weights to ``other``'s (the EMA copy's start)."""
        for mine, theirs in zip(self.generator_layers, other.generator_layers):
            mine.set_weights(theirs.get_weights())
