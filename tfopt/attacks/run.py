"""One attack run from a config: model and images in, 8-bit PNGs, adversarial.npz/.png and summary.json out.

:func:`attack` dispatches to a method by name. :func:`run_attack` is what
``bin/attack.py`` calls: it builds the model with :func:`tfopt.models.zoo.get_model`,
takes images from a data set or files, attacks them, rounds the result onto the 8-bit
grid inside the eps ball, saves one PNG per image, then **judges the run from disk**: it
reads the PNGs back and predicts them with a freshly loaded model (not the attacked
instance, nothing from the optimizer's state), so every number in ``summary.json`` is
what a user re-predicting the saved images gets (Foolbox #674).

Example:
    cfg = AttackConfig(method="pgd", eps=0.2, steps=40, step_size=0.01, target="3", num_images=100)
    summary = run_attack(cfg, pathlib.Path("out"))
"""
import dataclasses
import pathlib
import re
import time

import numpy as np

from tfopt.attacks import common
from tfopt.attacks.apgd import apgd_ce, apgd_dlr
from tfopt.attacks.cw import cw_l2
from tfopt.attacks.gradient import bim, fgsm, mim, pgd
from tfopt.attacks.output import grid_levels, load_pngs, project_to_grid, save_arrays, save_figure, save_pngs
from tfopt.core.errors import InputError
from tfopt.images import round_to_8bit

__all__ = ["METHODS", "attack", "AttackConfig", "resolve_model", "load_inputs", "run_attack"]

METHODS = ("fgsm", "bim", "pgd", "mim", "cw_l2", "apgd_ce", "apgd_dlr")


def attack(model, x, y=None, *, method="pgd", target=None, norm="linf", eps=0.3, steps=40, step_size=0.01,
           restarts=1, random_start=True, loss="ce", early_stop=False, decay=1.0, kappa=0.0, learning_rate=0.1,
           search_steps=5, initial_const=1.0, n_target_classes=9, seed=0, progress=True):
    """Runs one attack by name with the settings that apply to it.

    Args:
        model: a Keras classifier taking [0, 1] images.
        x: clean images [B, H, W, C] in [0, 1].
        y: true labels [B] or None (the clean predictions).
        method: one of :data:`METHODS`.
        target: None (untargeted), a class index or name, or one per image.
        norm, eps, steps, step_size, loss, early_stop: gradient attacks (cw_l2 uses ``steps``
            per search round and ``early_stop`` as its early abort).
        restarts, random_start, seed: PGD (APGD: restarts and seed; it always starts at random).
        decay: MIM's momentum.
        kappa, learning_rate, search_steps, initial_const: C&W L2.
        n_target_classes: apgd_dlr without ``target`` (APGD-T): runner-up classes tried per image.
        progress: show progress bars.

    Returns:
        An :class:`~tfopt.attacks.common.AttackResult`.
    """
    if method not in METHODS:
        raise InputError(f"expected method in {METHODS}; received: method={method!r}")
    base = dict(target=target, progress=progress)
    if method in ("apgd_ce", "apgd_dlr"):
        apgd = dict(eps=eps, norm=norm, steps=steps, restarts=restarts, seed=seed, early_stop=early_stop, **base)
        if method == "apgd_ce":
            return apgd_ce(model, x, y, **apgd)
        return apgd_dlr(model, x, y, n_target_classes=n_target_classes, **apgd)
    if method == "fgsm":
        return fgsm(model, x, y, eps=eps, norm=norm, loss=loss, **base)
    grad = dict(eps=eps, steps=steps, step_size=step_size, norm=norm, loss=loss, early_stop=early_stop, **base)
    if method == "bim":
        return bim(model, x, y, **grad)
    if method == "mim":
        return mim(model, x, y, decay=decay, **grad)
    if method == "pgd":
        return pgd(model, x, y, restarts=restarts, random_start=random_start, seed=seed, **grad)
    return cw_l2(model, x, y, kappa=kappa, steps=steps, learning_rate=learning_rate, search_steps=search_steps,
                 initial_const=initial_const, early_abort=early_stop, seed=seed, **base)


