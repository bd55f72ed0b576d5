"""Feed-forward style transfer: train a transformation network once, then stylize in one pass.

The network (:mod:`tfopt.nets.stylenet`) is trained with ``fit`` (a Keras ``train_step``,
:class:`~tfopt.style.trainer.StyleNetTrainer`) to minimize the same perceptual loss as
the optimization (:mod:`tfopt.style.losses`, through :func:`batch_objective`) on random
crops of content images; offline the default content set is the sample photos shipped
by scikit-image and scikit-learn. Given an output directory, training checkpoints every
``checkpoint_every`` steps and resumes in place (the rule of :mod:`tfopt.training.rundir`,
as the GAN trainer's). A trained network is saved as ``DIR/stylenet.keras`` (loadable
with ``safe_mode=True``) and applied to any image size by :func:`stylize_fast`.

Example:
    vgg, _ = load_loss_network("vgg16")
    res = train_stylenet([load_image("ihc")], model=vgg, config=TrainConfig(steps=300), output_dir="runs/ihc")
    out, seconds = stylize_fast(res.net, load_image("astronaut", max_side=256))
"""
import dataclasses
import hashlib
import os
import pathlib
import shutil
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.core.progress import progress
from tfopt.images import SAMPLE_NAMES, load_image, resize_max_side
from tfopt.models.features import FeatureModel
from tfopt.nets.stylenet import build_stylenet
from tfopt.style.losses import DEFAULT_LAYERS, Layers, LossWeights, batch_objective, fit_content_layers, style_grams
from tfopt.style.losses import style_layer_weights
from tfopt.style.trainer import LOSS_NAMES, CropStream, Previews, StyleNetTrainer
from tfopt.training import callbacks as cb
from tfopt.training.rundir import prepare_run_dir, write_config

__all__ = ["TrainConfig", "TrainResult", "content_images", "train_stylenet", "stylize_fast", "save_stylenet",
           "load_stylenet", "MODEL_FILE"]

