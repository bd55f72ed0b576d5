"""The one input-optimization loop that every technique in tfopt runs on.

``optimize`` moves a batch of images (through a parameterization) to maximize an
:class:`~tfopt.optim.objectives.Objective` of a fixed network. Each sample is optimized
independently: restarts are folded into the batch (restart-major) and the best restart
per sample is kept; a per-sample stop condition freezes samples that reached it.

Optimizers: ``"adam"`` and ``"sgd"`` (Keras's update rules), ``"sign"`` (steepest ascent
under the L-inf norm: FGSM/BIM/PGD, optionally with momentum as in MIM), ``"l2"``
(normalized-gradient steps, L2 PGD), ``"apgd"`` (Croce & Hein's step-size schedule, see
:mod:`.apgd`) and ``"lbfgs"`` (batched, see :mod:`.lbfgs`).

The first-order optimizers run as one compiled ``tf.while_loop`` (see :mod:`.loop`),
traced once per structure and reused by later calls with new targets, images, eps or
step sizes; L-BFGS keeps a host loop around a compiled evaluation.

Example:
    res = optimize(class_logit(3) - 1e-2 * tv(), model, init=np.full([1, 32, 32, 1], .5),
                   steps=200, optimizer="adam", learning_rate=0.05)
    res.images, res.values, res.steps
"""
import dataclasses
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.models.features import LOGITS
from tfopt.optim import lbfgs, loop as loops
from tfopt.optim.objectives import Context, Objective
from tfopt.optim.param import get_param
from tfopt.optim.apgd import APGD
from tfopt.optim.rules import SGD, Adam, L2Step, Sign, per_sample, select_samples
from tfopt.optim.transforms import compose

__all__ = ["optimize", "optimize_tensors", "evaluate", "OptimResult", "OPTIMIZERS", "DECAYS"]

OPTIMIZERS = ("adam", "sgd", "sign", "l2", "apgd", "lbfgs")
DECAYS = ("constant", "cosine")
"""Learning-rate schedules of the Keras optimizers ("adam", "sgd"): "cosine" is Keras's
CosineDecay from ``learning_rate`` to 0 over ``steps``."""


@dataclasses.dataclass
class OptimResult:
    """What :func:`optimize` returns (numpy arrays; B = the caller's batch).

    Attributes:
        images: the kept image per sample, [B, H, W, C].
        values: the objective at ``images``, [B].
        steps: update steps taken by the kept restart before it stopped, [B].
        stopped: whether the kept restart met the stop condition, [B].
        restart: index of the kept restart, [B].
        restart_values: the best objective of every restart, [R, B].
        history: objective of the kept restart at each step, [T, B].
        seconds: wall time of the loop.
        evaluations: forward+backward passes (L-BFGS line searches make more than steps).
    """

    images: np.ndarray
    values: np.ndarray
    steps: np.ndarray
    stopped: np.ndarray
    restart: np.ndarray
    restart_values: np.ndarray
    history: np.ndarray
    seconds: float
    evaluations: int
    objective: str = ""


def _check(steps, restarts, optimizer, learning_rate, keep, decay="constant"):
    if int(steps) != steps or steps < 0:
        raise InputError(f"expected steps >= 0 (an integer); received: steps={steps}")
    if int(restarts) != restarts or restarts < 1:
        raise InputError(f"expected restarts >= 1; received: restarts={restarts}")
    if optimizer not in OPTIMIZERS:
        raise InputError(f"expected optimizer in {OPTIMIZERS}; received: {optimizer!r}")
    if not learning_rate > 0:
        raise InputError(f"expected learning_rate > 0; received: learning_rate={learning_rate}")
    if keep not in ("best", "last"):
        raise InputError(f"expected keep 'best' or 'last'; received: {keep!r}")
    if decay not in DECAYS:
        raise InputError(f"expected decay in {DECAYS}; received: {decay!r}")
    if decay != "constant" and optimizer not in ("adam", "sgd"):
        raise InputError(f"expected decay 'constant' with optimizer {optimizer!r} (schedules need 'adam' or 'sgd'); "
                         f"received: decay={decay!r}")


