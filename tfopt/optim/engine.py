"""The one input-optimization loop that every technique in tfopt runs on.

``optimize`` moves a batch of images (through a parameterization) to maximize an
:class:`~tfopt.optim.objectives.Objective` of a fixed network. Each sample is optimized
independently: restarts are folded into the batch (restart-major) and the best restart
per sample is kept; a per-sample stop condition freezes samples that reached it.

Optimizers: ``"adam"`` and ``"sgd"`` (Keras optimizers), ``"sign"`` (steepest ascent
under the L-inf norm: FGSM/BIM/PGD, optionally with momentum as in MIM), ``"l2"``
(normalized-gradient steps, L2 PGD), and ``"lbfgs"`` (batched, see :mod:`.lbfgs`).

Example:
    res = optimize(class_logit(3) - 1e-2 * tv(), model, init=np.full([1, 32, 32, 1], .5),
                   steps=200, optimizer="adam", learning_rate=0.05)
    res.images, res.values, res.steps
"""
import dataclasses
import logging
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.models.features import LOGITS, FeatureModel
from tfopt.optim import lbfgs
from tfopt.optim.objectives import Context, Objective
from tfopt.optim.param import get_param
from tfopt.optim.transforms import compose

__all__ = ["optimize", "evaluate", "OptimResult", "OPTIMIZERS", "DECAYS"]

OPTIMIZERS = ("adam", "sgd", "sign", "l2", "lbfgs")
DECAYS = ("constant", "cosine")
"""Learning-rate schedules of the Keras optimizers ("adam", "sgd"): "cosine" is Keras's
CosineDecay from ``learning_rate`` to 0 over ``steps``."""


class _EngineRetraceFilter(logging.Filter):
    """Drops TensorFlow's "frequent retracing" warning for the engine's own functions.

    Every optimize() call compiles its step afresh by design (targets and other
    per-sample constants are baked into the graph), so repeated calls (DeepDream
    octaves, C&W's search over c) would otherwise print that warning to stderr.
    """

    def filter(self, record):
        msg = record.getMessage()
        return not ("triggered tf.function retracing" in msg
                    and ("_Loop._evaluate" in msg or "_first_order_step" in msg))


tf.get_logger().addFilter(_EngineRetraceFilter())


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


def _bc(v, like):
    return tf.reshape(v, tf.concat([tf.shape(v), tf.ones([tf.rank(like) - 1], tf.int32)], 0))


class _Loop:
    """State and compiled functions of one optimization (private to :func:`optimize`)."""

    def __init__(self, objective, fm, param, tfm, constraint, stop, maximize, origin, p0, seed, jit):
        self.objective, self.fm, self.param = objective, fm, param
        self.tfm, self.constraint, self.stop, self.maximize = tfm, constraint, stop, maximize
        self.origin = origin
        n = p0.shape[0]
        self.p = tf.Variable(p0)
        self.best_p = tf.Variable(p0)
        self.best_v = tf.Variable(tf.fill([n], -np.inf if maximize else np.inf))
        self.active = tf.Variable(tf.ones([n], tf.bool))
        self.stopped = tf.Variable(tf.zeros([n], tf.bool))
        self.steps = tf.Variable(tf.zeros([n], tf.int32))
        self.gen = tf.random.Generator.from_seed(seed)
        self.evaluate = tf.function(self._evaluate, jit_compile=jit)

    def _evaluate(self, p, seed):
        """Objective, descent gradient of the summed loss, and stop mask at ``p``."""
        with tf.GradientTape() as tape:
            tape.watch(p)
            image = self.param.to_image(p)
            ctx = Context(self.fm(self.tfm(image, seed)), image)
            v = self.objective(ctx)
            loss = -tf.reduce_sum(v) if self.maximize else tf.reduce_sum(v)
        g = tape.gradient(loss, p)
        s = tf.zeros_like(v, tf.bool) if self.stop is None else tf.cast(self.stop(ctx, v), tf.bool)
        return v, g, s

    def project(self, p):
        p = self.param.project(p)
        if self.constraint is not None:
            p = self.constraint.project(p, self.origin)
        return p

    def record(self, v, p, s):
        """Keeps the best iterate of active samples; freezes samples that just met the stop condition."""
        better = (v > self.best_v) if self.maximize else (v < self.best_v)
        newly = self.active & s
        take = (self.active & better) | newly
        self.best_v.assign(tf.where(take, v, self.best_v))
        self.best_p.assign(tf.where(_bc(take, p), p, self.best_p))
        self.stopped.assign(self.stopped | newly)
        self.active.assign(self.active & ~s)

    def apply(self, p_new):
        """Moves active samples to ``p_new`` (projected); counts their step."""
        p_new = self.project(p_new)
        self.p.assign(tf.where(_bc(self.active, p_new), p_new, self.p))
        self.steps.assign_add(tf.cast(self.active, tf.int32))


