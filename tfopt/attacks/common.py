"""What every attack shares: labels and targets, the success margin, predictions, measurements.

An attack is *untargeted* (make the prediction differ from the true label) or
*targeted* (make the prediction equal a chosen class). Both are judged by one number
per sample computed from the logits, the **success margin**::

    untargeted:  max_{j != y} Z_j - Z_y        targeted:  Z_t - max_{j != t} Z_j

It is positive exactly when the attack succeeds (ties aside). The recipes hand it to the
engine as the objective's *value* (so "keep the best iterate", "keep the worst-case
restart" and "stop samples that succeed" all mean what they say), while the gradient
comes from the attack's loss on the logits (see :func:`adversarial_objective`).
"""
import dataclasses
import numbers

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.models.features import LOGITS, PROBS, FeatureModel
from tfopt.optim.loop import Stop
from tfopt.optim.objectives import Const, Objective, straight_through, tile_to

__all__ = [
    "AttackResult",
    "check_images",
    "NORMS",
    "UNTARGETED",
    "SUCCESS_TOL",
    "SUCCEEDED",
    "success_margin",
    "adversarial_objective",
    "predict",
    "resolve_labels",
    "resolve_target",
    "measure",
]

NORMS = ("linf", "l2")
UNTARGETED = -1
"""``y_target`` of an untargeted attack."""

SUCCESS_TOL = 1e-3
"""Logit margin a sample must clear to count as a success inside an attack.

A success found at margin 1e-7 can flip when the saved image is predicted again in
another batch; requiring a little margin keeps the attack's claim and re-prediction
in agreement (Foolbox #674).
"""


@dataclasses.dataclass
class AttackResult:
    """What every attack returns (numpy arrays; B = batch).

    Attributes:
        x_adv: adversarial images [B, H, W, C] in [0, 1].
        success: the attack's own verdict per sample (margin > :data:`SUCCESS_TOL`), [B].
        margin: success margin at ``x_adv`` (see module docstring), [B].
        steps: optimizer steps each sample took (summed over C&W's search rounds), [B].
        y_true: labels the attack moved away from, [B].
        y_target: target class per sample, or -1 (untargeted), [B].
        seconds: wall time of the optimization.
        evaluations: forward+backward passes of the whole batch.
        method: "fgsm" | "bim" | "pgd" | "mim" | "cw_l2".
        params: the settings used (eps, norm, steps, step_size, ...).
        restart_margins: PGD: the best success margin of every restart, [R, B] (the kept
            one is the largest per sample).
    """

    x_adv: np.ndarray
    success: np.ndarray
    margin: np.ndarray
    steps: np.ndarray
    y_true: np.ndarray
    y_target: np.ndarray
    seconds: float
    evaluations: int
    method: str
    params: dict = dataclasses.field(default_factory=dict)
    restart_margins: np.ndarray = None


def _margins(logits, labels, targeted):
    """Success margin [N] from logits [N, K] and per-row labels (true class or target) [N]."""
    onehot = tf.one_hot(labels, tf.shape(logits)[-1])
    own = tf.reduce_sum(logits * onehot, -1)
    other = tf.reduce_max(logits - 1e9 * onehot, -1)
    return tf.where(targeted, own - other, other - own)


def success_margin(logits, y_true, y_target):
    """The success margin of each sample (positive = the attack succeeds).

    Args:
        logits: [N, K] pre-softmax scores.
        y_true: true labels [N].
        y_target: target class per sample, -1 where untargeted, [N].

    Returns:
        float32 tensor [N].
    """
    y_true = tf.cast(y_true, tf.int32)
    y_target = tf.cast(y_target, tf.int32)
    targeted = y_target >= 0
    return _margins(tf.cast(logits, tf.float32), tf.where(targeted, y_target, y_true), targeted)


