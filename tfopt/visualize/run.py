"""What bin/visualize.py and bin/dream.py run: a config in, PNGs + images.npz + summary.json out.

Each ``run_*`` loads the model by name (:func:`tfopt.models.zoo.get_model`), prepares
the inputs (data set mean, a test digit, a photo), calls one technique and writes its
files into an existing directory (the binaries hand it :func:`tfopt.cli.output_dir`).

Example:
    run_visualize(VisualizeConfig(mode="fooling"), outdir)      # the digits CNN, offline
    run_dream(DreamConfig(image="chelsea", model="vgg19", weights="random"), outdir)
"""
import dataclasses
import pathlib

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.visualize.common import check_classes, predict_probs, write_outputs

__all__ = ["MODES", "VisualizeConfig", "DreamConfig", "resolve_model", "run_visualize", "run_dream", "mean_image",
           "fit_image"]

MODES = ("class", "fooling", "invert")
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_CLASSES = ("ostrich", "king penguin", "starfish", "parking meter", "school bus")
_STEPS = {"class": 300, "fooling": 500, "invert": 300}
_LEARNING_RATE = {"class": 0.02, "fooling": 0.008, "invert": 0.05}


@dataclasses.dataclass
class VisualizeConfig:
    """Settings of bin/visualize.py (see the technique functions for their meaning).

    ``steps``/``learning_rate`` of None take the mode's default (class 300/0.02 Adam,
    fooling 500/0.008 RMS per normalized step, invert 300/0.05 Adam). ``weights`` None: the trained digits CNN or
    ImageNet. ``classes``: names or indices, default every digit (5 ImageNet classes). ``model`` None: the
    offline ImageNet classifier (:data:`tfopt.models.zoo.PHOTO_CLASSIFIER`) for a photo (``image``) or classes
    all named by words ("ostrich"), else the digits CNN (see :func:`resolve_model`).
    """

    mode: str = "class"
    model: str = None
    weights: str = None
    classes: tuple = ()
    steps: int = None
    learning_rate: float = None
    l2: float = 100.0
    tv: float = 300.0
    tv_beta: float = 2.0
    jitter: int = 1
    blur: float = 0.0
    threshold: float = 0.9999
    noise: float = 0.01
    objective: str = "logprob"
    layer: str = None
    restarts: int = 5
    image: str = None
    index: int = 0
    inv_tv: float = 1.0
    alpha: float = 6.0
    alpha_weight: float = 1.0
    init_noise: float = 0.2
    seed: int = 0
    quiet: bool = False


@dataclasses.dataclass
class DreamConfig:
    """Settings of bin/dream.py (see :func:`tfopt.visualize.dream.deepdream`); layers () = the model's default."""

    image: str = "chelsea"
    model: str = "vgg19"
    weights: str = "random"
    layers: tuple = ()
    max_side: int = 256
    octaves: int = 4
    octave_scale: float = 1.3
    steps: int = 10
    step_size: float = 0.01
    tile_size: int = 256
    seed: int = 0
    quiet: bool = False


def resolve_model(config):
    """``config`` with its model named: None becomes the offline photo classifier when ``image`` is set
    or every class is a word (not an index: "ostrich"), else digits_cnn."""
    from tfopt.models import zoo

    if config.model is not None:
        return config
    words = bool(config.classes) and all(not str(c).strip().lstrip("-").isdigit() for c in config.classes)
    return dataclasses.replace(config, model=zoo.PHOTO_CLASSIFIER if config.image or words else "digits_cnn")


def _get_model(name, weights, seed, include_top=True):
    from tfopt.models import zoo

    kwargs = {} if weights is None else {"weights": weights}
    return zoo.get_model(name, include_top=include_top, seed=seed, **kwargs)


def _is_digits_model(model):
    return tuple(model.inputs[0].shape[1:]) == (32, 32, 1)


def mean_image(model):
    """The data set's mean image for a model: the digits training mean, else ImageNet's mean colour.

    Args:
        model: keras.Model of fixed input size.

    Returns:
        float32 [H, W, C].
    """
    from tfopt import data

    h, w, c = (int(s) for s in model.inputs[0].shape[1:])
    if _is_digits_model(model):
        return data.digits(seed=0)["x_train"].mean(0).astype(np.float32)
    colour = np.asarray(_IMAGENET_MEAN if c == 3 else [0.5] * c, np.float32)
    return np.broadcast_to(colour, (h, w, c)).copy()


