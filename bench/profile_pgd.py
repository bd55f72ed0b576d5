"""Where tfopt's PGD time goes, on the digits CNN: per-call host work and the loop body's parts.

1. Per-call host work: ``optimize``'s steps replayed one by one (the same private
   helpers it calls, in the same order), each timed over ``--calls`` repetitions:
   label checks, objective and ball construction, FeatureModel lookup, ``_starts``,
   program lookup, ``Program.inputs``, ``init_state``, the compiled run, ``finish``, ``_result``.
2. The loop body: hand-written ``tf.while_loop`` ablations (all compiled, interleaved),
   adding the engine's extras one at a time to a bare sign step:
   ``bare`` -> ``+margin`` (the straight-through value) -> ``+best`` (best iterate per
   sample) -> ``+masks`` (active mask, step counts) -> ``+history``
   (``tensor_scatter_nd_update`` of the [CHUNK, N] value buffer), and the engine's own
   ``Program.run`` for the same number of steps.

    python bench/profile_pgd.py [--batches=128,8 --steps=64 --rounds=5 --calls=20]

Not run by ``make bench`` (a diagnostic, not a comparison).
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from interleave import call_in_turns, median, paired_ratio  # noqa: E402


def host_pieces(model, x, y, calls):
    """ms per call of each piece of ``pgd`` -> ``optimize`` (steps=1, so the run is one step)."""
    from tfopt.attacks import common
    from tfopt.optim import constraints, engine
    from tfopt.optim import loop as loops
    from tfopt.optim.param import get_param

    times = {}

    def tick(name, fn):
        start = time.perf_counter()
        out = fn()
        times.setdefault(name, []).append(time.perf_counter() - start)
        return out

    for _ in range(calls + 1):
        xx = tick("check_images", lambda: common.check_images(x))
        yt = tick("resolve_labels", lambda: common.resolve_labels(model, xx, y))
        tt = tick("resolve_target", lambda: common.resolve_target(model, None, len(xx)))
        obj = tick("adversarial_objective", lambda: common.adversarial_objective(yt, tt, "ce"))
        ball = constraints.linf_ball(0.3)
        param = get_param("pixel", (0.0, 1.0))
        x0 = tick("convert init", lambda: tf.convert_to_tensor(np.asarray(xx, np.float32)))
        fm = tick("feature_model lookup", lambda: loops.feature_model(model, set(obj.layers)))
        origin = tick("tile origin", lambda: tf.tile(x0, [1, 1, 1, 1]))
        starts = tick("_starts", lambda: engine._starts(origin, len(xx), 1, True, 0.1, ball, (0.0, 1.0), 0))
        p0 = tick("param project", lambda: param.project(param.from_image(starts)))
        prog = tick("_program lookup", lambda: engine._program(obj, fm, param, (), ball, None, "sign", 0.0, True,
                                                               False, "constant", 0.01, 1))
        inputs = tick("Program.inputs", lambda: prog.inputs(obj, None, origin, 0.3, 0.01, 0.0, 0, 1))
        state = tick("init_state", lambda: prog.init_state(p0, inputs))
        hist = []
        state, _ = tick("run (1 step)", lambda: prog.steps(state, 1, inputs, lambda d, v: hist.append(v), False))
        state, _ = tick("finish (1 evaluation)", lambda: prog.finish(state, inputs))
        h = tick("history concat", lambda: np.concatenate([np.asarray(v) for v in hist], 0))
        tick("_result", lambda: engine._result(state, param, h, len(xx), 1, True, 0.0, 2, obj.name))
    out = {k: 1e3 * median(v[1:]) for k, v in times.items()}
    return out


def ablations(logits_model, x, y, steps, eps=0.3, lr=0.01):
    """``{name: run()}``: compiled while-loops of ``steps`` PGD steps with the engine's extras added in turn."""
    xt, yt = tf.constant(x), tf.constant(np.asarray(y, np.int32))
    n = len(x)

    def value_grad(p, with_margin):
        with tf.GradientTape() as tape:
            tape.watch(p)
            logits = logits_model(p, training=False)
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(yt, logits)
            if with_margin:
                onehot = tf.one_hot(yt, tf.shape(logits)[-1])
                own = tf.reduce_sum(logits * onehot, -1)
                margin = tf.reduce_max(logits - 1e9 * onehot, -1) - own
                v = ce + tf.stop_gradient(margin - ce)
            else:
                v = ce
            total = tf.reduce_sum(v)
        return v, tape.gradient(total, p)

    def project(p):
        return tf.clip_by_value(xt + tf.clip_by_value(p - xt, -eps, eps), 0.0, 1.0)

    def make(level):
        @tf.function
        def run(p0):
            history = tf.zeros([64, n])
            state = dict(p=p0, best_p=p0, best_v=tf.fill([n], -np.inf), active=tf.ones([n], tf.bool),
                         steps=tf.zeros([n], tf.int32))

            def body(i, state, history):
                v, g = value_grad(state["p"], level >= 1)
                state = dict(state)
                if level >= 2:
                    take = state["active"] & (v > state["best_v"])
                    state["best_v"] = tf.where(take, v, state["best_v"])
                    state["best_p"] = tf.where(take[:, None, None, None], state["p"], state["best_p"])
                p_new = project(state["p"] + lr * tf.sign(g))
                if level >= 3:
                    state["p"] = tf.where(state["active"][:, None, None, None], p_new, state["p"])
                    state["steps"] = state["steps"] + tf.cast(state["active"], tf.int32)
                else:
                    state["p"] = p_new
                if level >= 4:
                    history = tf.tensor_scatter_nd_update(history, [[i % 64]], [v])
                return i + 1, state, history

            cond = (lambda i, s, h: (i < steps) & tf.reduce_any(s["active"])) if level >= 3 else (
                lambda i, s, h: i < steps)
            _, state, history = tf.while_loop(cond, body, (tf.constant(0), state, history))
            return state["best_p"] if level >= 2 else state["p"]
        return lambda: run(xt).numpy()

    @tf.function
    def step(p):
        _, g = value_grad(p, False)
        return project(p + lr * tf.sign(g))

    def python_loop():
        p = xt
        for _ in range(steps):
            p = step(p)
        return p.numpy()

    return {"python loop": python_loop, "bare": make(0), "+margin": make(1), "+best": make(2), "+masks": make(3),
            "+history": make(4)}


