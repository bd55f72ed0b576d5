"""PGD: tfopt's compiled engine loop against the bare step, CleverHans and ART, in one run.

Every timing is side by side: the contenders of a section take turns (one warm-up call
each, then ``--rounds`` timed calls, A B C A B C ...) and ratios are medians of the
per-round ratios, so other jobs on the machine slow every contender alike. Sections:

1. ``speed``: Linf PGD on the digits CNN (through its logits), eps 0.3, step 0.01, 200
   steps, one random start, untargeted, at batch 128 and 8: the bare compiled step called
   from a Python loop (with and without XLA), tfopt ``pgd`` (second call timed; the first
   call, which traces, is printed too), tfopt with ``jit_compile=True``, CleverHans'
   ``projected_gradient_descent`` and ART's ``ProjectedGradientDescent``.
2. ``effnet``: the same on EfficientNet-Lite0 at 224 px, batch 8, 40 steps (``--steps_effnet``;
   bench/pgd_models.py).
3. ``vgg``: engine time per forward+backward vs a bare compiled one on VGG19 at 256 px,
   batch 1, style objective (bench/pgd_models.py).
4. ``strength``: accuracy left (re-predicting the returned images) after tfopt / ART /
   CleverHans PGD at eps 0.3 and 0.2, and tfopt ``apgd_ce``/``apgd_dlr`` vs ART's
   ``AutoProjectedGradientDescent``, on ``--model``.
5. ``lbfgs``: L-BFGS (a host loop around a compiled evaluation) per iteration and per
   evaluation vs a bare forward+backward, digits CNN, batch 1 and 8.

A contender that fails prints one line with the reason; the rest carry on.

    pip install -r bench/requirements.txt      # or: pip install --no-deps --target DIR ... (see docs/engine.md)
    python bench/bench_pgd.py [--quick] [--sections=speed,effnet,vgg,strength,lbfgs] [--json=out.json]

Not part of the test run.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

SECTIONS = ("speed", "effnet", "vgg", "strength", "lbfgs")


def _digits_logits(name):
    import keras

    from tfopt.models import zoo
    from tfopt.models.features import logits_tensor

    model = zoo.get_model(name)
    return model, keras.Model(model.inputs, logits_tensor(model))


def speed(args, model, logits_model, x_all, y_all):
    import pgd_contenders as C
    from interleave import call_in_turns
    from pgd_models import _fail, report

    out = {}
    kw = dict(eps=0.3, step_size=0.01, steps=args.steps, seed=args.seed)
    for batch in args.batches:
        x, y = x_all[:batch].copy(), y_all[:batch].copy()
        jit = args.jit and (batch < 128 or args.jit128)
        if args.jit and not jit:
            print(f"batch {batch}: XLA contenders left out (about 3x slower than without XLA on this CPU in "
                  f"--quick runs, and minutes per call here; --jit128 puts them in)")
        # ART's cost per step does not depend on the number of steps (an eager Python loop): fewer
        # steps per call keep the default run short; everything is compared per step.
        # The bare XLA step is ~10x slower per step than without XLA at batch 8 (a cluster launch per
        # call), so it too runs fewer steps per call.
        steps_of = {"art": min(args.steps, args.art_steps[batch]), "floor_jit": min(args.steps, 50 if batch >= 128 else 20)}
        if batch >= 128:
            steps_of["tfopt_jit"] = min(args.steps, 50)
        errors = {}
        calls, warmups, steps = C.build(C.pgd_contenders(model, logits_model, x, y, jit=jit, **kw), steps_of,
                                        args.steps, lambda n, e: _fail(errors, n, e))
        rounds = args.rounds_b128 if batch >= 128 else args.rounds
        first, seconds = call_in_turns(calls, rounds=rounds, warmups=warmups,
                                       on_error=lambda n, e: _fail(errors, n, e))
        vs_ch, vs_art = (1.0, 3.0) if batch >= 128 else (1.5, 5.0)
        aims = [("tfopt vs bare step", "tfopt", "floor", "time", 1.05),
                ("tfopt_jit vs bare jit step", "tfopt_jit", "floor_jit", "time", 1.05),
                ("tfopt vs CleverHans", "tfopt", "cleverhans", "speed", vs_ch),
                ("tfopt vs ART", "tfopt", "art", "speed", vs_art),
                ("tfopt_jit vs CleverHans", "tfopt_jit", "cleverhans", "speed", vs_ch),
                ("tfopt_jit vs ART", "tfopt_jit", "art", "speed", vs_art)]
        res = report(f"digits CNN, PGD Linf eps 0.3 step 0.01, batch {batch} (first call: tfopt's traces, "
                     f"the others' is a 2-step warm-up; {rounds} interleaved rounds)",
                     first, seconds, steps, batch, base="floor", aims=aims)
        res["errors"] = errors
        out[f"batch{batch}"] = res
    return out


def _accuracy(logits_model, x_adv, y):
    import tensorflow as tf

    logits = np.concatenate([np.asarray(logits_model(tf.constant(x_adv[i:i + 256]), training=False))
                             for i in range(0, len(x_adv), 256)])
    return float(np.mean(logits.argmax(-1) == y))


def strength(args, x_all, y_all):
    import pgd_contenders as C
    import tfopt.attacks as attacks
    from tfopt.models import zoo

    name = args.model
    try:
        model, logits_model = _digits_logits(name)
    except Exception as error:  # noqa: BLE001 - the robust model may not exist yet
        known = getattr(zoo, "MODEL_NAMES", [])
        print(f"strength: model {name!r} is not available here ({C.why(error)}; zoo knows {known}); "
              f"falling back to digits_cnn")
        name = "digits_cnn"
        model, logits_model = _digits_logits(name)
    x, y = x_all[:args.strength_n].copy(), y_all[:args.strength_n].copy()
    clean = _accuracy(logits_model, x, y)
    print(f"Strength on {name}: {len(x)} test digits, clean accuracy {clean:.3f}; PGD {args.strength_steps} steps "
          f"step 0.01, 1 random start; APGD {args.apgd_steps} steps, 1 restart (accuracy left: lower is stronger)")
    out = {"model": name, "n": len(x), "clean_accuracy": clean}
    apgd = {loss: getattr(attacks, f"apgd_{loss}", None) for loss in ("ce", "dlr")}
    for loss, fn in apgd.items():
        if fn is None:
            print(f"  tfopt apgd_{loss}: skipped, tfopt.attacks has no apgd_{loss} yet")
    for eps in (0.3, 0.2):
        kw = dict(eps=eps, step_size=0.01, steps=args.strength_steps, seed=args.seed)
        runs = {"tfopt pgd": lambda: C.tfopt_pgd(model, x, y, **kw)(),
                "CleverHans pgd": lambda: C.cleverhans(logits_model, x, y, **kw)(),
                "ART pgd": lambda: C.art(logits_model, x, y, **kw)()}
        for loss, art_loss in (("ce", "cross_entropy"), ("dlr", "difference_logits_ratio")):
            if apgd[loss] is not None:
                runs[f"tfopt apgd_{loss}"] = (lambda f=apgd[loss]: f(model, x, y, eps=eps, norm="linf",
                                                                      steps=args.apgd_steps, restarts=1,
                                                                      seed=args.seed, progress=False).x_adv)
            runs[f"ART apgd {loss}"] = (lambda lt=art_loss: C.art_apgd(logits_model, x, y, eps=eps, steps=args.apgd_steps,
                                                                       loss_type=lt, seed=args.seed)())
        row = {}
        for label, run in runs.items():
            start = time.perf_counter()
            try:
                x_adv = np.asarray(run(), np.float32)
            except Exception as error:  # noqa: BLE001
                row[label] = {"error": C.why(error)}
                print(f"  eps {eps}: {label:>16}: failed: {row[label]['error']}", flush=True)
                continue
            seconds = time.perf_counter() - start
            acc = _accuracy(logits_model, x_adv, y)
            linf = float(np.abs(x_adv - x).max())
            inside = linf <= eps + 1e-5 and x_adv.min() >= 0 and x_adv.max() <= 1
            row[label] = {"adv_accuracy": acc, "linf": linf, "valid": bool(inside), "seconds": seconds}
            print(f"  eps {eps}: {label:>16}: accuracy left {acc:.3f}   linf {linf:.4f}{'' if inside else ' OUTSIDE'}"
                  f"   {seconds:6.1f} s", flush=True)
        out[f"eps{eps}"] = row
    return out


def lbfgs(args, model):
    import tensorflow as tf

    from interleave import call_in_turns, median, paired_ratio
    from tfopt.models.features import FeatureModel
    from tfopt.optim import objectives as O
    from tfopt.optim import optimize
    from tfopt.optim.objectives import Context

    objective = O.class_logit(3) - 1e-2 * O.tv()
    fm = FeatureModel(model, objective.layers)
    out = {}
    steps = args.lbfgs_steps
    print(f"L-BFGS on the digits CNN (class_logit(3) - 0.01 tv from grey+noise, {steps} iterations) vs a bare "
          f"compiled forward+backward of the same objective, {args.rounds} interleaved rounds")
    for batch in (1, 8):
        x = (0.5 + 0.05 * np.random.RandomState(0).randn(batch, 32, 32, 1)).clip(0, 1).astype(np.float32)
        xt = tf.constant(x)

        @tf.function
        def fb(p):
            with tf.GradientTape() as tape:
                tape.watch(p)
                v = objective(Context(fm(p), p))
                total = tf.reduce_sum(v)
            return v, tape.gradient(total, p)

        info = {}

        def run_lbfgs():
            t0 = time.perf_counter()
            res = optimize(objective, model, x, steps=steps, optimizer="lbfgs", learning_rate=0.05, progress=False)
            info.update(iterations=len(res.history), evaluations=res.evaluations, loop_s=res.seconds,
                        call_s=time.perf_counter() - t0)
            info.setdefault("loop", []).append(res.seconds)
            info.setdefault("evals", []).append(res.evaluations)
            info.setdefault("iters", []).append(len(res.history))

        def run_adam():
            res = optimize(objective, model, x, steps=steps, optimizer="adam", progress=False)
            info.setdefault("adam_loop", []).append(res.seconds)

        def run_bare():
            for _ in range(steps):
                v, g = fb(xt)
            g.numpy()

        errors = {}
        first, seconds = call_in_turns({"bare": run_bare, "lbfgs": run_lbfgs, "adam": run_adam},
                                       rounds=args.rounds, on_error=lambda n, e: errors.update({n: str(e)}))
        if errors or "bare" not in seconds:
            print(f"  batch {batch}: failed: {errors}")
            out[f"batch{batch}"] = {"errors": errors}
            continue
        n = args.rounds
        bare = [t / steps for t in seconds["bare"]]
        per_eval = [t / e for t, e in zip(info["loop"][-n:], info["evals"][-n:])]
        per_iter = [t / max(1, i) for t, i in zip(info["loop"][-n:], info["iters"][-n:])]
        evals_per_iter = median([e / max(1, i) for e, i in zip(info["evals"][-n:], info["iters"][-n:])])
        host = median([pi - e / max(1, i) * b for pi, e, i, b in
                       zip(per_iter, info["evals"][-n:], info["iters"][-n:], bare)])
        adam = [t / (steps + 1) for t in info["adam_loop"][-n:]]
        row = {"bare_ms": median(bare) * 1e3, "lbfgs_ms_per_iteration": median(per_iter) * 1e3,
               "lbfgs_ms_per_evaluation": median(per_eval) * 1e3, "evaluations_per_iteration": evals_per_iter,
               "lbfgs_per_eval_vs_bare": paired_ratio(per_eval, bare),
               "host_ms_per_iteration": host * 1e3, "adam_ms_per_evaluation": median(adam) * 1e3,
               "adam_per_eval_vs_bare": paired_ratio(adam, bare),
               "lbfgs_call_s": info["call_s"], "lbfgs_loop_s": info["loop_s"], "iterations": info["iterations"]}
        out[f"batch{batch}"] = row
        print(f"  batch {batch}: bare f+b {row['bare_ms']:.2f} ms | L-BFGS {row['lbfgs_ms_per_iteration']:.2f} "
              f"ms/iteration ({evals_per_iter:.2f} evaluations each), {row['lbfgs_ms_per_evaluation']:.2f} "
              f"ms/evaluation = {row['lbfgs_per_eval_vs_bare']:.2f}x bare; host work beyond the evaluations "
              f"{row['host_ms_per_iteration']:.2f} ms/iteration | compiled adam loop "
              f"{row['adam_ms_per_evaluation']:.2f} ms/step = {row['adam_per_eval_vs_bare']:.2f}x bare", flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A short smoke run (fewer steps, rounds, images).")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"Comma-separated subset of {SECTIONS}.")
    parser.add_argument("--model", default="digits_cnn_robust", help="Model of the strength section.")
    parser.add_argument("--rounds", type=int, default=3, help="Timed interleaved calls per contender.")
    parser.add_argument("--steps", type=int, default=200, help="PGD steps of the speed section.")
    parser.add_argument("--no_jit", dest="jit", action="store_false", help="Leave out the XLA contenders.")
    parser.add_argument("--jit128", action="store_true", help="Also time the XLA contenders at batch 128 (slow).")
    parser.add_argument("--rounds_b128", type=int, default=1,
                        help="Timed rounds at batch 128 (each call of 200 steps takes minutes on 2 busy cores).")
    parser.add_argument("--rounds_effnet", type=int, default=4,
                        help="Timed rounds on EfficientNet-Lite0 (its first timed round runs slow for every contender "
                             "alike, so two rounds are not enough for a median).")
    parser.add_argument("--steps_effnet", type=int, default=40,
                        help="PGD steps on EfficientNet-Lite0 (40, as PGD-40; tfopt's one extra forward pass, which "
                             "evaluates the last iterate, is 1/(3*steps) of a call).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="Also write every number here.")
    args = parser.parse_args()
    args.batches = (128, 8)
    args.strength_n, args.strength_steps, args.apgd_steps, args.lbfgs_steps = 450, 50, 50, 30
    args.art_steps = {128: 20, 8: 50}
    effnet = dict(batch=8, steps=args.steps_effnet, rounds=args.rounds_effnet)
    vgg = dict(size=256, steps=3, rounds=2)
    if args.quick:
        args.rounds, args.rounds_b128, args.steps, args.art_steps = 1, 1, 20, {128: 5, 8: 10}
        args.strength_n, args.strength_steps, args.apgd_steps, args.lbfgs_steps = 32, 10, 10, 5
        effnet, vgg = dict(batch=2, steps=2, rounds=1), dict(size=128, steps=2, rounds=1)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; expected a subset of {SECTIONS}")

    import keras
    import tensorflow as tf

    from tfopt.data import digits

    print(f"TF {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs; sections {sections}"
          f"{' (quick)' if args.quick else ''}", flush=True)
    versions = {"tensorflow": tf.__version__, "keras": keras.__version__}
    for peer in ("art", "cleverhans"):
        try:
            versions[peer] = __import__(peer).__version__
        except Exception as error:  # noqa: BLE001
            versions[peer] = f"unavailable: {error}"
    print(f"peers: ART {versions['art']}, CleverHans {versions['cleverhans']}", flush=True)
    results = {"args": {k: v for k, v in vars(args).items() if k != "json"}, "versions": versions}
    keras.utils.set_random_seed(args.seed)
    d = digits(seed=0)
    x_all, y_all = d["x_test"], d["y_test"]
    model, logits_model = _digits_logits("digits_cnn")
    t0 = time.perf_counter()
    for section in sections:
        start = time.perf_counter()
        print(f"\n== {section} ==", flush=True)
        try:
            if section == "speed":
                results[section] = speed(args, model, logits_model, x_all, y_all)
            elif section == "effnet":
                from pgd_models import efficientnet_pgd
                results[section] = efficientnet_pgd(seed=args.seed, jit=False, **effnet)
            elif section == "vgg":
                from pgd_models import vgg_overhead
                results[section] = vgg_overhead(seed=args.seed, **vgg)
            elif section == "strength":
                results[section] = strength(args, x_all, y_all)
            elif section == "lbfgs":
                results[section] = lbfgs(args, model)
        except Exception as error:  # noqa: BLE001 - one broken section does not stop the others
            from pgd_contenders import why
            results[section] = {"error": why(error)}
            print(f"section {section} failed: {why(error)}")
        print(f"({section}: {time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=float)


if __name__ == "__main__":
    main()
