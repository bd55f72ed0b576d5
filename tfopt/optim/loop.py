"""The engine's compiled loop: every first-order step of an optimize call in one graph.

A :class:`Program` is built once per *structure* (model and read layers, objective key,
parameterization, transforms, constraint kind, stop, step rule, direction) and kept in a
small LRU cache. Everything that differs between calls of one structure is an input of
its compiled functions: the objective's :class:`~tfopt.optim.objectives.Const` values,
the origin and the ball's radius, the step size and momentum, the seed, the number of
steps. So a second call with new labels, images or eps reuses the trace; a test counts
traces (:func:`trace_count`) to hold it to that.

The loop itself is a ``tf.while_loop`` over a state of tensors (point, best point and
value per sample, active and stopped masks, step counts, the rule's and the stop's
state). The host calls it in chunks sized to about a second so a progress bar can move;
without a bar the whole run is one call.
"""
import collections
import contextlib
import functools
import time

import tensorflow as tf

from tfopt.optim.objectives import Context
from tfopt.optim.rules import select_samples

__all__ = ["Stop", "Program", "compiled", "get_program", "feature_model", "clear_cache", "trace_count", "CACHE_SIZE",
           "CHUNK"]

CACHE_SIZE = 16
CHUNK = 64
"""Most steps one call of a compiled loop runs before the host sees them."""
_PROGRAMS = collections.OrderedDict()
_FEATURE_MODELS = collections.OrderedDict()


def _lru_get(cache, key, make):
    if key in cache:
        cache.move_to_end(key)
        return cache[key][1]
    value = make()
    cache[key] = (key, value)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return value


_TRACES = [0]


def trace_count():
    """How many times any compiled loop was traced in this process (tests hold reuse to it)."""
    return _TRACES[0]


def clear_cache():
    """Drops every compiled loop and feature model the engine keeps."""
    _PROGRAMS.clear()
    _FEATURE_MODELS.clear()


def feature_model(model, layers):
    """One :class:`FeatureModel` per (model, layers), so loops compiled on it can be reused."""
    from tfopt.models.features import FeatureModel
    if isinstance(model, FeatureModel):
        return model
    layers = tuple(sorted(layers))
    # The entry holds the model, so its id cannot be reused by another while cached.
    return _lru_get(_FEATURE_MODELS, (id(model), layers), lambda: (model, FeatureModel(model, set(layers))))[1]


class Stop:
    """A per-sample stop condition the engine checks at every step.

    Args:
        fn: ``fn(ctx, values) -> bool [N]``, or with ``init``
            ``fn(ctx, values, state) -> (bool [N], state)``.
        key: its structure given ``consts`` (default: the identity of ``fn``).
        consts: :class:`~tfopt.optim.objectives.Const` values ``fn`` reads.
        init: ``init(n) -> state`` (a tuple of tensors) for a stop with memory.
    """

    def __init__(self, fn, key=None, consts=(), init=None):
        self.fn, self.consts, self.init = fn, tuple(consts), init
        self.key = ("fn", id(fn)) if key is None else key

    def __call__(self, ctx, values, state):
        if self.init is None:
            return tf.cast(self.fn(ctx, values), tf.bool), ()
        mask, state = self.fn(ctx, values, state)
        return tf.cast(mask, tf.bool), tuple(state)


def as_stop(stop):
    """None, a :class:`Stop`, or a plain ``stop(ctx, values)`` callable as a :class:`Stop`."""
    if stop is None or isinstance(stop, Stop):
        return stop
    return Stop(stop)


def _alias_pattern(consts):
    """Which entries are the same Const: part of the key, since a trace binds by position."""
    first = []
    for c in consts:
        first.append(next(i for i, d in enumerate(consts) if d is c))
    return tuple(first)


def compiled(fn, **kwargs):
    """``tf.function(fn)`` whose retracing warning counts this function's traces only.

    TensorFlow's frequent-retracing detector keys its counts by the Python code object, so
    the ``run`` of every program (one per structure, each traced once) pools into one count
    and six structures in a row read as "6 out of the last 6 calls triggered retracing". A
    ``functools.partial`` has no code object, so the detector keys it by the partial itself:
    a program that really retraces still warns, six programs traced once each do not.
    """
    return tf.function(functools.partial(fn), **kwargs)