def adversarial_objective(y_true, y_target, loss="ce"):
    """The engine objective of the gradient attacks (maximized).

    Its value is the success margin; its gradient is that of ``loss`` (a
    straight-through sum ``L + stop_gradient(margin - L)``), so the engine's
    best-iterate, best-restart and stop rules act on success while the steps follow the
    chosen loss.

    Args:
        y_true: true labels [B].
        y_target: targets [B], -1 where untargeted.
        loss: "ce" (cross-entropy of the logits: ascend it away from ``y_true``, descend it
            towards the target; Madry et al.) or "margin" (the margin itself, the C&W loss).

    Returns:
        An :class:`~tfopt.optim.objectives.Objective` reading only the logits.
    """
    if loss not in ("ce", "margin"):
        raise InputError(f"expected loss 'ce' or 'margin'; received: loss={loss!r}")
    y_true = Const(tf.cast(y_true, tf.int32))  # tensors too: attacks run inside train_step
    y_target = Const(tf.cast(y_target, tf.int32))

    def labels(ctx):
        n = tf.shape(ctx[LOGITS])[0]
        return tile_to(y_true.value, n), tile_to(y_target.value, n)

    def margin_fn(ctx):
        return success_margin(ctx[LOGITS], *labels(ctx))

    def ce_fn(ctx):
        yt, tt = labels(ctx)
        targeted = tt >= 0
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.where(targeted, tt, yt), ctx[LOGITS])
        return tf.where(targeted, -ce, ce)

    consts = (y_true, y_target)
    margin = Objective(margin_fn, "adv-margin", [LOGITS], ("adv-margin",), consts)
    if loss == "margin":
        return margin
    out = straight_through(margin, Objective(ce_fn, "adv-ce", [LOGITS], ("adv-ce",), consts))
    out.name = "adv-ce"
    return out


def _succeeded(ctx, values):
    return values > SUCCESS_TOL


SUCCEEDED = Stop(_succeeded, key=("succeeded", SUCCESS_TOL))
"""The engine stop of an attack with early stopping: the success margin cleared :data:`SUCCESS_TOL`."""


def check_images(x):
    """Clean images as float32 [B, H, W, C] in [0, 1]; InputError (one line) otherwise."""
    x = np.asarray(x, np.float32)
    if x.ndim != 4:
        raise InputError(f"expected images [batch, height, width, channels]; received shape {x.shape}")
    if x.size and (x.min() < 0 or x.max() > 1):
        raise InputError(f"expected pixels in [0, 1]; received range [{x.min():.3g}, {x.max():.3g}]")
    return x


def predict(model, x, *, batch_size=256):
    """Classifies images with a model in inference mode.

    Args:
        model: a Keras classifier (softmax or logits output) or a FeatureModel.
        x: images [N, H, W, C].
        batch_size: forward-pass batch size.

    Returns:
        (logits [N, K], probs [N, K]) as float32 numpy arrays.
    """
    fm = model if isinstance(model, FeatureModel) and {LOGITS, PROBS} <= set(model.layers) \
        else FeatureModel(getattr(model, "model", model), [LOGITS, PROBS])
    x = np.asarray(x, np.float32)
    logits, probs = [], []
    for i in range(0, len(x), batch_size):
        out = fm(tf.constant(x[i:i + batch_size]))
        logits.append(np.asarray(out[LOGITS]))
        probs.append(np.asarray(out[PROBS]))
    if not logits:
        return np.zeros([0, 0], np.float32), np.zeros([0, 0], np.float32)
    return np.concatenate(logits), np.concatenate(probs)


def _num_classes(model):
    return int(FeatureModel(getattr(model, "model", model), [LOGITS]).model.outputs[0].shape[-1])


def resolve_labels(model, x, y=None):
    """True labels: ``y`` if given, else the model's clean predictions (no label leaking).

    Args:
        model: the classifier.
        x: images [B, H, W, C].
        y: None or int labels [B].

    Returns:
        int64 numpy [B].
    """
    if y is None:
        return np.argmax(predict(model, x)[0], -1).astype(np.int64)
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise InputError(f"expected one integer label per image ({len(x)}); received: shape {y.shape}, {y.dtype}")
    return y.astype(np.int64)