def _first_order_step(loop, optimizer, learning_rate, momentum, keras_opt, buf):
    def step(seed):
        v, g, s = loop.evaluate(loop.p, seed)
        loop.record(v, loop.p, s)
        if optimizer in ("adam", "sgd"):
            old = tf.identity(loop.p)
            keras_opt.apply_gradients([(g, loop.p)])
            new = tf.identity(loop.p)
            loop.p.assign(old)
            loop.apply(new)
        else:
            ascent = -g
            flat = tf.reshape(ascent, [tf.shape(ascent)[0], -1])
            if optimizer == "sign":
                # MIM (Dong et al. 2018): accumulate L1-normalized gradients.
                unit = ascent / _bc(tf.reduce_mean(tf.abs(flat), -1) + 1e-12, ascent)
            else:
                unit = ascent / _bc(tf.norm(flat, axis=-1) + 1e-12, ascent)
            if momentum:
                buf.assign(momentum * buf + unit)
                unit = buf
            if optimizer == "sign":
                delta = tf.sign(unit)
            else:
                flat_u = tf.reshape(unit, [tf.shape(unit)[0], -1])
                delta = unit / _bc(tf.norm(flat_u, axis=-1) + 1e-12, unit)
            loop.apply(loop.p + learning_rate * delta)
        return v, tf.reduce_any(loop.active)
    return step


def _lbfgs_run(loop, steps, learning_rate, memory, max_line_search, on_step):
    """Batched L-BFGS with per-sample Armijo backtracking. Returns the number of evaluations."""
    seed = tf.zeros([2], tf.int32)  # deterministic objective: transforms are refused for lbfgs
    v, g, s = loop.evaluate(loop.p, seed)
    evals = 1
    hist = {"s": [], "y": [], "rho": [], "gamma": tf.ones_like(v)}
    f = -v if loop.maximize else v
    for i in range(steps):
        loop.record(v, loop.p, s)
        if not bool(tf.reduce_any(loop.active)):
            break
        d = lbfgs.direction(g, hist["s"], hist["y"], hist["rho"], hist["gamma"])
        slope = lbfgs.dot(g, d)
        bad = slope >= 0  # not a descent direction: fall back to steepest descent
        d = tf.where(_bc(bad, d), -g, d)
        if not hist["s"]:
            flat = tf.reshape(tf.abs(g), [tf.shape(g)[0], -1])
            t = learning_rate / (tf.reduce_max(flat, -1) + 1e-12)
        else:
            t = tf.where(bad, learning_rate / (tf.reduce_max(tf.reshape(tf.abs(g), [tf.shape(g)[0], -1]), -1)
                                               + 1e-12), tf.ones_like(f))
        p0, g0, f0 = tf.identity(loop.p), g, f
        pending = tf.identity(loop.active)
        p_acc, g_acc, v_acc, s_acc = p0, g0, v, s
        for _ in range(max_line_search):
            p_try = loop.project(p0 + _bc(t, d) * d)
            v_try, g_try, s_try = loop.evaluate(p_try, seed)
            evals += 1
            f_try = -v_try if loop.maximize else v_try
            ok = pending & (f_try <= f0 + 1e-4 * lbfgs.dot(g0, p_try - p0))
            p_acc = tf.where(_bc(ok, p0), p_try, p_acc)
            g_acc = tf.where(_bc(ok, g0), g_try, g_acc)
            v_acc, s_acc = tf.where(ok, v_try, v_acc), tf.where(ok, s_try, s_acc)
            pending = pending & ~ok
            if not bool(tf.reduce_any(pending)):
                break
            t = tf.where(pending, t * 0.5, t)
        # Samples whose line search failed have converged (no descent found): freeze them.
        loop.active.assign(loop.active & ~pending)
        loop.p.assign(tf.where(_bc(loop.active, p_acc), p_acc, loop.p))
        loop.steps.assign_add(tf.cast(loop.active, tf.int32))
        lbfgs.push(hist, p_acc - p0, g_acc - g0, memory)
        v, g, s = v_acc, g_acc, s_acc
        f = -v if loop.maximize else v
        on_step(i, v)
    loop.record(v, loop.p, s)
    return evals


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
        stop: ``stop(ctx, values) -> bool [N]``; a sample that meets it is frozen there.
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
        jit_compile: compile the forward/backward pass with XLA.
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
    stop_layers = stop_layers if stop is not None else ()
    fm = model if isinstance(model, FeatureModel) else FeatureModel(model, set(objective.layers) | set(stop_layers))
    b = x0.shape[0]
    origin = tf.tile(x0, [restarts, 1, 1, 1])
    starts = _starts(origin, b, restarts, random_start, restart_noise, constraint, value_range, seed)
    p0 = param.project(param.from_image(starts))
    loop = _Loop(objective, fm, param, compose(transforms), constraint, stop, maximize, origin, p0, seed,
                 jit_compile)
    bar = keras.utils.Progbar(steps, verbose=1 if progress else 0, unit_name="step")
    history = []
    done = [0]

    def on_step(i, v):
        history.append(v)
        done[0] = i + 1
        if progress:
            bar.update(i + 1, [(desc or "objective", float(tf.reduce_mean(v)))])

    start = time.perf_counter()
    if optimizer == "lbfgs":
        evals = _lbfgs_run(loop, steps, learning_rate, lbfgs_memory, 10, on_step)
    else:
        rate = learning_rate
        if decay == "cosine":
            rate = keras.optimizers.schedules.CosineDecay(learning_rate, max(1, steps))
        evals = _first_order(loop, steps, optimizer, rate, momentum, stop, on_step)
    seconds = time.perf_counter() - start
    if progress and 0 < done[0] < steps:
        bar.update(done[0], finalize=True)  # every sample stopped early: close the bar where it stands
    if keep == "last":
        v, _, _ = loop.evaluate(loop.p, tf.zeros([2], tf.int32))
        loop.best_p.assign(loop.p)
        loop.best_v.assign(v)
    return _result(loop, param, history, b, restarts, maximize, seconds, evals, objective.name)


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
    return tf.where(_bc(first, origin), origin, rand)