class Program:
    """The compiled functions of one structure. See the module docstring."""

    def __init__(self, objective, fm, param, tfm, constraint, stop, rule, maximize, jit_compile, schedule):
        self.objective, self.fm, self.param, self.tfm = objective, fm, param, tfm
        self.constraint, self.stop, self.rule, self.maximize = constraint, stop, rule, maximize
        self.schedule = schedule
        self.consts = objective.consts + (stop.consts if stop is not None else ())
        self.run = compiled(self._run, jit_compile=jit_compile)
        self.evaluate = compiled(self._evaluate_bound, jit_compile=jit_compile)
        self.values = compiled(self._values_bound, jit_compile=jit_compile)
        # The loop body calls the forward-backward pass as a function of its own, not inlined. Inlined into the
        # while loop's body, it loses some of oneDNN's graph rewrite, at random per trace: TensorFlow's MKL layout
        # pass turns MaxPoolGrad into its oneDNN kernel only when it meets the rewritten forward MaxPool first,
        # and inside a loop frame the order it visits them in varies. Measured (digits CNN, batch 128, 40 steps,
        # op profile): 0 to 45 of 45 MaxPoolGrads left to Eigen, at 4x their oneDNN time, and the loop at 1.13-1.30x
        # a Python loop of one compiled step. Called as its own function the pass sees the same graph as that
        # step's: every MaxPoolGrad rewritten, in every trace, and the loop at 0.96-1.02x (batch 8: 0.66-0.84x).
        self._evaluate_call = tf.function(self._evaluate_with, experimental_attributes={"_noinline": True})

    # -- inputs -------------------------------------------------------------------------
    def inputs(self, objective, stop, origin, radius, lr, momentum, seed, steps):
        """The per-call inputs of the compiled functions: this call's objective's and stop's
        const values (the program may have been traced for an earlier objective of equal key)."""
        consts = objective.consts + (stop.consts if stop is not None else ())
        return {"consts": [c.given for c in consts], "origin": origin,
                "radius": tf.convert_to_tensor(radius, tf.float32), "lr": tf.convert_to_tensor(lr, tf.float32),
                "momentum": tf.convert_to_tensor(momentum, tf.float32), "seed": tf.constant(seed, tf.int32),
                "steps": tf.constant(steps, tf.int32)}

    @contextlib.contextmanager
    def _bound(self, values):
        """The consts read ``values`` (a trace's own inputs) inside the block, their earlier values after it.

        Outside any trace the earlier value is the one given; inside the loop's trace it is the
        loop's input, which the forward-backward pass (a function of its own) rebinds to its own.
        """
        outer = [c.value for c in self.consts]
        for c, t in zip(self.consts, values):
            c.value = t
        try:
            yield
        finally:
            for c, t in zip(self.consts, outer):
                c.value = t

    # -- pieces of a step ---------------------------------------------------------------
    def project(self, p, inputs):
        p = self.param.project(p)
        if self.constraint is not None:
            p = self.constraint.project(p, inputs["origin"], inputs["radius"])
        return p

    def _evaluate(self, p, seed, stop_state):
        """(value, stepped value, ascent, stop mask, stop state) at ``p``."""
        sign = 1.0 if self.maximize else -1.0
        with tf.GradientTape() as tape:
            tape.watch(p)
            image = self.param.to_image(p)
            ctx = Context(self.fm(self.tfm(image, seed)), image)
            v = self.objective(ctx)
            total = sign * tf.reduce_sum(v)
        ascent = tape.gradient(total, p)
        # A straight-through objective steps along its ``stepped`` part; rules that read
        # values (APGD's step-size control) read that part's values too.
        stepped = self.objective.stepped if self.rule is not None and self.rule.reads_values else None
        f = sign * (v if stepped is None else stepped(ctx))
        if self.stop is None:
            s = tf.zeros_like(v, tf.bool)
        else:
            s, stop_state = self.stop(ctx, v, stop_state)
        return v, f, ascent, s, stop_state

    def _evaluate_with(self, p, seed, stop_state, consts):
        """:meth:`_evaluate` with the consts bound to ``consts`` (this function's own inputs, not captures)."""
        with self._bound(consts):
            return self._evaluate(p, seed, stop_state)

    def _evaluate_bound(self, p, seed, inputs):
        """Value, descent-free ascent and stop mask at ``p`` (for L-BFGS)."""
        with self._bound(inputs["consts"]):
            stop_state = self.stop.init(tf.shape(p)[0]) if self.stop is not None and self.stop.init else ()
            v, _, ascent, s, _ = self._evaluate(p, seed, stop_state)
            return v, ascent, s

    def _values_bound(self, p, seed, inputs):
        """Value and stop mask at ``p``, forward only (the final point needs no gradient)."""
        with self._bound(inputs["consts"]):
            image = self.param.to_image(p)
            ctx = Context(self.fm(self.tfm(image, seed)), image)
            v = self.objective(ctx)
            if self.stop is None:
                return v, tf.zeros_like(v, tf.bool)
            stop_state = self.stop.init(tf.shape(p)[0]) if self.stop.init else ()
            return v, self.stop(ctx, v, stop_state)[0]

    def _better(self, v, best):
        return (v > best) if self.maximize else (v < best)

    def _record(self, state, v, s):
        active = state["active"]
        newly = active & s
        take = (active & self._better(v, state["best_v"])) | newly
        state["best_v"] = tf.where(take, v, state["best_v"])
        state["best_p"] = select_samples(take, state["p"], state["best_p"])
        state["stopped"] = state["stopped"] | newly
        state["active"] = active & ~s
        return state

    def _step(self, state, inputs):
        k = state["k"]
        seed = tf.stack([inputs["seed"], k])
        v, f, ascent, s, stop_state = self._evaluate_call(state["p"], seed, state["stop"], inputs["consts"])
        state = self._record(dict(state, stop=stop_state), v, s)
        hp = dict(inputs, lr=self.schedule(k) if self.schedule is not None else inputs["lr"])
        p_new, rule_state = self.rule.step(k, state["p"], ascent, f, state["rule"], hp,
                                           lambda q: self.project(q, inputs))
        active = state["active"]
        state["p"] = select_samples(active, p_new, state["p"])
        state["steps"] = state["steps"] + tf.cast(active, tf.int32)
        state["rule"] = rule_state
        state["k"] = k + 1
        return state, v

    # -- compiled functions -------------------------------------------------------------
    def init_state(self, p0, inputs):
        """The loop state at the start ``p0`` (already projected)."""
        n = tf.shape(p0)[0]  # dynamic: the loop also runs inside a model's train_step
        inf = float("inf")
        state = {"k": tf.constant(0, tf.int32), "p": p0, "best_p": p0,
                 "best_v": tf.fill([n], -inf if self.maximize else inf),
                 "active": tf.ones([n], tf.bool), "stopped": tf.zeros([n], tf.bool),
                 "steps": tf.zeros([n], tf.int32),
                 "stop": tuple(self.stop.init(n)) if self.stop is not None and self.stop.init else ()}
        state["rule"] = tuple(self.rule.init(p0, inputs)) if self.rule is not None else ()
        return state

    def _run(self, state, n, inputs):
        """Up to ``n`` (<= :data:`CHUNK`) steps from ``state``; stops early once no sample is active.

        Returns the state, the values of the steps taken ([CHUNK, N], the first ``ran``
        rows filled) and ``ran``. The history buffer has a fixed size so that neither a
        new ``n`` nor a new total of steps retraces (XLA needs static shapes).
        """
        _TRACES[0] += 1  # a Python side effect: it counts traces, not calls
        with self._bound(inputs["consts"]):
            history = tf.zeros(tf.stack([CHUNK, tf.shape(state["best_v"])[0]]), tf.float32)

            def cond(i, state, history):
                return (i < n) & tf.reduce_any(state["active"])

            def body(i, state, history):
                state, v = self._step(state, inputs)
                return i + 1, state, tf.tensor_scatter_nd_update(history, [[i]], [v])

            ran, state, history = tf.while_loop(cond, body, (tf.constant(0), state, history),
                                                maximum_iterations=CHUNK)
            return state, history, ran

    def finish(self, state, inputs):
        """Evaluates and records the final point (the loop records a point before stepping from it).

        Returns (state, the final point's values), so that ``keep="last"`` needs no pass of its own.
        """
        seed = tf.stack([inputs["seed"], state["k"]])
        v, s = self.values(state["p"], seed, inputs)
        return self._record(dict(state), v, s), v

    def steps(self, state, steps, inputs, on_chunk, progress):
        """Runs ``steps`` steps; returns (state, steps run).

        With ``progress`` the host gets control about once a second (the first chunk is
        short, it pays for tracing); without, every :data:`CHUNK` steps.
        """
        done, chunk, first = 0, (min(4, CHUNK) if progress else CHUNK), True
        while done < steps:
            n = min(chunk, steps - done)
            start = time.perf_counter()
            state, history, ran = self.run(state, tf.constant(n, tf.int32), inputs)
            ran = int(ran)
            on_chunk(done, history[:ran])
            done += ran
            if ran < n:  # every sample stopped
                break
            if progress and not first:
                per_step = (time.perf_counter() - start) / max(1, ran)
                chunk = max(1, min(CHUNK, int(1.0 / max(per_step, 1e-6))))
            first = False
        return state, done


def program_key(fm, objective, param, tfm, constraint, stop, rule_key, maximize, jit_compile, schedule_key):
    consts = objective.consts + (stop.consts if stop is not None else ())
    return (id(fm), objective.key, _alias_pattern(consts), param.key, getattr(tfm, "key", ("fn", id(tfm))),
            None if constraint is None else constraint.key, None if stop is None else stop.key, rule_key,
            bool(maximize), bool(jit_compile), schedule_key)


def get_program(key, make):
    """The cached program of ``key``, or a new one from ``make()``."""
    return _lru_get(_PROGRAMS, key, make)
