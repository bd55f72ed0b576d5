"""The ImageNet-size parts of bench_pgd.py (run from there; ``python bench/pgd_models.py`` runs them alone).

* :func:`efficientnet_pgd`: Linf PGD on EfficientNet-Lite0 (ImageNet weights, offline) at
  224 px, batch 8: tfopt vs CleverHans vs ART vs the bare compiled step.
* :func:`vgg_overhead`: the engine's per-step time on VGG19 (seeded random weights) at
  256 px, batch 1, with a style objective, against a bare compiled forward+backward of
  the same objective called from a Python loop (the physical floor).
"""
import numpy as np
import tensorflow as tf

import pgd_contenders as C
from interleave import call_in_turns, median, paired_ratio


def _photos(n, size, seed=0):
    """``n`` random ``size`` crops of the two sample photos that ship with scikit-learn."""
    from tfopt.images import load_image

    rng = np.random.RandomState(seed)
    photos = [load_image(name) for name in ("china", "flower")]
    out = []
    for i in range(n):
        p = photos[i % len(photos)]
        top, left = rng.randint(0, p.shape[0] - size + 1), rng.randint(0, p.shape[1] - size + 1)
        out.append(p[top:top + size, left:left + size])
    return np.stack(out).astype(np.float32)


def report(title, first, seconds, steps, batch, *, base, aims=()):
    """Prints one line per contender and the aims; returns the numbers.

    Args:
        first, seconds: from :func:`interleave.call_in_turns` (seconds per call).
        steps: ``{name: steps per timed call}``; everything is compared per step.
        batch: images per step.
        base: the contender times are divided by.
        aims: ``(label, a, b, "time" | "speed", bound)``: time a / time b <= bound, or
            speed a / speed b >= bound.
    """
    per_step = {n: [t / steps[n] for t in ts] for n, ts in seconds.items()}
    out = {}
    print(title)
    for name, ts in per_step.items():
        m = median(ts)
        row = {"steps_per_call": steps[name], "first_call_s": first[name], "rounds_s": seconds[name],
               "ms_per_step": 1e3 * m, "images_steps_per_s": batch / m}
        vs = ""
        if base in per_step and name != base:
            row[f"time_vs_{base}"] = paired_ratio(ts, per_step[base])
            vs = f"  time/{base} {row[f'time_vs_{base}']:.3f}"
        out[name] = row
        print(f"  {name:>12}: {steps[name]:3d} steps/call, first call {first[name]:7.2f} s, {1e3 * m:9.2f} ms/step "
              f"{batch / m:9.1f} images*steps/s{vs}")
    for label, a, b, kind, bound in aims:
        if a not in per_step or b not in per_step:
            print(f"  {label}: n/a ({a if a not in per_step else b} did not run)")
            continue
        r = paired_ratio(per_step[a], per_step[b])  # time a / time b
        value, ok = (r, r <= bound) if kind == "time" else (1.0 / r, 1.0 / r >= bound)
        sign = "<=" if kind == "time" else ">="
        print(f"  {label}: {value:.3f}x {kind} (aim {sign} {bound}x) {'meets' if ok else 'MISSES'}")
        out[f"aim: {label}"] = {"value": value, "kind": kind, "bound": bound, "met": bool(ok)}
    return out


def efficientnet_pgd(*, batch=8, steps=10, eps=4 / 255, step_size=1 / 255, rounds=3, seed=0, jit=False):
    """Section 2: PGD speed on EfficientNet-Lite0 at 224 px."""
    from tfopt.models.features import logits_tensor
    from tfopt.models.zoo import get_model

    import keras

    model = get_model("efficientnet_lite0")
    logits_model = keras.Model(model.input, logits_tensor(model))  # one input, not a list of one: no structure warning
    x = _photos(batch, 224, seed)
    y = np.asarray(logits_model(x, training=False)).argmax(-1)
    kw = dict(eps=eps, step_size=step_size, steps=steps, seed=seed)
    factories = C.pgd_contenders(model, logits_model, x, y, jit=jit, nb_classes=1000, **kw)
    errors = {}
    calls, warmups, steps_of = C.build(factories, {}, steps, lambda n, e: _fail(errors, n, e))
    first, seconds = call_in_turns(calls, rounds=rounds, warmups=warmups, on_error=lambda n, e: _fail(errors, n, e))
    peers = [p for p in ("cleverhans", "art") if p in seconds]
    faster = min(peers, key=lambda p: median(seconds[p])) if peers else "cleverhans"
    out = report(f"EfficientNet-Lite0 224 px, batch {batch}, {steps} steps, eps {eps:.4f}, step {step_size:.4f} "
                 f"({rounds} interleaved rounds)", first, seconds, steps_of, batch, base="floor",
                 aims=[("tfopt vs bare step", "tfopt", "floor", "time", 1.05),
                       (f"tfopt vs the faster peer ({faster})", "tfopt", faster, "speed", 1.0),
                       ("tfopt vs CleverHans", "tfopt", "cleverhans", "speed", 1.0),
                       ("tfopt vs ART", "tfopt", "art", "speed", 1.0)])
    out["errors"] = errors
    return out


