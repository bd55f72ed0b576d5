"""Carlini & Wagner's L2 attack (2017) as a recipe on the engine.

Minimize ``||x' - x||_2^2 + c * max(-margin(x'), -kappa)`` over ``x' = sigmoid(w)`` (the
box constraint is the parameterization: the sigmoid form of C&W's tanh change of
variables), with Adam, for each ``c`` of a per-sample binary search. Each search round
is one :func:`tfopt.optim.optimize` call; the outer loop only moves ``c``:

* a sample that succeeded at ``c`` lowers its upper bound, one that failed raises its
  lower bound (times 10 while no success is known);
* across rounds the successful image with the smallest L2 distance is kept.

Early abort is the engine's per-sample stop: a sample whose loss has not improved by
``abort_tol`` (relative) for ``abort_patience`` steps is frozen. Inside a round the
engine keeps, per sample, the smallest-distortion iterate that succeeds (a
straight-through value: the gradient is the C&W loss's, the value the selection score).

Example:
    res = cw_l2(model, x, y, target=3, steps=100, search_steps=5)
"""
import numpy as np
import tensorflow as tf

from tfopt.attacks import common
from tfopt.core.errors import InputError
from tfopt.models.features import LOGITS
from tfopt.optim import optimize
from tfopt.optim.loop import Stop
from tfopt.optim.objectives import Const, Objective, tile_to

__all__ = ["cw_l2"]

_FAIL = 1e6  # selection score offset of iterates that do not succeed


class _Inputs:
    """The per-sample constants of a round, as engine Consts shared by the objective and
    the stop: a new round (new c) feeds new values to the loop the first round compiled."""

    def __init__(self, x0, y_true, y_target, const):
        self.x0, self.y_true = Const(x0, tf.float32), Const(y_true, tf.int32)
        self.y_target, self.const = Const(y_target, tf.int32), Const(const, tf.float32)
        self.all = (self.x0, self.y_true, self.y_target, self.const)


def _parts(ctx, inp, kappa):
    """(loss, squared distance, success margin) per sample."""
    n = tf.shape(ctx.image)[0]
    m = common.success_margin(ctx[LOGITS], tile_to(inp.y_true.value, n), tile_to(inp.y_target.value, n))
    d = ctx.image - tile_to(inp.x0.value, n)
    d2 = tf.reduce_sum(tf.reshape(d * d, [n, -1]), -1)
    loss = d2 + tile_to(inp.const.value, n) * tf.maximum(-m, -kappa)
    return loss, d2, m


def _objective(inp, kappa):
    """Minimized: value = selection score (d2 if it succeeds, else _FAIL + loss), gradient = C&W loss."""
    def fn(ctx):
        loss, d2, m = _parts(ctx, inp, kappa)
        score = tf.where(m > common.SUCCESS_TOL, d2, _FAIL + loss)
        return loss + tf.stop_gradient(score - loss)
    return Objective(fn, "cw_l2", [LOGITS], ("cw_l2", repr(kappa)), inp.all)


def _early_abort(inp, kappa, patience, tol):
    """A stop with memory: True once a sample's loss stalled for ``patience`` steps.

    The engine keeps the iterate a sample stops at, so a sample that has succeeded before
    only stops at a success within ``tol`` of its smallest distortion so far; one that
    never succeeded stops as soon as it stalls.
    """
    def init(n):
        return tf.fill([n], np.inf), tf.fill([n], np.inf), tf.zeros([n], tf.int32)

    def stop(ctx, values, state):
        best, best_d2, stall = state
        loss, d2, m = _parts(ctx, inp, kappa)
        ok = m > common.SUCCESS_TOL
        improved = loss < best - tol * tf.abs(best)
        stall = tf.where(improved, 0, stall + 1)
        best = tf.minimum(best, loss)
        never = tf.math.is_inf(best_d2)
        near_best = ok & (d2 <= best_d2 * (1 + tol))
        best_d2 = tf.where(ok, tf.minimum(best_d2, d2), best_d2)
        return (stall >= patience) & (never | near_best), (best, best_d2, stall)
    return Stop(stop, ("cw-abort", repr(kappa), int(patience), repr(float(tol))), inp.all, init)