@dataclasses.dataclass
class AttackConfig:
    """Everything one attack run needs (what ``bin/attack.py`` builds from its flags).

    Attributes:
        model: a :data:`tfopt.models.zoo.MODEL_NAMES` name or a .keras/.h5 path; None picks
            the ImageNet classifier that works offline (:data:`tfopt.models.zoo.PHOTO_CLASSIFIER`,
            EfficientNet-Lite0) when ``images`` are given, else the digits CNN.
        weights: passed to ``get_model`` (None: its default, the trained digits CNN or ImageNet).
        method, norm, eps, steps, step_size, restarts, random_start, loss, early_stop, decay,
        kappa, learning_rate, search_steps, initial_const, n_target_classes: see :func:`attack`.
        target: None (untargeted), a class index or a class name ("ostrich", "3").
        images: image paths or sample names; when empty, ``dataset`` is used.
        labels: true labels of ``images`` (indices or names); empty: the clean predictions.
        dataset: "digits" or a TFDS name (its test split).
        num_images: how many data-set images to attack.
        seed: seed of PGD's random starts (and of the digits split).
        quiet: no progress bars.
    """

    model: str = None
    weights: str = None
    method: str = "pgd"
    norm: str = "linf"
    eps: float = 0.3
    steps: int = 40
    step_size: float = 0.01
    restarts: int = 1
    random_start: bool = True
    loss: str = "ce"
    early_stop: bool = False
    decay: float = 1.0
    kappa: float = 0.0
    learning_rate: float = 0.1
    search_steps: int = 5
    initial_const: float = 1.0
    n_target_classes: int = 9
    target: str = None
    images: tuple = ()
    labels: tuple = ()
    dataset: str = "digits"
    num_images: int = 100
    seed: int = 0
    quiet: bool = False


def resolve_model(config):
    """``config`` with its model named: None becomes the offline photo classifier with images, else digits_cnn."""
    from tfopt.models import zoo

    if config.model is not None:
        return config
    return dataclasses.replace(config, model=zoo.PHOTO_CLASSIFIER if config.images else "digits_cnn")


def _get_model(config):
    from tfopt.models import zoo

    kwargs = {} if config.weights is None else {"weights": config.weights}
    return zoo.get_model(config.model, seed=config.seed, **kwargs)


def load_inputs(config, model):
    """Images and labels to attack: ``config.images`` files, else ``config.num_images`` of a data set.

    Photos are cropped to the model's aspect and resized to its input; one smaller than
    the input is upscaled, and a line on stderr says so (the notes are returned too).

    Returns:
        (x float32 [B, H, W, C] in [0, 1], y int64 [B] or None, source str, notes: list of str).
    """
    from tfopt import data, images
    from tfopt.models import zoo

    _, h, w, c = model.inputs[0].shape
    if config.images:
        fitted = [images.fit_image(images.load_image(p, channels=c), h, w, name=str(p)) for p in config.images]
        x = np.stack([image for image, _ in fitted])
        notes = [note for _, note in fitted if note]
        y = None
        if config.labels:
            if len(config.labels) != len(config.images):
                raise InputError(f"expected one label per image ({len(config.images)}); received: "
                                 f"{len(config.labels)} labels")
            y = np.asarray([zoo.class_index(model, str(v)) for v in config.labels], np.int64)
        return x.astype(np.float32), y, "files", notes
    if config.num_images < 1:
        raise InputError(f"expected num_images >= 1; received: num_images={config.num_images}")
    if config.dataset == "digits":
        d = data.digits(seed=0)
        if (h, w, c) != d["x_test"].shape[1:]:
            raise InputError(f"expected a model taking digits {d['x_test'].shape[1:]}; received: input {(h, w, c)}")
        n = min(config.num_images, len(d["x_test"]))
        return d["x_test"][:n].copy(), d["y_test"][:n].copy(), "digits test split", []
    ds, info = data.load_dataset(config.dataset, split="test", batch_size=config.num_images,
                                 image_size=None if h is None else (h, w), shuffle=False)
    x, y = next(iter(ds))
    x = np.asarray(x, np.float32)
    if x.shape[-1] != c:
        x = np.repeat(x, c, -1) if x.shape[-1] == 1 else x.mean(-1, keepdims=True)
    return x, np.asarray(y, np.int64), f"{config.dataset} test split", []


def _model_path(description):
    found = re.search(r"(?:file|cached): (.+?)\)?$", description)
    return found.group(1) if found else None