def _line_search_trial(prog):
    """One Armijo trial of every pending sample, compiled once per program.

    Returns ``trial(p0, d, t, g0, f0, pending, acc, inputs) -> (acc, pending, t)``: samples
    whose trial point satisfies Armijo's condition take it into ``acc`` (point, descent
    gradient, value, stop mask) and leave ``pending``; the others halve ``t``.
    """
    if getattr(prog, "lbfgs_trial", None) is None:
        seed = tf.zeros([2], tf.int32)

        def trial(p0, d, t, g0, f0, pending, acc, inputs):
            p_try = prog.project(p0 + per_sample(t, d) * d, inputs)
            v_try, ascent, s_try = prog.evaluate(p_try, seed, inputs)
            f_try = -v_try if prog.maximize else v_try
            ok = pending & (f_try <= f0 + 1e-4 * lbfgs.dot(g0, p_try - p0))
            p_acc, g_acc, v_acc, s_acc = acc
            acc = (select_samples(ok, p_try, p_acc), select_samples(ok, -ascent, g_acc),
                   tf.where(ok, v_try, v_acc), tf.where(ok, s_try, s_acc))
            pending = pending & ~ok
            return acc, pending, tf.where(pending, t * 0.5, t)
        prog.lbfgs_trial = loops.compiled(trial)
    return prog.lbfgs_trial


def _lbfgs_run(prog, state, inputs, steps, learning_rate, memory, max_line_search, on_step):
    """Batched L-BFGS with per-sample Armijo backtracking, on the host.

    Kept as a host loop: its line search accepts a step per sample and re-evaluates only
    while some sample is pending, a data-dependent number of evaluations per iteration.
    Returns (state, evaluations, the values at the final point).
    """
    seed = tf.zeros([2], tf.int32)  # deterministic objective: transforms are refused for lbfgs

    def evaluate(p):
        v, ascent, s = prog.evaluate(p, seed, inputs)
        return v, -ascent, s

    v, g, s = evaluate(state["p"])
    evals = 1
    trial = _line_search_trial(prog)
    hist = lbfgs.History(state["p"], memory)
    f = -v if prog.maximize else v
    for i in range(steps):
        state = prog._record(state, v, s)
        if not bool(tf.reduce_any(state["active"])):
            break
        d = hist.direction(g)
        slope = lbfgs.dot(g, d)
        bad = slope >= 0  # not a descent direction: fall back to steepest descent
        d = select_samples(bad, -g, d)
        first = learning_rate / (tf.reduce_max(tf.reshape(tf.abs(g), [tf.shape(g)[0], -1]), -1) + 1e-12)
        t = first if not hist.count else tf.where(bad, first, tf.ones_like(f))
        p0, g0, f0 = state["p"], g, f
        pending = state["active"]
        acc = (p0, g0, v, s)
        for _ in range(max_line_search):
            acc, pending, t = trial(p0, d, t, g0, f0, pending, acc, inputs)
            evals += 1
            if not bool(tf.reduce_any(pending)):
                break
        p_acc, g_acc, v_acc, s_acc = acc
        # Samples whose line search failed have converged (no descent found): freeze them.
        state["active"] = state["active"] & ~pending
        state["p"] = select_samples(state["active"], p_acc, state["p"])
        state["steps"] = state["steps"] + tf.cast(state["active"], tf.int32)
        hist.push(p_acc - p0, g_acc - g0)
        v, g, s = v_acc, g_acc, s_acc
        f = -v if prog.maximize else v
        on_step(i, v)
    return prog._record(state, v, s), evals, v