def _first_order(loop, steps, optimizer, learning_rate, momentum, stop, on_step):
    keras_opt = None
    if optimizer == "adam":
        keras_opt = keras.optimizers.Adam(learning_rate)
    elif optimizer == "sgd":
        keras_opt = keras.optimizers.SGD(learning_rate, momentum=momentum)
    buf = tf.Variable(tf.zeros_like(loop.p))
    step = tf.function(_first_order_step(loop, optimizer, learning_rate, momentum, keras_opt, buf))
    evals = 0
    for i in range(steps):
        v, any_active = step(loop.gen.make_seeds(1)[:, 0])
        evals += 1
        on_step(i, v)
        if stop is not None and not bool(any_active):
            break

    v, _, s = loop.evaluate(loop.p, loop.gen.make_seeds(1)[:, 0])
    loop.record(v, loop.p, s)
    return evals + 1


def _result(loop, param, history, b, restarts, maximize, seconds, evals, name):
    best_v = loop.best_v.numpy().reshape(restarts, b)
    win = np.argmax(best_v, 0) if maximize else np.argmin(best_v, 0)
    idx = win * b + np.arange(b)
    images = param.to_image(tf.gather(loop.best_p, idx)).numpy()
    hist = np.stack([h.numpy() for h in history], 0)[:, idx] if history else np.zeros([0, b], np.float32)
    return OptimResult(images=images, values=best_v[win, np.arange(b)], steps=loop.steps.numpy()[idx],
                       stopped=loop.stopped.numpy()[idx], restart=win, restart_values=best_v, history=hist, seconds=seconds,
                       evaluations=evals, objective=name)


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
    fm = model if isinstance(model, FeatureModel) else FeatureModel(model, objective.layers)
    images = np.asarray(images, np.float32)
    out = []
    for i in range(0, len(images), batch_size):
        x = tf.constant(images[i:i + batch_size])
        out.append(objective(Context(fm(x), x)).numpy())
    return np.concatenate(out) if out else np.zeros([0], np.float32)
