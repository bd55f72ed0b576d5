"""APGD-CE and APGD-DLR / APGD-T (Croce & Hein 2020), the gradient attacks inside AutoAttack.

Each is one :func:`tfopt.optim.optimize` call with the ``"apgd"`` step rule (no step
size to tune: it starts at ``2 * eps`` and halves per sample when progress stalls, see
:mod:`tfopt.optim.apgd`), from a uniform random point of the eps ball. As in
:mod:`.gradient`, the objective's *value* is the success margin (best iterate, best
restart and early stop mean success) while the steps and APGD's step-size control follow
the loss: cross-entropy (APGD-CE) or the Difference of Logits Ratio (DLR)::

    untargeted:  -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12)
    targeted:    -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12)        (pi: logits sorted descending)

``apgd_dlr`` without a ``target`` is AutoAttack's APGD-T: each image is attacked
towards its ``n_target_classes`` runner-up classes of the clean logits (folded into one
batch), stepping the targeted DLR, and the most successful target (by the untargeted
success margin) is kept per image.

Example:
    res = apgd_ce(model, x, y, eps=8 / 255, steps=100)
    res = apgd_dlr(model, x, y, eps=8 / 255, steps=100, n_target_classes=9)     # APGD-T
"""
import numpy as np
import tensorflow as tf

from tfopt.attacks import common
from tfopt.core.errors import InputError
from tfopt.models.features import LOGITS
from tfopt.optim import constraints, optimize
from tfopt.optim.objectives import Const, Objective, straight_through, tile_to

__all__ = ["apgd_ce", "apgd_dlr", "dlr_objective"]


def _check(norm, eps, steps, restarts):
    if norm not in common.NORMS:
        raise InputError(f"expected norm in {common.NORMS}; received: norm={norm!r}")
    if not 0 <= eps <= 1:
        raise InputError(f"expected eps in [0, 1] for APGD (absolute, in [0, 1] pixel units); received: eps={eps}")
    if int(steps) != steps or steps < 1:
        raise InputError(f"expected steps >= 1; received: steps={steps}")
    if int(restarts) != restarts or restarts < 1:
        raise InputError(f"expected restarts >= 1; received: restarts={restarts}")


def _dlr(logits, y, t, targeted):
    """The DLR loss (to maximize) of logits [N, K] for labels ``y`` and targets ``t`` [N]."""
    top = tf.math.top_k(logits, k=4 if targeted else 3).values
    own = tf.gather(logits, y, batch_dims=1)
    if targeted:
        return -(own - tf.gather(logits, t, batch_dims=1)) / (top[:, 0] - 0.5 * (top[:, 2] + top[:, 3]) + 1e-12)
    onehot = tf.one_hot(y, tf.shape(logits)[-1])
    other = tf.reduce_max(logits - 1e9 * onehot, -1)
    return -(own - other) / (top[:, 0] - top[:, 2] + 1e-12)


def dlr_objective(y_true, y_step_target, y_value_target):
    """The engine objective of APGD-DLR: value = success margin, gradient = DLR loss.

    Args:
        y_true: true labels [B].
        y_step_target: targets of the DLR loss [B], all >= 0 (targeted DLR) or all -1 (untargeted).
        y_value_target: targets of the success margin [B], -1 where success means "not y_true"
            (APGD-T steps towards a target but counts any misclassification).

    Returns:
        An :class:`~tfopt.optim.objectives.Objective`; its key holds only whether the DLR is
        targeted, so new labels and targets reuse a compiled loop.
    """
    y_step_target = np.asarray(y_step_target)
    targeted = bool(y_step_target.size) and bool(y_step_target.min() >= 0)
    if y_step_target.size and not targeted and y_step_target.max() >= 0:
        raise InputError("expected step targets all >= 0 (targeted DLR) or all -1 (untargeted); received a mix")
    y = Const(tf.cast(y_true, tf.int32))
    t = Const(tf.cast(y_step_target, tf.int32))

    def fn(ctx):
        logits = ctx[LOGITS]
        n = tf.shape(logits)[0]
        return _dlr(logits, tile_to(y.value, n), tile_to(t.value, n), targeted)

    loss = Objective(fn, "dlr", [LOGITS], ("apgd-dlr", targeted), (y, t))
    out = straight_through(common.adversarial_objective(y_true, y_value_target, "margin"), loss)
    out.name = "apgd-dlr"
    return out


def _run(method, model, x, y_true, y_target, objective, *, norm, eps, steps, restarts, seed, early_stop,
         progress, fold=1):
    """One optimize call from a random point of the ball; ``fold`` > 1: ``objective`` is for ``x`` tiled
    ``fold`` times (target-major) and the best fold per image is kept; ``evaluations`` counts passes of the
    caller's batch (``fold`` per step), so images * steps / s stays comparable."""
    ball = constraints.linf_ball(eps) if norm == "linf" else constraints.l2_ball(eps)
    b = len(x)
    res = optimize(objective, model, np.tile(x, [fold, 1, 1, 1]), param="pixel", steps=steps, optimizer="apgd",
                   constraint=ball, stop=common.SUCCEEDED if early_stop else None, restarts=restarts,
                   random_start=True, keep="best", seed=seed, progress=progress, desc=method)
    values = res.values.reshape(fold, b)
    win = np.argmax(values, 0)
    idx = win * b + np.arange(b)
    params = {"norm": norm, "eps": float(eps), "steps": int(steps), "restarts": int(restarts),
              "random_start": True, "early_stop": bool(early_stop), "seed": int(seed)}
    return common.AttackResult(x_adv=res.images[idx], success=values[win, np.arange(b)] > common.SUCCESS_TOL,
                               margin=values[win, np.arange(b)], steps=res.steps[idx], y_true=y_true,
                               y_target=y_target, seconds=res.seconds, evaluations=res.evaluations * fold, method=method,
                               params=params, restart_margins=res.restart_values.reshape(restarts, fold, b).max(1))