def fit_image(image, height, width):
    """Central crop to the aspect of (height, width), then resize to it; unchanged if a side is None."""
    if height is None or width is None:
        return np.asarray(image, np.float32)
    image = tf.convert_to_tensor(image, tf.float32)
    ih, iw = int(image.shape[0]), int(image.shape[1])
    if ih * width != iw * height:
        ch, cw = (ih, ih * width // height) if ih * width <= iw * height else (iw * height // width, iw)
        image = tf.image.crop_to_bounding_box(image, (ih - ch) // 2, (iw - cw) // 2, ch, cw)
    image = tf.image.resize(image, (height, width), method="bilinear", antialias=True)
    return np.clip(image.numpy(), 0.0, 1.0).astype(np.float32)


def _classes(config, model):
    labels = config.classes
    if not labels:
        n = int(model.outputs[0].shape[-1])
        labels = range(n) if n <= 10 else _IMAGENET_CLASSES
    return check_classes(labels, model)


def _invert_image(config, model):
    from tfopt import data, images

    _, h, w, c = model.inputs[0].shape
    if config.image:
        return fit_image(images.load_image(config.image, channels=c), h, w), config.image
    if _is_digits_model(model):
        test = data.digits(seed=0)["x_test"]
        if not 0 <= config.index < len(test):
            raise InputError(f"expected 0 <= index < {len(test)}; received: index={config.index}")
        return test[config.index].copy(), f"digits test #{config.index}"
    return fit_image(images.load_image("chelsea", channels=c), h, w), "chelsea"


def _check(config):
    if config.mode not in MODES:
        raise InputError(f"expected mode in {MODES}; received: mode={config.mode!r}")
    for name in ("steps", "learning_rate"):
        value = getattr(config, name)
        if value is not None and not value > 0:
            raise InputError(f"expected {name} > 0; received: {name}={value}")


def _uint8(images):
    return np.round(np.clip(images, 0, 1) * 255) / 255


def run_visualize(config, outdir):
    """Runs one visualization mode and writes its files.

    Args:
        config: a :class:`VisualizeConfig`.
        outdir: an existing directory.

    Returns:
        The summary dict (also in ``outdir/summary.json``).
    """
    from tfopt import visualize
    from tfopt.models import zoo

    _check(config)
    config = resolve_model(config)
    model = _get_model(config.model, config.weights, config.seed)
    names = zoo.class_names(model)
    steps = config.steps or _STEPS[config.mode]
    lr = config.learning_rate or _LEARNING_RATE[config.mode]
    common = {"steps": steps, "learning_rate": lr, "seed": config.seed, "progress": not config.quiet}
    head = {"mode": config.mode, "model": config.model, "weights": zoo.describe_weights(model),
            "config": dataclasses.asdict(config)}
    if config.mode == "class":
        classes = _classes(config, model)
        a, b, numbers = visualize.compare_tv(model, classes, tv=config.tv, l2=config.l2, tv_beta=config.tv_beta,
                                             jitter=config.jitter, blur=config.blur, **common)
        labels = [f"{names[k]} p={p:.4f} tv={t:.3f}" for r in (a, b)
                  for k, p, t in zip(r.classes, r.confidence, r.total_variation)]
        n = len(classes)
        return write_outputs(outdir, grids={
            "class_models.png": (np.concatenate([a.images, b.images]), labels, n, _scale(a.images)),
            "without_tv.png": (a.images, labels[:n], n, _scale(a.images)),
            "with_tv.png": (b.images, labels[n:], n, _scale(b.images))},
            arrays={"without_tv": a.images, "with_tv": b.images, "classes": np.asarray(classes)},
            summary={**head, **numbers, "without_tv": a.summary(), "with_tv": b.summary()})
    if config.mode == "fooling":
        res = visualize.fooling_images(model, _classes(config, model), mean_image(model), noise=config.noise,
                                       threshold=config.threshold, objective=config.objective, **common)
        labels = [f"{names[k]}: p={c:.5f} @{s}" for k, c, s in zip(res.targets, res.confidence, res.steps)]
        conf_u8 = predict_probs(model, _uint8(res.images))[np.arange(len(res.targets)), res.targets]
        curves = {f"{names[k]}": -np.log10(np.maximum(1 - res.history[:, i], 1e-7))
                  for i, k in enumerate(res.targets)}
        return write_outputs(outdir, grids={
            "fooling.png": (res.images, labels, min(len(labels), 10), _scale(res.images)),
            "start.png": (res.start, [names[k] for k in res.targets], min(len(labels), 10), _scale(res.start))},
            arrays={"images": res.images, "start": res.start, "targets": res.targets,
                    "confidence": res.confidence, "history": res.history},
            curves={"confidence.png": (curves, "fooling: target confidence (4 = 0.9999)", "-log10(1 - p)")},
            summary={**head, **res.summary(names), "confidence_uint8": conf_u8.tolist(),
                     "num_reached_uint8": int((conf_u8 >= res.threshold).sum())})
    image, source = _invert_image(config, model)
    init = mean_image(model) if _is_digits_model(model) else None
    res = visualize.invert(model, image, layer=config.layer, restarts=config.restarts, tv=config.inv_tv,
                           tv_beta=config.tv_beta, alpha=config.alpha, alpha_weight=config.alpha_weight,
                           init=init, init_noise=config.init_noise, **common)
    labels = [f"original ({names[res.original_predicted]})"] + [
        f"#{i + 1} err={e:.4f} ({names[p]})" for i, (e, p) in enumerate(zip(res.errors, res.predicted))]
    return write_outputs(outdir, grids={
        "inversion.png": (np.concatenate([image[None], res.images]), labels, len(labels), _scale(image[None]))},
        arrays={"original": image, "reconstructions": res.images, "errors": res.errors,
                "pairwise_rms": res.diversity},
        summary={**head, "image": source, **res.summary()})


def _scale(images):
    side = max(np.asarray(images).shape[1:3])
    return max(1, 128 // side)


def run_dream(config, outdir):
    """Dreams a photo (a sample name or a file) and writes dream.png, octaves.png, images.npz, summary.json.

    Args:
        config: a :class:`DreamConfig`.
        outdir: an existing directory.

    Returns:
        The summary dict.
    """
    from tfopt import images
    from tfopt.models import zoo
    from tfopt.visualize import dream

    layers = tuple(config.layers) or dream.DEFAULT_LAYERS.get(config.model)
    if not layers:
        raise InputError(f"expected --layers for model {config.model!r} (no default layers); received none")
    photo = images.load_image(config.image, max_side=config.max_side).numpy()  # bad input fails before the model
    model = _get_model(config.model, config.weights, config.seed, include_top=False)
    if model.inputs[0].shape[-1] == 1:
        photo = images.load_image(config.image, max_side=config.max_side, channels=1).numpy()
    res = dream.deepdream(model, photo, layers=layers, octaves=config.octaves, octave_scale=config.octave_scale,
                          steps=config.steps, step_size=config.step_size, tile_size=config.tile_size,
                          seed=config.seed, progress=not config.quiet)
    scale = _scale(photo[None])
    weights = zoo.describe_weights(model)
    head = {"model": config.model, "weights": weights, "image": config.image,
            "note": _weights_note(weights), "config": dataclasses.asdict(config)}
    return write_outputs(pathlib.Path(outdir), grids={
        "dream.png": ([photo, res.image], ["original", f"dream ({', '.join(layers)})"], 2, scale),
        "octaves.png": (res.octaves, [f"{h}x{w}" for h, w in res.sizes], len(res.octaves), scale)},
        arrays={"original": photo, "dream": res.image, **{f"octave{i}": o for i, o in enumerate(res.octaves)}},
        summary={**head, **res.summary()})


def _weights_note(weights):
    if weights.startswith("random"):
        return ("random weights (no ImageNet download here): the patterns come from random filters, which still "
                "respond to edges and textures; pass --weights=imagenet online or --weights=FILE for real dreams")
    return f"weights: {weights}"