def optimize(objective, model, init, *, param="pixel", steps=100, optimizer="adam", learning_rate=0.05,
             momentum=0.0, transforms=(), constraint=None, stop=None, stop_layers=(LOGITS,), restarts=1,
             random_start=False, restart_noise=0.1, maximize=True, keep="best", value_range=(0.0, 1.0),
             lbfgs_memory=10, decay="constant", seed=0, progress=True, jit_compile=False, desc=None):
    """Optimizes a batch of inputs of a fixed network.

    Args:
        objective: an :class:`Objective` giving one value per sample.
        model: a Keras model (or a :class:`FeatureModel`) taking images in ``value_range``.
        init: start images [B, H, W, C].
        param: "pixel" | "sigmoid" | "fft" or a :class:`~tfopt.optim.param.Param`.
        steps: optimizer steps (L-BFGS: iterations).
        optimizer: one of :data:`OPTIMIZERS`.
        learning_rate: step size; for "sign"/"l2" the absolute per-step size in pixel units;
            for "lbfgs" the largest pixel change of the first step.
        momentum: SGD momentum, or MIM's decay for "sign"/"l2".
        transforms: list of transform closures (see :mod:`.transforms`); not with "lbfgs".
        constraint: a :class:`~tfopt.optim.constraints.Constraint` around ``init`` (pixel param only).
        stop: ``stop(ctx, values) -> bool [N]`` or a :class:`~tfopt.optim.loop.Stop` (which
            can carry consts and state, and be reused by key); a sample that meets it
            is frozen there. With "lbfgs" a stop's state starts afresh at every evaluation.
        stop_layers: layers ``stop`` reads from ``ctx``.
        restarts: independent starts per sample, folded into the batch; the best is kept.
        random_start: every restart (not only 1..R-1) starts at a random point of the
            constraint (PGD's random start) or of ``init`` plus noise.
        restart_noise: std of the Gaussian noise of restarts without a constraint.
        maximize: maximize (default) or minimize the objective.
        keep: "best" iterate seen per sample, or the "last" one.
        value_range: the valid pixel range.
        lbfgs_memory: L-BFGS history length.
        decay: learning-rate schedule of "adam" / "sgd" (:data:`DECAYS`): "cosine" falls
            from ``learning_rate`` to 0 over ``steps`` (a polish that settles instead of
            hovering at the step size's noise level).
        seed: makes transforms, random starts and restarts repeatable.
        progress: show a progress bar.
        jit_compile: compile the loop with XLA.
        desc: progress bar label.

    Returns:
        An :class:`OptimResult`.
    """
    _check(steps, restarts, optimizer, learning_rate, keep, decay)
    if not isinstance(objective, Objective):
        raise InputError(f"expected an Objective; received: {type(objective).__name__}")
    if optimizer == "lbfgs" and transforms:
        raise InputError("expected no transforms with optimizer 'lbfgs' (it needs a deterministic objective); "
                         f"received: {len(transforms)} transforms")
    param = get_param(param, value_range)
    if constraint is not None and not param.clips:
        raise InputError(f"expected param 'pixel' with a constraint; received: param={param.name!r}")
    x0 = tf.convert_to_tensor(np.asarray(init, np.float32))
    if x0.shape.rank != 4:
        raise InputError(f"expected init images [batch, height, width, channels]; received shape {x0.shape}")
    stop = loops.as_stop(stop)
    stop_layers = stop_layers if stop is not None else ()
    fm = loops.feature_model(model, set(objective.layers) | set(stop_layers))
    b = x0.shape[0]
    origin = tf.tile(x0, [restarts, 1, 1, 1])
    starts = _starts(origin, b, restarts, random_start, restart_noise, constraint, value_range, seed)
    p0 = param.project(param.from_image(starts))
    prog = _program(objective, fm, param, transforms, constraint, stop, optimizer, momentum, maximize,
                    jit_compile, decay, learning_rate, steps)
    inputs = prog.inputs(objective, stop, origin, constraint.radius if constraint is not None else 0.0, learning_rate, momentum,
                         seed, steps)
    state = prog.init_state(p0, inputs)
    # stateful_metrics: show the objective's current value, not Progbar's running average over all steps.
    bar = keras.utils.Progbar(steps, verbose=1 if progress else 0, unit_name="step",
                              stateful_metrics=[desc or "objective"])
    history = []

    def on_chunk(done, values):
        history.append(values)
        if progress and len(values):
            bar.update(done + len(values), [(desc or "objective", float(tf.reduce_mean(values[-1])))])

    start = time.perf_counter()
    if optimizer == "lbfgs":
        state, evals, last_v = _lbfgs_run(prog, state, inputs, steps, learning_rate, lbfgs_memory, 10,
                                          lambda i, v: on_chunk(i, v[None]))
        done = int(sum(len(h) for h in history))
    else:
        state, done = prog.steps(state, steps, inputs, on_chunk, progress)
        state, last_v = prog.finish(state, inputs)
        evals = done + 1
    seconds = time.perf_counter() - start
    if progress and 0 < done < steps:
        bar.update(done, finalize=True)  # every sample stopped early: close the bar where it stands
    if keep == "last":
        state = dict(state, best_p=state["p"], best_v=last_v)
    history = np.concatenate([np.asarray(h) for h in history], 0) if history else np.zeros([0, len(p0)], np.float32)
    return _result(state, param, history, b, restarts, maximize, seconds, evals, objective.name)


