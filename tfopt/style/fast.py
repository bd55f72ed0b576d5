"""Feed-forward style transfer: train a transformation network once, then stylize in one pass.

The network (:mod:`tfopt.nets.stylenet`) is trained to minimize the same perceptual loss
as the optimization (:mod:`tfopt.style.losses`, through :func:`batch_objective`) on random
crops of content images; offline the default content set is the sample photos shipped by
scikit-image and scikit-learn. A trained network is saved as ``DIR/stylenet.keras``
(loadable with ``safe_mode=True``) and applied to any image size by :func:`stylize_fast`.

Example:
    vgg, _ = load_vgg19()
    res = train_stylenet([load_image("ihc")], model=vgg, config=TrainConfig(steps=300))
    out, seconds = stylize_fast(res.net, load_image("astronaut", max_side=256))
"""
import dataclasses
import os
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.images import SAMPLE_NAMES, load_image, resize_max_side
from tfopt.models.features import FeatureModel
from tfopt.nets.stylenet import build_stylenet
from tfopt.optim.objectives import Context
from tfopt.style.losses import (DEFAULT_LAYERS, TARGET_PREFIX, Layers, LossWeights, batch_objective,
                                fit_content_layers, style_grams, style_layer_weights)

__all__ = ["TrainConfig", "TrainResult", "content_images", "train_stylenet", "stylize_fast", "save_stylenet",
           "load_stylenet", "MODEL_FILE"]

MODEL_FILE = "stylenet.keras"
_EXTENSIONS = (".png", ".jpg", ".jpeg")