def _check(config):
    if config.method not in METHODS:
        raise InputError(f"expected method in {METHODS}; received: method={config.method!r}")
    if config.norm not in common.NORMS:
        raise InputError(f"expected norm in {common.NORMS}; received: norm={config.norm!r}")


def run_attack(config, outdir):
    """Attacks, writes the PNGs, adversarial.npz, adversarial.png and summary.json, and judges from the PNGs.

    The clean images are put on the 8-bit grid first (what their PNGs hold), and the
    attack's result is rounded onto that grid inside the eps ball
    (:func:`~tfopt.attacks.output.project_to_grid`), so the saved PNGs keep the
    threat model. ``clean/NNN.png`` and ``adversarial/NNN.png`` are then read back and
    predicted with a freshly loaded model: those are the numbers of ``summary.json``.
    Its ``float`` block holds the numbers of the attack's float images before rounding.

    Args:
        config: an :class:`AttackConfig`.
        outdir: an existing directory to write into.

    Returns:
        The summary dict (also written to ``outdir/summary.json``).
    """
    from tfopt.core import files
    from tfopt.models import zoo

    _check(config)
    config = resolve_model(config)
    outdir = pathlib.Path(outdir)
    model = _get_model(config)
    x, y, source, notes = load_inputs(config, model)
    x = round_to_8bit(x)
    kw = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
          if f.name not in ("model", "weights", "images", "labels", "dataset", "num_images", "quiet")}
    start = time.perf_counter()
    res = attack(model, x, y, progress=not config.quiet, **kw)
    wall = time.perf_counter() - start
    eps = None if config.method == "cw_l2" else config.eps
    norm = "l2" if config.method == "cw_l2" else config.norm
    x_adv = project_to_grid(x, res.x_adv, norm=norm, eps=eps)

    # Judge from disk: the saved PNGs, read back, and a model loaded afresh.
    channels = int(x.shape[-1])
    clean = load_pngs(save_pngs(outdir / "clean", x, config.images), channels)
    adv = load_pngs(save_pngs(outdir / "adversarial", x_adv, config.images), channels)
    judge = _get_model(config)
    numbers, arrays = common.measure(judge, clean, adv, res.y_true, res.y_target)
    numbers_float, _ = common.measure(judge, clean, res.x_adv, res.y_true, res.y_target)
    levels = int(round(numbers["linf_max"] * 255))  # both on the 8-bit grid: exact, free of float32 rounding
    numbers["linf_max"] = levels / 255
    save_arrays(outdir / "adversarial.npz", x=clean, x_adv=adv, x_adv_float=res.x_adv, y_true=res.y_true,
                y_target=res.y_target, pred_adv=arrays["pred_adv"], conf_adv=arrays["conf_adv"],
                pred_clean=arrays["pred_clean"], conf_clean=arrays["conf_clean"])
    names = zoo.class_names(judge)
    save_figure(outdir / "adversarial.png", clean, adv, arrays, names)
    weights = zoo.describe_weights(judge)
    target = None if config.target is None else int(res.y_target[0])
    summary = {
        "method": config.method, "norm": norm,
        "targeted": target is not None, "target": config.target,
        "target_index": target, "target_name": None if target is None else names[target],
        **numbers, "linf_max_levels": levels,
        "attack_claimed_success_rate": float(res.success.mean()),
        "claim_agrees_with_reprediction": float(np.mean(res.success == arrays["success"])),
        "float": {k: numbers_float[k] for k in ("success_rate", "adv_accuracy", "linf_max", "l2_mean")},
        "eps": None if eps is None else float(eps),
        "eps_levels": grid_levels(eps) if eps is not None and norm == "linf" else None,
        "steps": int(config.steps), "steps_taken_mean": float(np.mean(res.steps)),
        "step_size": float(config.step_size), "restarts": int(config.restarts),
        "seconds": round(res.seconds, 3), "wall_seconds": round(wall, 3), "evaluations": int(res.evaluations),
        "images_steps_per_second": round(len(x) * int(res.evaluations) / max(res.seconds, 1e-9), 1),
        "model": config.model, "weights": weights, "model_path": _model_path(weights),
        "source": source, "resized": notes, "params": res.params, "config": dataclasses.asdict(config),
        "judged_by": "re-prediction of the saved 8-bit PNGs (clean/, adversarial/) with a freshly loaded model",
    }
    files.write_summary(outdir, summary)
    return summary