def optimize_tensors(objective, model, init, *, steps, optimizer="sign", learning_rate=0.01, momentum=0.0,
                     constraint=None, radius=None, random_start=False, maximize=True, value_range=(0.0, 1.0),
                     seed=0):
    """:func:`optimize` as tensor ops, for use inside a ``tf.function`` (a model's ``train_step``).

    The same compiled loop as :func:`optimize` (pixel parameterization, first-order
    optimizers, no restarts, no progress). ``init`` may have an unknown batch size;
    ``seed`` may be a scalar int32 tensor (say, the step counter) so every call draws
    its own random start. ``radius`` (overriding the constraint's) and ``learning_rate``
    may be tensors or variables: an eps schedule then changes them without a retrace.

    Returns:
        (images [B, H, W, C], values [B]) as tensors: the best iterate per sample and its value.

    Example:
        x_adv, _ = optimize_tensors(adversarial_objective(y, -1), model, x, steps=7, learning_rate=0.1,
                                    constraint=linf_ball(0.3), random_start=True, seed=step)
    """
    _check(steps, 1, optimizer, learning_rate if isinstance(learning_rate, (int, float)) else 1.0, "best")
    if optimizer == "lbfgs":
        raise InputError("expected a first-order optimizer in optimize_tensors; received: 'lbfgs'")
    param = get_param("pixel", value_range)
    fm = loops.feature_model(model, objective.layers)
    origin = tf.convert_to_tensor(init, tf.float32)
    seed_t = tf.stack([tf.cast(seed, tf.int32), 7919])
    if radius is None:
        radius = constraint.radius if constraint is not None else 0.0
    if random_start:
        start = constraint.random(origin, seed_t, radius) if constraint is not None else origin
        start = tf.clip_by_value(start, *value_range)
    else:
        start = origin
    p0 = param.project(param.from_image(start))
    prog = _program(objective, fm, param, (), constraint, None, optimizer, momentum, maximize, False,
                    "constant", 0.0, steps)
    inputs = prog.inputs(objective, None, origin, radius, learning_rate, momentum, 0, steps)
    inputs["seed"] = tf.cast(seed, tf.int32)
    state = prog.init_state(p0, inputs)
    for done in range(0, int(steps), loops.CHUNK):
        state, _, _ = prog.run(state, tf.constant(min(loops.CHUNK, int(steps) - done), tf.int32), inputs)
    state, _ = prog.finish(state, inputs)
    return param.to_image(state["best_p"]), state["best_v"]


def _rule(optimizer, momentum, norm):
    """The step rule of a first-order optimizer name; ``norm``: the ball's, for "apgd"."""
    makers = {"sign": lambda: Sign(bool(momentum)), "l2": lambda: L2Step(bool(momentum)), "adam": Adam,
              "sgd": SGD, "apgd": lambda: APGD(norm)}
    return makers[optimizer]()


def _program(objective, fm, param, transforms, constraint, stop, optimizer, momentum, maximize, jit_compile,
             decay, learning_rate, steps):
    """The cached compiled loop of this structure (see :mod:`.loop`)."""
    tfm = compose(transforms)
    norm = constraint.key[0] if constraint is not None else None  # the ball's norm, for "apgd"
    rule_key = (optimizer, bool(momentum), norm)
    schedule_key = ("cosine", float(learning_rate), int(steps)) if decay == "cosine" else None
    key = loops.program_key(fm, objective, param, tfm, constraint, stop, rule_key, maximize, jit_compile,
                            schedule_key)

    def make():
        rule = None if optimizer == "lbfgs" else _rule(optimizer, momentum, norm)
        schedule = None
        if decay == "cosine":
            schedule = keras.optimizers.schedules.CosineDecay(float(learning_rate), max(1, int(steps)))
        return loops.Program(objective, fm, param, tfm, constraint, stop, rule, maximize, jit_compile, schedule)
    return loops.get_program(key, make)


def _starts(origin, b, restarts, random_start, noise, constraint, value_range, seed):
    seed_t = tf.constant([seed, 7919], tf.int32)
    if constraint is not None:
        rand = constraint.random(origin, seed_t)
    else:
        rand = origin + noise * tf.random.stateless_normal(tf.shape(origin), seed_t)
    rand = tf.clip_by_value(rand, *value_range)
    if random_start:
        return rand
    first = tf.concat([tf.ones([b], tf.bool), tf.zeros([b * (restarts - 1)], tf.bool)], 0)
    return select_samples(first, origin, rand)


def _result(state, param, history, b, restarts, maximize, seconds, evals, name):
    best_v = state["best_v"].numpy().reshape(restarts, b)
    win = np.argmax(best_v, 0) if maximize else np.argmin(best_v, 0)
    idx = win * b + np.arange(b)
    images = param.to_image(tf.gather(state["best_p"], idx)).numpy()
    return OptimResult(images=images, values=best_v[win, np.arange(b)], steps=state["steps"].numpy()[idx],
                       stopped=state["stopped"].numpy()[idx], restart=win, restart_values=best_v,
                       history=history[:, idx], seconds=seconds, evaluations=evals, objective=name)


def evaluate(objective, model, images, *, batch_size=64):
    """The objective's per-sample values on fixed images (no optimization).

    Args:
        objective: an :class:`Objective`.
        model: a Keras model or :class:`FeatureModel`.
        images: [B, H, W, C] in the model's input range.
        batch_size: evaluation batch size.

    Returns:
        numpy [B].
    """
    fm = loops.feature_model(model, objective.layers)
    images = np.asarray(images, np.float32)
    out = []
    for i in range(0, len(images), batch_size):
        x = tf.constant(images[i:i + batch_size])
        out.append(objective(Context(fm(x), x)).numpy())
    return np.concatenate(out) if out else np.zeros([0], np.float32)