@dataclasses.dataclass
class TrainConfig:
    """Settings of :func:`train_stylenet`.

    Attributes:
        steps: training steps (batches).
        batch_size: content crops per step.
        crop_size: side of the square content crops.
        learning_rate: Adam's learning rate.
        style_size: longer side the style images are resized to (match the sizes the
            network will see: the style's scale relative to the content's).
        filters: widths of the network's three stages.
        residual_blocks: residual blocks of the network.
        weights: :class:`~tfopt.style.losses.LossWeights`.
        layers: :class:`~tfopt.style.losses.Layers`.
        blend: weights of several style images.
        seed: seed of the network's initialization and of the crops.
        progress: show a progress bar.
    """

    steps: int = 400
    batch_size: int = 4
    crop_size: int = 128
    learning_rate: float = 2e-3
    style_size: int = 256
    filters: tuple = (16, 32, 64)
    residual_blocks: int = 3
    weights: LossWeights = dataclasses.field(default_factory=LossWeights)
    layers: Layers = DEFAULT_LAYERS
    blend: tuple = None
    seed: int = 0
    progress: bool = True

    def validate(self):
        """Raises :class:`InputError` naming the first bad setting; returns self."""
        for name in ("steps", "batch_size", "crop_size", "style_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"expected {name} to be a positive integer; received: {name}={value!r}")
        if self.crop_size < 16:
            raise InputError(f"expected crop_size >= 16; received: crop_size={self.crop_size}")
        if not self.learning_rate > 0:
            raise InputError(f"expected learning_rate > 0; received: learning_rate={self.learning_rate!r}")
        return self


@dataclasses.dataclass
class TrainResult:
    """What :func:`train_stylenet` returns.

    Attributes:
        net: the trained network (a keras.Model).
        history: {"total", "content", "style", "tv"}: batch means per step.
        seconds: training wall time.
        config: the :class:`TrainConfig`.
        content_count: number of content images the crops came from.
        content_layers: the content layers of the loss at the crop size
            (:func:`~tfopt.style.losses.fit_content_layers`).
    """

    net: keras.Model
    history: dict
    seconds: float
    config: TrainConfig
    content_count: int
    content_layers: tuple

    def summary(self):
        """The numbers for summary.json."""
        h, cfg = self.history, self.config
        first = {k: v[0] for k, v in h.items()}
        last = {k: float(np.mean(v[-max(1, len(v) // 10):])) for k, v in h.items()}
        return {"initial_loss": first, "final_loss": last, "steps": cfg.steps, "seconds": self.seconds,
                "batch_size": cfg.batch_size, "crop_size": cfg.crop_size, "learning_rate": cfg.learning_rate,
                "style_size": cfg.style_size, "filters": list(cfg.filters), "residual_blocks": cfg.residual_blocks,
                "parameters": int(self.net.count_params()), "content_images": self.content_count,
                "loss_weights": dataclasses.asdict(cfg.weights), "blend": cfg.blend,
                "content_layers": list(self.content_layers)}


def content_images(source=None, *, max_side=256):
    """Loads the content images to crop from.

    Args:
        source: None for the sample photos (:data:`tfopt.images.SAMPLE_NAMES`), a directory
            (every .png/.jpg/.jpeg in it), or a list of paths / sample names.
        max_side: images are resized so their longer side is this.

    Returns:
        A list of float32 [H, W, 3] tensors.
    """
    if source is None:
        names = list(SAMPLE_NAMES)
    elif isinstance(source, (str, os.PathLike)) and os.path.isdir(source):
        names = sorted(str(p) for p in pathlib.Path(source).iterdir() if p.suffix.lower() in _EXTENSIONS)
        if not names:
            raise InputError(f"expected a directory with .png/.jpg images; received: {str(source)!r} (none found)")
    elif isinstance(source, (list, tuple)):
        names = list(source)
    else:
        raise InputError(f"expected a directory of content images; received: {str(source)!r}")
    return [load_image(n, max_side=max_side) for n in names]


def _crops(images, rng, batch, size):
    """A batch of random square crops (random flips), resized up when an image is too small."""
    out = np.empty([batch, size, size, 3], np.float32)
    for i in range(batch):
        img = np.asarray(images[rng.integers(len(images))])
        h, w = img.shape[:2]
        if min(h, w) < size:
            img = np.asarray(resize_max_side(img, int(np.ceil(size * max(h, w) / min(h, w)))))
            h, w = img.shape[:2]
        y, x = rng.integers(h - size + 1), rng.integers(w - size + 1)
        crop = img[y:y + size, x:x + size]
        out[i] = crop[:, ::-1] if rng.random() < 0.5 else crop
    return out


def train_stylenet(styles, *, model, content=None, config=None):
    """Trains a transformation network for the style(s) ``styles``.

    Args:
        styles: a style image or a list of them, [h, w, 3] in [0, 1] (resized to
            ``config.style_size``).
        model: the loss network (VGG19, e.g. from :func:`tfopt.style.gatys.load_vgg19`).
        content: content images (list of [H, W, 3]); None for :func:`content_images`'s default.
        config: a :class:`TrainConfig`.

    Returns:
        A :class:`TrainResult`.
    """
    cfg = (config or TrainConfig()).validate()
    styles = [styles] if not isinstance(styles, (list, tuple)) else list(styles)
    content = content_images() if content is None else list(content)
    if not content:
        raise InputError("expected at least one content image; received: 0")
    # The loss at the crops' size: its content layers and style layer weights (see losses).
    layers = fit_content_layers(model, cfg.layers, cfg.crop_size, cfg.crop_size)
    fm = FeatureModel(model, layers.all())
    grams = style_grams(fm, [resize_max_side(s, cfg.style_size) for s in styles], layers=layers, blend=cfg.blend)
    total, terms = batch_objective(grams, cfg.weights, layers,
                                   style_layer_weights(model, layers, cfg.crop_size, cfg.crop_size))
    keras.utils.set_random_seed(cfg.seed)
    net = build_stylenet(cfg.filters, cfg.residual_blocks)
    opt = keras.optimizers.Adam(cfg.learning_rate)

    @tf.function
    def step(x):
        targets = fm(x)
        with tf.GradientTape() as tape:
            y = net(x, training=True)
            acts = dict(fm(y))
            acts.update({TARGET_PREFIX + n: tf.stop_gradient(targets[n]) for n in layers.content})
            ctx = Context(acts, y)
            loss = tf.reduce_mean(total(ctx))
        opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
        return {"total": loss, **{k: tf.reduce_mean(t(ctx)) for k, t in terms.items()}}

    rng = np.random.default_rng(cfg.seed)
    bar = keras.utils.Progbar(cfg.steps, verbose=1 if cfg.progress else 0, unit_name="step")
    history = {k: [] for k in ("total", "content", "style", "tv")}
    start = time.perf_counter()
    for i in range(cfg.steps):
        values = step(tf.constant(_crops(content, rng, cfg.batch_size, cfg.crop_size)))
        for k, v in values.items():
            history[k].append(float(v))
        bar.update(i + 1, [("loss", history["total"][-1])])
    return TrainResult(net=net, history=history, seconds=time.perf_counter() - start, config=cfg,
                       content_count=len(content), content_layers=layers.content)


def stylize_fast(net, image, *, repeats=1):
    """Applies a trained network to one image of any size.

    Args:
        net: a network from :func:`train_stylenet` or :func:`load_stylenet`.
        image: [H, W, 3] in [0, 1].
        repeats: timed passes after one warm-up pass (the time is their mean).

    Returns:
        ``(stylized [H, W, 3] numpy, seconds per pass)``.
    """
    x = tf.convert_to_tensor(image, tf.float32)
    if x.shape.rank != 3 or x.shape[-1] != 3:
        raise InputError(f"expected an RGB image [H, W, 3]; received shape {tuple(x.shape)}")
    fn = tf.function(lambda t: net(t, training=False))
    out = fn(x[None])
    start = time.perf_counter()
    for _ in range(repeats):
        out = fn(x[None])
    seconds = (time.perf_counter() - start) / max(1, repeats)
    return np.asarray(out[0]), seconds


def save_stylenet(net, outdir):
    """Saves the network as ``outdir/stylenet.keras``; returns the path."""
    path = pathlib.Path(outdir) / MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    net.save(path)
    return path


def load_stylenet(path):
    """Loads a trained network (a ``.keras`` file, or a directory holding ``stylenet.keras``) with safe_mode.

    Args:
        path: file or directory.

    Returns:
        The keras.Model.
    """
    path = pathlib.Path(path)  # the network's layers are registered by importing this module
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file() or path.suffix != ".keras":
        raise InputError(f"expected a .keras file or a directory with {MODEL_FILE}; received: {str(path)!r}")
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as err:  # a corrupt or foreign file is bad input, not a bug
        raise InputError(f"expected a stylenet .keras file; received: {str(path)!r} "
                         f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})") from None
