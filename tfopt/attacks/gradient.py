"""Gradient attacks as recipes on the engine: FGSM, BIM, PGD (Linf / L2) and MIM.

Each is one call of :func:`tfopt.optim.optimize` with the pixel parameterization, a norm
ball around the clean image (``eps`` in absolute [0, 1] pixel units), steepest-ascent
steps (``"sign"`` for Linf, ``"l2"`` for L2; ``step_size`` absolute too) and the objective
of :func:`~tfopt.attacks.common.adversarial_objective`: the gradient of the
cross-entropy of the *logits*, the value of the success margin. Hence:

* the engine keeps, per sample, the most adversarial iterate it saw;
* PGD's restarts are folded into the batch and the worst case (largest margin) per
  sample is kept;
* ``early_stop=True`` freezes samples as soon as they succeed (fewer changes, less time).

Example:
    res = pgd(model, x, y, eps=0.2, steps=40, step_size=0.01, target=3)
    res.x_adv, res.success.mean()
"""

from tfopt.attacks import common
from tfopt.core.errors import InputError
from tfopt.optim import constraints, optimize

__all__ = ["fgsm", "bim", "pgd", "mim"]


def _check(norm, eps, steps, step_size, restarts):
    if norm not in common.NORMS:
        raise InputError(f"expected norm in {common.NORMS}; received: norm={norm!r}")
    if not eps > 0:
        raise InputError(f"expected eps > 0 (absolute, in [0, 1] pixel units); received: eps={eps}")
    if norm == "linf" and eps > 1:
        raise InputError(f"expected eps <= 1 for norm linf (pixels are in [0, 1]); received: eps={eps}")
    if int(steps) != steps or steps < 1:
        raise InputError(f"expected steps >= 1; received: steps={steps}")
    if not step_size > 0:
        raise InputError(f"expected step_size > 0; received: step_size={step_size}")
    if int(restarts) != restarts or restarts < 1:
        raise InputError(f"expected restarts >= 1; received: restarts={restarts}")


def _run(method, model, x, y, *, target, norm, eps, steps, step_size, restarts=1, random_start=False,
         momentum=0.0, loss="ce", early_stop=False, seed=0, progress=True):
    _check(norm, eps, steps, step_size, restarts)
    x = common.check_images(x)
    y_true = common.resolve_labels(model, x, y)
    y_target = common.resolve_target(model, target, len(x))
    ball = constraints.linf_ball(eps) if norm == "linf" else constraints.l2_ball(eps)
    stop = common.SUCCEEDED if early_stop else None
    res = optimize(common.adversarial_objective(y_true, y_target, loss), model, x, param="pixel", steps=steps,
                   optimizer="sign" if norm == "linf" else "l2", learning_rate=step_size, momentum=momentum,
                   constraint=ball, stop=stop, restarts=restarts, random_start=random_start, keep="best",
                   seed=seed, progress=progress, desc=method)
    params = {"norm": norm, "eps": float(eps), "steps": int(steps), "step_size": float(step_size),
              "restarts": int(restarts), "random_start": bool(random_start), "momentum": float(momentum),
              "loss": loss, "early_stop": bool(early_stop), "seed": int(seed)}
    return common.AttackResult(x_adv=res.images, success=res.values > common.SUCCESS_TOL, margin=res.values,
                               steps=res.steps, y_true=y_true, y_target=y_target, seconds=res.seconds,
                               evaluations=res.evaluations, method=method, params=params,
                               restart_margins=res.restart_values)


def fgsm(model, x, y=None, *, target=None, eps=0.1, norm="linf", loss="ce", progress=False):
    """Fast gradient sign method (Goodfellow et al. 2015): one step of size ``eps``.

    With ``norm="l2"`` it is the fast gradient method: one normalized-gradient step of
    L2 length ``eps``. The better of the clean and the stepped image (by success margin)
    is returned.

    Args:
        model: a Keras classifier taking [0, 1] images (softmax or logits output).
        x: clean images [B, H, W, C] in [0, 1].
        y: true labels [B]; None uses the model's clean predictions.
        target: None (untargeted), a class index or name, or one per image.
        eps: step and ball radius in absolute pixel units.
        norm: "linf" or "l2".
        loss: "ce" or "margin" (see :func:`~tfopt.attacks.common.adversarial_objective`).
        progress: show a progress bar.

    Returns:
        An :class:`~tfopt.attacks.common.AttackResult`.

    Example:
        res = fgsm(model, x, y, eps=0.1)
    """
    return _run("fgsm", model, x, y, target=target, norm=norm, eps=eps, steps=1, step_size=eps, loss=loss,
                progress=progress)


def bim(model, x, y=None, *, target=None, eps=0.1, steps=10, step_size=0.01, norm="linf", loss="ce",
        early_stop=False, progress=True):
    """Basic iterative method (Kurakin et al. 2017): FGSM steps from the clean image, projected.

    Args:
        model, x, y, target, norm, loss, progress: as in :func:`fgsm`.
        eps: ball radius (absolute pixel units).
        steps: iterations.
        step_size: absolute size of each step (not tied to ``eps``).
        early_stop: freeze samples as soon as they succeed.

    Returns:
        An :class:`~tfopt.attacks.common.AttackResult`.
    """
    return _run("bim", model, x, y, target=target, norm=norm, eps=eps, steps=steps, step_size=step_size,
                loss=loss, early_stop=early_stop, progress=progress)


def pgd(model, x, y=None, *, target=None, eps=0.3, steps=40, step_size=0.01, norm="linf", restarts=1,
        random_start=True, loss="ce", early_stop=False, seed=0, progress=True):
    """Projected gradient descent (Madry et al. 2018), Linf or L2, with random starts.

    Restarts run in the same batch (restart-major) and the restart with the largest
    success margin is kept per sample.

    Args:
        model, x, y, target, norm, loss, progress: as in :func:`fgsm`.
        eps: ball radius (absolute pixel units).
        steps: iterations per restart.
        step_size: absolute size of each step.
        restarts: independent starts per image, all in one batch.
        random_start: start every restart at a uniform random point of the ball.
        early_stop: freeze samples as soon as they succeed.
        seed: seed of the random starts.

    Returns:
        An :class:`~tfopt.attacks.common.AttackResult`.

    Example:
        res = pgd(model, x, y, eps=0.3, steps=40, step_size=0.01, restarts=4)
    """
    return _run("pgd", model, x, y, target=target, norm=norm, eps=eps, steps=steps, step_size=step_size,
                restarts=restarts, random_start=random_start, loss=loss, early_stop=early_stop, seed=seed,
                progress=progress)


def mim(model, x, y=None, *, target=None, eps=0.3, steps=10, step_size=0.03, decay=1.0, norm="linf", loss="ce",
        early_stop=False, progress=True):
    """Momentum iterative method (Dong et al. 2018): BIM with accumulated L1-normalized gradients.

    Args:
        model, x, y, target, norm, loss, progress: as in :func:`fgsm`.
        eps: ball radius (absolute pixel units).
        steps: iterations.
        step_size: absolute size of each step.
        decay: momentum decay factor mu (1.0 in the paper).
        early_stop: freeze samples as soon as they succeed.

    Returns:
        An :class:`~tfopt.attacks.common.AttackResult`.
    """
    if not decay >= 0:
        raise InputError(f"expected decay >= 0; received: decay={decay}")
    return _run("mim", model, x, y, target=target, norm=norm, eps=eps, steps=steps, step_size=step_size,
                momentum=decay, loss=loss, early_stop=early_stop, progress=progress)