def engine_run(model, x, y, steps):
    """The engine's own compiled run for ``steps`` (<= CHUNK) steps, state built once."""
    from tfopt.attacks import common
    from tfopt.optim import constraints, engine
    from tfopt.optim import loop as loops
    from tfopt.optim.param import get_param

    obj = common.adversarial_objective(np.asarray(y, np.int64), np.full(len(y), -1, np.int64))
    ball = constraints.linf_ball(0.3)
    param = get_param("pixel", (0.0, 1.0))
    fm = loops.feature_model(model, set(obj.layers))
    origin = tf.constant(x)
    prog = engine._program(obj, fm, param, (), ball, None, "sign", 0.0, True, False, "constant", 0.01, steps)
    inputs = prog.inputs(obj, None, origin, 0.3, 0.01, 0.0, 0, steps)
    state0 = prog.init_state(origin, inputs)

    def run():
        state, history, ran = prog.run(state0, tf.constant(steps, tf.int32), inputs)
        return state["best_p"].numpy()
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="128,8")
    parser.add_argument("--steps", type=int, default=64, help="Loop steps of the body ablations (<= 64).")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()

    import keras

    from tfopt.data import digits
    from tfopt.models import zoo
    from tfopt.models.features import logits_tensor

    model = zoo.get_model("digits_cnn")
    logits_model = keras.Model(model.inputs, logits_tensor(model))
    d = digits(seed=0)
    for batch in [int(b) for b in args.batches.split(",")]:
        x, y = d["x_test"][:batch].copy(), d["y_test"][:batch].copy()
        pieces = host_pieces(model, x, y, args.calls)
        print(f"\nbatch {batch}: per-call work of pgd -> optimize (ms, median of {args.calls} calls, steps=1)")
        for k, v in pieces.items():
            print(f"  {k:>24}: {v:8.3f} ms")
        host = sum(v for k, v in pieces.items() if k not in ("run (1 step)", "finish (1 evaluation)"))
        print(f"  {'sum without run/finish':>24}: {host:8.3f} ms")
        calls = ablations(logits_model, x, y, args.steps)
        calls["engine Program.run"] = engine_run(model, x, y, args.steps)
        first, seconds = call_in_turns(calls, rounds=args.rounds,
                                       on_error=lambda n, e: print(f"  {n}: failed: {type(e).__name__}: {e}"))
        print(f"batch {batch}: loop body ablations, {args.steps} steps per call, {args.rounds} interleaved rounds")
        for name, ts in seconds.items():
            vs = "   ".join(f"vs {b} {paired_ratio(ts, seconds[b]):.3f}x" for b in ("bare", "python loop") if b in seconds)
            print(f"  {name:>20}: {1e3 * median(ts) / args.steps:7.3f} ms/step   {vs}")


if __name__ == "__main__":
    main()