MODEL_FILE = "stylenet.keras"
_EXTENSIONS = (".png", ".jpg", ".jpeg")
_RESUMABLE = ("steps", "checkpoint_every", "log_every", "progress")


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
        checkpoint_every: steps between checkpoints (and previews) of a run with an output directory.
        log_every: steps between logged loss means (history, TensorBoard, loss.png).
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
    checkpoint_every: int = 100
    log_every: int = 10
    progress: bool = True

    def validate(self):
        """Raises :class:`InputError` naming the first bad setting; returns self."""
        for name in ("steps", "batch_size", "crop_size", "style_size", "checkpoint_every", "log_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"expected {name} to be a positive integer; received: {name}={value!r}")
        if self.crop_size < 16:
            raise InputError(f"expected crop_size >= 16; received: crop_size={self.crop_size}")
        if not self.learning_rate > 0:
            raise InputError(f"expected learning_rate > 0; received: learning_rate={self.learning_rate!r}")
        return self

    def identity(self):
        """The settings that must match to resume a run (all but the step count and the cadences)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in _RESUMABLE}


@dataclasses.dataclass
class TrainResult:
    """What :func:`train_stylenet` returns.

    Attributes:
        net: the trained network (a keras.Model).
        history: logged entries ``[{"step", "total", "content", "style", "tv"}]``, each the
            mean over the ``log_every`` steps up to its step (the terms unweighted).
        seconds: training wall time of this process (after a resume: since the resume).
        config: the :class:`TrainConfig`.
        content_count: number of content images the crops came from.
        content_layers: the content layers of the loss at the crop size
            (:func:`~tfopt.style.losses.fit_content_layers`).
        steps: steps trained in all (across resumes).
        resumed_from_step: the checkpoint's step this process started from (0: a new run).
    """

    net: keras.Model
    history: list
    seconds: float
    config: TrainConfig
    content_count: int
    content_layers: tuple
    steps: int = 0
    resumed_from_step: int = 0

    def curves(self):
        """``{name: [values]}`` of the history, in step order (see :meth:`logged_steps`)."""
        return {k: [h[k] for h in self.history] for k in LOSS_NAMES}

    def logged_steps(self):
        """The step of each history entry."""
        return [h["step"] for h in self.history]

    def summary(self):
        """The numbers for summary.json (losses: the first and the last logged means)."""
        cfg = self.config
        first, last = ({k: h[k] for k in LOSS_NAMES} for h in (self.history[0], self.history[-1])) \
            if self.history else (None, None)
        return {"initial_loss": first, "final_loss": last, "loss_window_steps": cfg.log_every, "steps": self.steps,
                "resumed_from_step": self.resumed_from_step, "seconds": self.seconds,
                "batch_size": cfg.batch_size, "crop_size": cfg.crop_size, "learning_rate": cfg.learning_rate,
                "style_size": cfg.style_size, "filters": list(cfg.filters), "residual_blocks": cfg.residual_blocks,
                "parameters": int(self.net.count_params()), "content_images": self.content_count,
                "loss_weights": dataclasses.asdict(cfg.weights), "blend": cfg.blend,
                "content_layers": list(self.content_layers), "checkpoint_every": cfg.checkpoint_every}


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


def _digest(images):
    sha = hashlib.sha256()
    for image in images:
        array = np.ascontiguousarray(np.asarray(image, np.float32))
        sha.update(str(array.shape).encode() + array.tobytes())
    return sha.hexdigest()[:16]


def _trainer(styles, model, cfg):
    """The compiled :class:`StyleNetTrainer` of a config, and the loss's content layers."""
    # The loss at the crops' size: its content layers and style layer weights (see losses).
    layers = fit_content_layers(model, cfg.layers, cfg.crop_size, cfg.crop_size)
    fm = FeatureModel(model, layers.all())
    grams = style_grams(fm, [resize_max_side(s, cfg.style_size) for s in styles], layers=layers, blend=cfg.blend)
    total, terms = batch_objective(grams, cfg.weights, layers,
                                   style_layer_weights(model, layers, cfg.crop_size, cfg.crop_size))
    keras.utils.set_random_seed(cfg.seed)
    net = build_stylenet(cfg.filters, cfg.residual_blocks)
    trainer = StyleNetTrainer(net, fm, total, terms, content_layers=layers.content)
    trainer.compile(keras.optimizers.Adam(cfg.learning_rate))
    return trainer, layers.content


def train_stylenet(styles, *, model, content=None, config=None, output_dir=None, overwrite=False, identity=None,
                   preview=None, callbacks=()):
    """Trains a transformation network for the style(s) ``styles`` (``fit`` on a Keras ``train_step``).

    With ``output_dir``, the run writes there in place: ``config.json``, ``ckpt/`` and
    ``stylenet.keras`` every ``checkpoint_every`` steps, ``history.json``, ``logs/``
    (TensorBoard scalars and preview images) and ``previews/step_*.png``. The same
    configuration there resumes from the latest checkpoint, with the crops an
    uninterrupted run would have drawn; a different one is refused unless ``overwrite``.

    Args:
        styles: a style image or a list of them, [h, w, 3] in [0, 1] (resized to
            ``config.style_size``).
        model: the loss network (VGG16 or VGG19 features, e.g. from
            :func:`tfopt.style.gatys.load_loss_network`).
        content: content images (list of [H, W, 3]); None for :func:`content_images`'s default.
        config: a :class:`TrainConfig`.
        output_dir: the run directory (None: train in memory, no files).
        overwrite: discard what ``output_dir`` holds and start afresh.
        identity: more settings that must match to resume (e.g. the names of the inputs; not
            named as a :class:`TrainConfig` field); the digests of the images and the loss
            network's name always must.
        preview: an image [H, W, 3] shown in TensorBoard and ``previews/`` at each checkpoint.
        callbacks: more ``keras.callbacks.Callback`` s, run after the run's own.

    Returns:
        A :class:`TrainResult`.

    Raises:
        InputError: a bad config, no content, or ``output_dir`` holding another run.
    """
    cfg = (config or TrainConfig()).validate()
    styles = [styles] if not isinstance(styles, (list, tuple)) else list(styles)
    content = content_images() if content is None else list(content)
    stream = CropStream(content, batch_size=cfg.batch_size, size=cfg.crop_size, seed=cfg.seed)
    resuming = False
    if output_dir is not None:
        output_dir = pathlib.Path(output_dir)
        inputs = {**(identity or {}), "loss_network": model.name, "styles_sha256": _digest(styles),
                  "content_sha256": _digest(content)}
        clash = sorted(set(inputs) & {f.name for f in dataclasses.fields(TrainConfig)})
        if clash:
            raise InputError(f"expected identity names other than TrainConfig's fields; received: {clash}")
        resuming = prepare_run_dir(output_dir, {**cfg.identity(), **inputs}, overwrite=overwrite)
        if overwrite and output_dir.is_dir():
            shutil.rmtree(output_dir)
        write_config(output_dir, {**dataclasses.asdict(cfg), **inputs})
    trainer, content_layers = _trainer(styles, model, cfg)
    run = cb.Run(output_dir)
    own = [cb.MetricsLog(run, every=cfg.log_every, total=cfg.steps)]
    start = 0
    if output_dir is not None:
        checkpoints = cb.Checkpoints(run, trainer, every=cfg.checkpoint_every, total=cfg.steps,
                                     export=lambda: save_stylenet(trainer.net, output_dir))
        start = checkpoints.restore() if resuming else 0
        if preview is not None:
            own.append(Previews(run, preview, every=cfg.checkpoint_every, total=cfg.steps))
        own.append(checkpoints)
    stream.skip(start)
    seconds = 0.0
    with progress(cfg.steps, quiet=not cfg.progress, desc="stylenet") as bar:
        bar.update(start)
        if cfg.steps > start:
            began = time.perf_counter()
            trainer.fit(stream.dataset(), steps_per_epoch=cfg.steps - start, epochs=1, verbose=0, shuffle=False,
                        callbacks=[cb.ProgressBar(bar), *own, *callbacks])
            seconds = time.perf_counter() - began
    return TrainResult(net=trainer.net, history=run.history, seconds=seconds, config=cfg,
                       content_count=len(content), content_layers=content_layers,
                       steps=run.step(trainer), resumed_from_step=start)


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
    """Saves the network as ``outdir/stylenet.keras`` (atomically: temp name, then rename); returns the path."""
    path = pathlib.Path(outdir) / MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with files.atomic_path(path) as tmp:  # a kill mid-save leaves the previous network whole
        net.save(tmp)
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