def _check(steps, search_steps, learning_rate, initial_const, kappa):
    if int(steps) != steps or steps < 1:
        raise InputError(f"expected steps >= 1; received: steps={steps}")
    if int(search_steps) != search_steps or search_steps < 1:
        raise InputError(f"expected search_steps >= 1; received: search_steps={search_steps}")
    if not learning_rate > 0:
        raise InputError(f"expected learning_rate > 0; received: learning_rate={learning_rate}")
    if not initial_const > 0:
        raise InputError(f"expected initial_const > 0; received: initial_const={initial_const}")
    if not kappa >= 0:
        raise InputError(f"expected kappa >= 0; received: kappa={kappa}")


def cw_l2(model, x, y=None, *, target=None, kappa=0.0, steps=100, learning_rate=0.1, search_steps=5,
          initial_const=1.0, early_abort=True, abort_patience=None, abort_tol=1e-4, seed=0, progress=True):
    """Carlini-Wagner L2: the smallest L2 perturbation found that changes the prediction.

    Args:
        model: a Keras classifier taking [0, 1] images (softmax or logits output).
        x: clean images [B, H, W, C] in [0, 1].
        y: true labels [B]; None uses the model's clean predictions.
        target: None (untargeted), a class index or name, or one per image.
        kappa: confidence: the margin beyond which the loss stops pushing (logit units).
        steps: Adam steps per binary-search round.
        learning_rate: Adam learning rate (on the sigmoid's pre-activation).
        search_steps: rounds of the binary search over the constant c.
        initial_const: c of the first round.
        early_abort: freeze a sample whose loss stalls (see ``abort_patience``).
        abort_patience: steps without improvement before a sample is frozen (default steps // 10).
        abort_tol: relative improvement that counts.
        seed: engine seed.
        progress: show progress bars.

    Returns:
        An :class:`~tfopt.attacks.common.AttackResult`; samples never successful keep
        the clean image (``success`` False), the rest their smallest-L2 success.
        ``params["const"]`` holds the final per-sample c.

    Example:
        res = cw_l2(model, x, y, steps=100, search_steps=5)
    """
    _check(steps, search_steps, learning_rate, initial_const, kappa)
    x = common.check_images(x)
    y_true = common.resolve_labels(model, x, y).astype(np.int32)
    y_target = common.resolve_target(model, target, len(x)).astype(np.int32)
    n = len(x)
    patience = max(1, int(steps) // 10) if abort_patience is None else int(abort_patience)
    const = np.full([n], float(initial_const), np.float32)
    lower, upper = np.zeros([n], np.float32), np.full([n], np.inf, np.float32)
    best_adv, best_d2 = x.copy(), np.full([n], np.inf, np.float32)
    best_margin = np.full([n], -np.inf, np.float32)
    steps_taken = np.zeros([n], np.int64)
    seconds, evaluations = 0.0, 0
    for round_ in range(int(search_steps)):
        inp = _Inputs(x, y_true, y_target, const)
        stop = _early_abort(inp, float(kappa), patience, abort_tol) if early_abort else None
        res = optimize(_objective(inp, float(kappa)), model, x, param="sigmoid", steps=steps,
                       optimizer="adam", learning_rate=learning_rate, stop=stop, maximize=False, keep="best",
                       seed=seed + round_, progress=progress, desc=f"cw c-round {round_ + 1}/{search_steps}")
        seconds += res.seconds
        evaluations += res.evaluations
        steps_taken += res.steps
        ok = res.values < _FAIL  # score is the squared distance of a success
        better = ok & (res.values < best_d2)
        best_d2 = np.where(better, res.values, best_d2)
        best_adv[better] = res.images[better]
        if better.any():
            best_margin[better] = _margin_of(model, res.images[better], y_true[better], y_target[better])
        upper = np.where(ok, np.minimum(upper, const), upper)
        lower = np.where(ok, lower, np.maximum(lower, const))
        const = np.where(np.isfinite(upper), (lower + upper) / 2, const * 10).astype(np.float32)
    success = np.isfinite(best_d2)
    params = {"kappa": float(kappa), "steps": int(steps), "learning_rate": float(learning_rate),
              "search_steps": int(search_steps), "initial_const": float(initial_const),
              "early_abort": bool(early_abort), "abort_patience": patience, "const": const, "seed": int(seed)}
    return common.AttackResult(x_adv=best_adv, success=success, margin=best_margin, steps=steps_taken,
                               y_true=y_true.astype(np.int64), y_target=y_target.astype(np.int64), seconds=seconds,
                               evaluations=evaluations, method="cw_l2", params=params)


def _margin_of(model, images, y_true, y_target):
    logits, _ = common.predict(model, images)
    return common.success_margin(logits, y_true, y_target).numpy()
