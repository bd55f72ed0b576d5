"""The perceptual loss of style transfer, on the engine's content / style / tv objectives.

One normalization, chosen so that the default weights mean the same thing at any image
size and for any network (ImageNet VGG19 or a random-weight one):

* content: ``mean((F - P)^2) / mean(P^2)`` at each content layer (a relative feature
  error; the engine's :func:`~tfopt.optim.objectives.content` divided by the target's
  mean square), averaged over content layers;
* style: at each style layer ``mean((G - A)^2) / mean(A^2)`` with Gram matrices
  ``G = F^T F / (H*W*C)`` (the engine's :func:`~tfopt.optim.objectives.gram`), averaged
  over style layers (:func:`style_layer_weights`) weighted by the share of the layer's
  positions whose receptive field lies inside the image; how large a layer's
  activations are does not matter;
* tv: the engine's :func:`~tfopt.optim.objectives.tv` with beta=2, a mean over pixels of
  squared neighbour differences (pixel-scale noise costs the same at every size).

Every term is a mean, so it does not grow with the image; every feature term is
relative to its target, so it does not depend on the network's activation scale. The
anchors' weights (the TF tutorial's style 1e-2 / content 1e4, Gatys' 1e3 / 1, Johnson's
5 / 1 with sums) differ by orders of magnitude only because each normalizes differently.

Example:
    targets = perceptual_targets(fm, content, [style], layers=DEFAULT_LAYERS)
    total, terms = perceptual_objective(targets, weights=LossWeights())
    optimize(total, fm, init=content[None], maximize=False, optimizer="lbfgs")
"""
import dataclasses

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.optim import objectives as obj

__all__ = ["LossWeights", "Layers", "DEFAULT_LAYERS", "Targets", "perceptual_targets", "perceptual_objective",
           "blend_weights", "style_grams", "batch_objective", "TARGET_PREFIX", "style_layer_weights",
           "fit_content_layers"]

TARGET_PREFIX = "target:"
"""Context key prefix under which :func:`batch_objective` reads per-sample content targets."""


@dataclasses.dataclass(frozen=True)
class Layers:
    """Which layers carry content and style.

    Attributes:
        content: content layer names (default VGG19 block5_conv2, as in Gatys et al.).
        style: style layer names (default block1..5_conv1).
        fit_content: replace a content layer whose receptive field is wider than the
            image by the deepest convolution before it whose field fits
            (:func:`fit_content_layers`).
    """

    content: tuple = ("block5_conv2",)
    style: tuple = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
    fit_content: bool = True

    def all(self):
        """Every layer name, content first, without repeats."""
        return tuple(dict.fromkeys(tuple(self.content) + tuple(self.style)))


DEFAULT_LAYERS = Layers()