def resolve_target(model, target, n):
    """Per-sample target classes from None, a class index, a class name or a list.

    Args:
        model: the classifier (names are looked up with
            :func:`tfopt.models.zoo.class_index`, e.g. "ostrich" for ImageNet models,
            "3" for the digits model).
        target: None (untargeted), an int, a str, or a sequence of n ints/strs.
        n: batch size.

    Returns:
        int64 numpy [n]: class indices, or -1 everywhere for untargeted.
    """
    if target is None:
        return np.full([n], UNTARGETED, np.int64)
    k = _num_classes(model)
    items = [target] * n if isinstance(target, (str, numbers.Integral)) else list(np.asarray(target).tolist())
    if len(items) != n:
        raise InputError(f"expected one target per image ({n}); received: {len(items)} targets")
    out = []
    for item in items:
        if isinstance(item, str) and not item.lstrip("-").isdigit():
            from tfopt.models import zoo

            item = zoo.class_index(model, item)
        item = int(item)
        if not 0 <= item < k:
            raise InputError(f"expected a target class in [0, {k}); received: target={item}")
        out.append(item)
    return np.asarray(out, np.int64)


def measure(model, x, x_adv, y_true, y_target, *, batch_size=256):
    """Judges adversarial images by predicting them again (nothing from the attack's state).

    Args:
        model: the classifier to judge with.
        x: clean images [B, H, W, C].
        x_adv: adversarial images [B, H, W, C].
        y_true: true labels [B].
        y_target: targets [B], -1 where untargeted.
        batch_size: forward-pass batch size.

    Returns:
        (numbers, arrays): numbers is a dict with num_images, clean_accuracy, success_rate,
        success_rate_on_correct, adv_accuracy, mean_confidence_adv, linf_max, linf_mean,
        l2_mean, l2_max; arrays has pred_clean, pred_adv, conf_clean, conf_adv, success,
        linf, l2.
    """
    x = np.asarray(x, np.float32)
    x_adv = np.asarray(x_adv, np.float32)
    if x.shape != x_adv.shape:
        raise InputError(f"expected x_adv of the shape of x {x.shape}; received: {x_adv.shape}")
    y_true, y_target = np.asarray(y_true), np.asarray(y_target)
    _, p_clean = predict(model, x, batch_size=batch_size)
    _, p_adv = predict(model, x_adv, batch_size=batch_size)
    pred_clean, pred_adv = p_clean.argmax(-1), p_adv.argmax(-1)
    targeted = y_target >= 0
    success = np.where(targeted, pred_adv == y_target, pred_adv != y_true)
    d = (x_adv - x).reshape(len(x), -1)
    linf = np.abs(d).max(-1) if d.size else np.zeros([len(x)])
    l2 = np.linalg.norm(d, axis=-1)
    correct = pred_clean == y_true
    arrays = {
        "pred_clean": pred_clean, "pred_adv": pred_adv,
        "conf_clean": p_clean.max(-1), "conf_adv": p_adv.max(-1),
        "success": success, "linf": linf, "l2": l2,
    }
    numbers_ = {
        "num_images": int(len(x)),
        "clean_accuracy": float(correct.mean()),
        "success_rate": float(success.mean()),
        "success_rate_on_correct": float(success[correct].mean()) if correct.any() else None,
        "adv_accuracy": float((pred_adv == y_true).mean()),
        "mean_confidence_adv": float(p_adv.max(-1).mean()),
        "linf_max": float(linf.max()),
        "linf_mean": float(linf.mean()),
        "l2_mean": float(l2.mean()),
        "l2_max": float(l2.max()),
    }
    return numbers_, arrays