def apgd_ce(model, x, y=None, *, target=None, eps=0.3, norm="linf", steps=100, restarts=1, seed=0,
            early_stop=False, progress=True):
    """APGD with the cross-entropy loss (AutoAttack's first attack).

    Args:
        model: a Keras classifier taking [0, 1] images (softmax or logits output).
        x: clean images [B, H, W, C] in [0, 1].
        y: true labels [B]; None uses the model's clean predictions.
        target: None (untargeted), a class index or name, or one per image (then the
            cross-entropy of the target is descended).
        eps: ball radius in absolute pixel units, in [0, 1].
        norm: "linf" or "l2".
        steps: iterations per restart (APGD's checkpoints scale with it).
        restarts: random starts per image, all in one batch; the best is kept.
        seed: seed of the random starts.
        early_stop: freeze images as soon as they succeed.
        progress: show a progress bar.

    Returns:
        An :class:`~tfopt.attacks.common.AttackResult` (``params["loss"] == "ce"``).
    """
    _check(norm, eps, steps, restarts)
    x = common.check_images(x)
    y_target = common.resolve_target(model, target, len(x))
    y_true = common.resolve_labels(model, x, y)
    res = _run("apgd_ce", model, x, y_true, y_target, common.adversarial_objective(y_true, y_target, "ce"),
               norm=norm, eps=eps, steps=steps, restarts=restarts, seed=seed, early_stop=early_stop,
               progress=progress)
    res.params["loss"] = "ce"
    return res


def runner_up_targets(logits, y_true, n):
    """The ``n`` classes other than ``y_true`` with the largest clean logits, [n, B] (best first)."""
    masked = np.where(np.eye(logits.shape[1], dtype=bool)[y_true], -np.inf, logits)
    return np.argsort(-masked, axis=1, kind="stable")[:, :n].T.astype(np.int64)


def apgd_dlr(model, x, y=None, *, target=None, eps=0.3, norm="linf", steps=100, restarts=1, n_target_classes=9,
             seed=0, early_stop=False, progress=True):
    """APGD with the DLR loss: AutoAttack's APGD-T without ``target``, a targeted attack with one.

    Args:
        model, x, y, eps, norm, steps, restarts, seed, early_stop, progress: as in :func:`apgd_ce`.
        target: None: APGD-T, success = any misclassification, stepping the targeted DLR
            towards each of the ``n_target_classes`` runner-up classes of the clean
            logits (one batch, the best per image kept); else a class index or name, or
            one per image: an ordinary targeted attack.
        n_target_classes: APGD-T's targets per image, in [1, classes - 1].

    Returns:
        An :class:`~tfopt.attacks.common.AttackResult`; ``y_target`` is -1 for APGD-T and
        ``params["targets"]`` holds its targets [n_target_classes, B].
    """
    _check(norm, eps, steps, restarts)
    k = common._num_classes(model)
    if k < 3:
        raise InputError(f"expected a model with at least 3 classes for APGD-DLR (DLR reads the third-largest "
                         f"logit); received: a model with {k} classes")
    if k < 4:
        raise InputError(f"expected a model with at least 4 classes for targeted APGD-DLR (its DLR reads the "
                         f"fourth-largest logit); received: a model with {k} classes")
    apgd_t = target is None
    if apgd_t and (int(n_target_classes) != n_target_classes or not 1 <= n_target_classes < k):
        raise InputError(f"expected n_target_classes in [1, {k - 1}] (the model has {k} classes); "
                         f"received: n_target_classes={n_target_classes}")
    x = common.check_images(x)
    y_target = common.resolve_target(model, target, len(x))
    y_true = common.resolve_labels(model, x, y)
    if apgd_t:
        fold = int(n_target_classes)
        targets = runner_up_targets(common.predict(model, x)[0], y_true, fold)
        objective = dlr_objective(np.tile(y_true, fold), targets.reshape(-1), np.tile(y_target, fold))
    else:
        fold = 1
        objective = dlr_objective(y_true, y_target, y_target)
    res = _run("apgd_dlr", model, x, y_true, y_target, objective, norm=norm, eps=eps, steps=steps,
               restarts=restarts, seed=seed, early_stop=early_stop, progress=progress, fold=fold)
    res.params.update(loss="dlr", apgd_t=apgd_t, n_target_classes=fold if apgd_t else None)
    if apgd_t:
        res.params["targets"] = targets.tolist()
    return res