@dataclasses.dataclass(frozen=True)
class LossWeights:
    """Weights of the three terms (see the module docstring for their normalization).

    Attributes:
        content: weight of the relative content error.
        style: weight of the relative Gram error.
        tv: weight of the mean squared neighbour difference.
    """

    content: float = 1.0
    style: float = 10.0
    tv: float = 10.0

    @classmethod
    def defaults(cls, content=None, style=None, tv=None):
        """The default weights with the given ones (those not None) replaced."""
        given = {"content": content, "style": style, "tv": tv}
        return cls(**{k: float(v) for k, v in given.items() if v is not None})

    def __post_init__(self):
        for name in ("content", "style", "tv"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InputError(f"expected {name} weight >= 0; received: {name}={value!r}")


@dataclasses.dataclass
class Targets:
    """Targets of the perceptual loss for one content image.

    Attributes:
        layers: the :class:`Layers`.
        content: {layer: content features [1, h, w, c]}.
        grams: {layer: blended style Gram matrix [C, C]}.
        style_weights: {layer: weight}, summing to 1 (:func:`style_layer_weights`).
    """

    layers: Layers
    content: dict
    grams: dict
    style_weights: dict = None


def blend_weights(blend, count):
    """Normalizes style blend weights to sum to 1.

    Args:
        blend: None (equal weights) or a sequence of ``count`` non-negative numbers.
        count: the number of style images.

    Returns:
        A list of ``count`` floats summing to 1.
    """
    if count < 1:
        raise InputError("expected at least one style image; received: 0")
    if blend is None:
        return [1.0 / count] * count
    blend = [float(b) for b in blend]
    if len(blend) != count:
        raise InputError(f"expected {count} style blend weights (one per style image); received: {len(blend)}")
    if any(not np.isfinite(b) or b < 0 for b in blend) or sum(blend) <= 0:
        raise InputError(f"expected non-negative blend weights with a positive sum; received: {blend}")
    return [b / sum(blend) for b in blend]


def perceptual_targets(fm, content, styles, *, layers=DEFAULT_LAYERS, blend=None):
    """Content features and blended style Gram matrices.

    Args:
        fm: a :class:`~tfopt.models.features.FeatureModel` computing ``layers.all()``.
        content: the content image [H, W, 3] (or [1, H, W, 3]) in [0, 1].
        styles: list of style images [h, w, 3] in [0, 1], any sizes.
        blend: style blend weights (see :func:`blend_weights`); the target Gram of a layer
            is the weighted mean of the styles' Grams.

    Returns:
        A :class:`Targets`.
    """
    content = tf.reshape(tf.convert_to_tensor(content, tf.float32), [1, *np.shape(content)[-3:]])
    acts = fm(content)
    content_feats = {name: tf.identity(acts[name]) for name in layers.content}
    return Targets(layers=layers, content=content_feats, grams=style_grams(fm, styles, layers=layers, blend=blend),
                   style_weights=style_layer_weights(fm.model, layers, *content.shape[1:3]))


def style_layer_weights(model, layers, height, width):
    """Weights of the style layers for an image of ``height`` x ``width`` pixels.

    A layer's weight is the share of its positions whose receptive field
    (:func:`~tfopt.models.features.receptive_field`) lies inside the image. A feature
    that reaches past the image sees the zero padding and the picture's whole layout
    rather than a patch of texture: VGG19's block5_conv1 sees 156 px, so on a 128 px
    image none of its positions is inside and its Gram describes the composition, which
    the content fixes, not the style. Without this, that Gram dominated the style term
    of small images, and the same weights gave a different balance at 128 and 512 px
    (docs/style.md, *Measured*). At 512 px block5_conv1 weighs about half as much as
    block1_conv1.

    Args:
        model: the feature network (a Keras model with the layers).
        layers: :class:`Layers`.
        height, width: the image size in pixels.

    Returns:
        {style layer: weight}, summing to 1 (equal weights if no layer fits).
    """
    from tfopt.models.features import receptive_field

    def inside(n, size, stride):
        return min(1.0, max(0, (int(n) - size) // stride + 1) / max(1, int(n) // stride))

    raw = {}
    for name in layers.style:
        size, stride = receptive_field(model, name)
        raw[name] = inside(height, size, stride) * inside(width, size, stride)
    total = sum(raw.values())
    if total <= 0:
        return {name: 1.0 / len(layers.style) for name in layers.style}
    return {name: v / total for name, v in raw.items()}


def fit_content_layers(model, layers, height, width):
    """``layers`` with the content layers that fit an image of ``height`` x ``width`` pixels.

    A content layer whose receptive field (:func:`~tfopt.models.features.receptive_fields`)
    is wider than the image's shorter side has no position inside the image: every one of
    its features sees the zero padding and the whole layout. Its error is then cheap to
    keep low while the style changes the picture, and the same weights end at a different
    balance than at sizes where the layer sees parts of the image (docs/style.md,
    *Measured*: at 128 px VGG19's block5_conv2, 188 px wide, ended at 2.25x the 512 px
    balance on astronaut / flower). Such a layer is replaced by the deepest convolution
    before it whose field fits: block5_conv1 (156 px) on a 170 px side, block4_conv4
    (116 px) on 128 px, block4_conv2 (84 px) on 85 px. Like the style layers' weights
    (:func:`style_layer_weights`) this keeps what a layer describes the same at every
    size. ``layers.fit_content=False`` keeps the layers as given.

    Args:
        model: the feature network (a Keras model with the layers).
        layers: :class:`Layers`.
        height, width: the image size in pixels.

    Returns:
        A :class:`Layers` (``layers`` itself when nothing changes).
    """
    from tfopt.models.features import receptive_fields

    if not layers.fit_content:
        return layers
    fields = receptive_fields(model)
    names = [lyr.name for lyr, _, _ in fields]
    side = min(int(height), int(width))
    content = []
    for name in layers.content:
        if name not in names:
            raise InputError(f"expected a content layer of {model.name}; received: {name!r}")
        upto = fields[:names.index(name) + 1]
        if upto[-1][1] > side:
            fitting = [lyr.name for lyr, size, _ in upto if hasattr(lyr, "kernel_size") and size <= side]
            name = fitting[-1] if fitting else name
        content.append(name)
    content = tuple(dict.fromkeys(content))
    return layers if content == tuple(layers.content) else dataclasses.replace(layers, content=content)


def style_grams(fm, styles, *, layers=DEFAULT_LAYERS, blend=None):
    """The blended Gram matrix of each style layer: ``sum_i blend_i * gram(style_i)``.

    Args:
        fm: a FeatureModel computing ``layers.style``.
        styles: list of style images [h, w, 3] in [0, 1].
        layers: :class:`Layers`.
        blend: style blend weights (see :func:`blend_weights`).

    Returns:
        {layer: [C, C] tensor}.
    """
    weights = blend_weights(blend, len(styles))
    grams = {name: 0.0 for name in layers.style}
    for w, image in zip(weights, styles):
        image = tf.reshape(tf.convert_to_tensor(image, tf.float32), [1, *np.shape(image)[-3:]])
        s_acts = fm(image)
        for name in layers.style:
            grams[name] = grams[name] + w * obj.gram(s_acts[name])[0]
    return grams


def _mean_square(t):
    return float(tf.reduce_mean(tf.square(t))) + 1e-12


def _style_term(grams, layers, style_weights):
    """The style objective: each layer's Gram error relative to its target, weighted by
    ``style_weights`` (None: equal)."""
    share = style_weights or {n: 1.0 / len(layers.style) for n in layers.style}
    return obj.style(layers.style, [grams[n] for n in layers.style],
                     [share[n] / _mean_square(grams[n]) for n in layers.style])


def perceptual_objective(targets, weights=LossWeights()):
    """The weighted total and its three terms as engine objectives (to be minimized).

    Args:
        targets: :class:`Targets` from :func:`perceptual_targets`.
        weights: :class:`LossWeights`.

    Returns:
        ``(total, {"content": obj, "style": obj, "tv": obj})``; each term unweighted.
    """
    layers = targets.layers
    content = None
    for name in layers.content:
        term = (1.0 / (len(layers.content) * _mean_square(targets.content[name]))) * obj.content(
            name, targets.content[name])
        content = term if content is None else content + term
    style = _style_term(targets.grams, layers, targets.style_weights)
    tv = obj.tv(beta=2.0)
    terms = {"content": content, "style": style, "tv": tv}
    total = weights.content * content + weights.style * style + weights.tv * tv
    return total, terms


def batch_objective(grams, weights=LossWeights(), layers=DEFAULT_LAYERS, style_weights=None):
    """The same loss for a batch of different content images (training a feed-forward network).

    The content targets are per sample, read from the context under
    ``TARGET_PREFIX + layer`` (the features of each content image); the style and tv
    terms are the engine's objectives, normalized as in :func:`perceptual_objective`.

    Args:
        grams: {style layer: [C, C]} from :func:`style_grams`.
        weights: :class:`LossWeights`.
        layers: :class:`Layers`.
        style_weights: {style layer: weight} from :func:`style_layer_weights` for the
            training images' size (None: equal).

    Returns:
        ``(total, {"content": obj, "style": obj, "tv": obj})`` of per-sample values.
    """
    def content_fn(c):
        total = 0.0
        for name in layers.content:
            act, target = c[name], c[TARGET_PREFIX + name]
            err = tf.reduce_mean(tf.reshape(act - target, [tf.shape(act)[0], -1]) ** 2, -1)
            scale = tf.reduce_mean(tf.reshape(target, [tf.shape(act)[0], -1]) ** 2, -1) + 1e-12
            total += err / scale / len(layers.content)
        return total

    content = obj.Objective(content_fn, "content", layers.content)
    style = _style_term(grams, layers, style_weights)
    tv = obj.tv(beta=2.0)
    total = weights.content * content + weights.style * style + weights.tv * tv
    return total, {"content": content, "style": style, "tv": tv}
