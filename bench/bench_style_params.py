"""What the style optimizer moves: parameterizations and optimizers on the default style problem.

Runs the default perceptual loss (chelsea in the style of ihc, 256 px, VGG19: ImageNet
weights where they can be downloaded, else seeded random ones) from the content image with

* tfopt's L-BFGS on each image parameterization of ``tfopt.style.gatys.PARAMS`` (clipped
  pixels, sigmoid, a 1/f spectrum per RGB channel, Lucid's spectrum of decorrelated colour),
* tfopt's Adam on pixels and on the spectrum,
* SciPy's L-BFGS-B on the pixels with [0, 1] bounds: the optimizer of Keras's former
  ``neural_style_transfer.py`` example and of many Gatys implementations,

and prints the loss after 25, 50, 100, ... steps (SciPy: function evaluations) and the
seconds, side by side in one run. Writes summary.json. Never part of the test run.

    python bench/bench_style_params.py --output=runs/bench_params --steps=100
    python bench/bench_style_params.py --content=astronaut --style=flower --runs=lbfgs:fft,lbfgs:pixel
"""
import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

RUNS = ("lbfgs:pixel", "lbfgs:sigmoid", "lbfgs:fft_decorrelated", "lbfgs:fft", "adam:pixel", "adam:fft",
        "scipy:pixel")
ADAM_LR = 0.05  # the rate of the Adam runs in docs/style.md (bin/style.py's Adam default is the tutorial's 0.02)


def _checkpoints(values, steps):
    marks = sorted({k for k in (25, 50, 100, 200, 300, 500, 1000, steps) if k <= min(steps, len(values))})
    return {str(k): float(values[k - 1]) for k in marks}


def run_tfopt(fm, total, content, optimizer, param, steps):
    """One engine run: (best loss after each step, seconds, evaluations)."""
    import numpy as np

    from bench_style import run_default

    res = run_default(fm, total, content, steps, optimizer=optimizer, param=param,
                      learning_rate=ADAM_LR if optimizer == "adam" else None)
    return np.minimum.accumulate(res.history[:, 0]), res.seconds, res.evaluations


def run_scipy(fm, total, content, steps):
    """SciPy L-BFGS-B with [0, 1] pixel bounds, memory 10, ``steps`` evaluations, on one compiled
    forward+backward function: (best loss after each evaluation, seconds, evaluations)."""
    import numpy as np
    import tensorflow as tf
    from scipy.optimize import fmin_l_bfgs_b

    from bench_style import common_loss_fn

    x0 = np.asarray(content, np.float32)[None]
    loss_fn = common_loss_fn(fm, total)

    @tf.function
    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            v = loss_fn(x)
        return v, tape.gradient(v, x)

    value_and_grad(tf.constant(x0))  # trace outside the timed part, as the engine's first call is not timed either
    values = []

    def func(z):
        v, g = value_and_grad(tf.constant(z.reshape(x0.shape), tf.float32))
        values.append(float(v))
        return float(v), g.numpy().ravel().astype(np.float64)

    start = time.perf_counter()
    fmin_l_bfgs_b(func, x0.ravel().astype(np.float64), bounds=[(0.0, 1.0)] * x0.size, m=10, maxiter=steps,
                  maxfun=steps)
    seconds = time.perf_counter() - start
    return np.minimum.accumulate(values), seconds, len(values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", default="runs/bench_style_params")
    ap.add_argument("--content", default="chelsea")
    ap.add_argument("--style", default="ihc")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated among {','.join(RUNS)}")
    ap.add_argument("--weights", default="imagenet")
    args = ap.parse_args()
    runs = args.runs.split(",")
    bad = [r for r in runs if r not in RUNS]
    if bad:
        ap.error(f"expected --runs among {','.join(RUNS)}; received: {','.join(bad)}")

    import numpy as np

    from bench_style import default_problem
    from tfopt.images import load_image
    from tfopt.style.gatys import load_vgg19

    model, described = load_vgg19(args.weights)
    content = np.asarray(load_image(args.content, max_side=args.size))
    style = np.asarray(load_image(args.style, max_side=args.size))
    fm, total = default_problem(model, content, style)
    summary = {"vgg19_weights": described, "content": args.content, "style": args.style, "size": args.size,
               "steps": args.steps, "adam_learning_rate": ADAM_LR, "runs": {}}
    for name in runs:
        optimizer, param = name.split(":")
        if optimizer == "scipy":
            best, seconds, evals = run_scipy(fm, total, content, args.steps)
        else:
            best, seconds, evals = run_tfopt(fm, total, content, optimizer, param, args.steps)
        row = {"loss_at_step": _checkpoints(best, args.steps), "final": float(best[-1]), "seconds": seconds,
               "evaluations": int(evals)}
        summary["runs"][name] = row
        print(f"{name:24s} " + " ".join(f"{k}:{v:.4f}" for k, v in row["loss_at_step"].items())
              + f"  {seconds:.1f} s, {evals} evaluations", flush=True)
    out = pathlib.Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    from tfopt.core.files import write_json
    write_json(out / "summary.json", summary)


if __name__ == "__main__":
    main()