def _fail(errors, name, error):
    errors[name] = C.why(error)
    print(f"  {name:>12}: failed: {errors[name]}", flush=True)


STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def vgg_overhead(*, size=256, steps=5, rounds=3, seed=0, optimizers=("adam", "sign")):
    """Section 3: engine time per step vs a bare compiled forward+backward on VGG19, batch 1."""
    from tfopt.models.features import FeatureModel
    from tfopt.models.zoo import get_model
    from tfopt.optim import objectives as O
    from tfopt.optim import optimize
    from tfopt.optim.objectives import Context

    model = get_model("vgg19", weights="random", include_top=False)
    rng = np.random.RandomState(seed)
    x = rng.rand(1, size, size, 3).astype(np.float32)
    fm = FeatureModel(model, STYLE_LAYERS)
    style_image = tf.constant(rng.rand(1, size, size, 3).astype(np.float32))
    acts = fm(style_image)
    objective = O.style(STYLE_LAYERS, [O.gram(acts[k])[0] for k in STYLE_LAYERS])
    xt = tf.constant(x)

    @tf.function
    def bare_step(p):
        with tf.GradientTape() as tape:
            tape.watch(p)
            loss = tf.reduce_sum(objective(Context(fm(p), p)))
        return p - 0.01 * tape.gradient(loss, p)

    def bare():
        p = xt
        for _ in range(steps):
            p = bare_step(p)
        return p.numpy()

    evaluations = {}

    def engine(optimizer, **kw):
        def run():
            res = optimize(objective, model, x, steps=steps, optimizer=optimizer, maximize=False, progress=False,
                           **kw)
            evaluations[optimizer] = res.evaluations
            return res.images
        return run

    lr = {"adam": 0.01, "sign": 0.01, "sgd": 0.01, "lbfgs": 0.05}
    calls = {"bare": bare, **{o: engine(o, learning_rate=lr[o]) for o in optimizers}}
    errors = {}
    first, seconds = call_in_turns(calls, rounds=rounds, on_error=lambda n, e: _fail(errors, n, e))
    # evaluations per call: steps + 1 for the first-order loop (it evaluates the final point too);
    # for L-BFGS the line search makes more; the bare loop makes `steps`.
    out = {"errors": errors, "evaluations": dict(evaluations)}
    print(f"VGG19 (random weights) {size} px, batch 1, style objective on {len(STYLE_LAYERS)} layers, "
          f"{steps} steps, {rounds} interleaved rounds")
    if "bare" not in seconds:
        print("  bare step did not run: no ratios")
        return out
    per_bare = median(seconds["bare"]) / steps
    print(f"  {'bare f+b':>12}: {per_bare * 1000:8.1f} ms per forward+backward (first call {first['bare']:.1f} s)")
    out["bare"] = {"ms_per_eval": per_bare * 1000, "rounds_s": seconds["bare"]}
    for name in optimizers:
        if name not in seconds:
            continue
        evals = evaluations.get(name, steps + 1)
        r = paired_ratio([t / evals for t in seconds[name]], [t / steps for t in seconds["bare"]])
        r_step = paired_ratio(seconds[name], seconds["bare"])
        per_step = median(seconds[name]) / steps
        ok = r <= 1.1
        print(f"  {name:>12}: {per_step * 1000:8.1f} ms per step = {r_step:.3f}x bare per step ({evals} "
              f"evaluations per call: the engine also evaluates the final point); per evaluation {r:.3f}x bare "
              f"(aim <= 1.1x) {'meets' if ok else 'MISSES'} (first call {first[name]:.1f} s)")
        out[name] = {"ms_per_step": per_step * 1000, "evaluations": evals, "per_eval_vs_bare": r,
                     "per_step_vs_bare": r_step, "met": bool(ok), "first_call_s": first[name],
                     "rounds_s": seconds[name]}
    return out


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    efficientnet_pgd()
    vgg_overhead()
