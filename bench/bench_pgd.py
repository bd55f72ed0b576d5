"""PGD speed: tfopt vs ART's ProjectedGradientDescent vs CleverHans' projected_gradient_descent.

Same Keras model (the digits CNN, attacked through its logits), same batch of test digits,
same Linf PGD (eps, step size, steps, one random start, untargeted), one timed run each
after a 1-step warm-up. Prints images*steps per second (wall time of the whole call, so
tfopt's tracing is included), the accuracy each attack leaves (they should agree), and
the ratios. A tool that cannot run with this TensorFlow/Keras prints the exception and
the bench carries on.

    pip install -r bench/requirements.txt
    python bench/bench_pgd.py [--batch=128 --steps=40 --eps=0.3 --step_size=0.01 --json=out.json]

Not part of the test run.
"""
import argparse
import json
import os
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _why(error):
    """The exception as one line: type, message and the innermost frame."""
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" (at {os.path.basename(frame.filename)}:{frame.lineno})" if frame else ""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:400]}{where}"


def _tfopt(model, x, y, args):
    from tfopt.attacks import pgd

    def run(steps):
        return pgd(model, x, y, eps=args.eps, steps=steps, step_size=args.step_size, random_start=True,
                   seed=args.seed, progress=False).x_adv
    return run


def _art(logits_model, x, y, args):
    import tensorflow as tf
    from art.attacks.evasion import ProjectedGradientDescent
    from art.estimators.classification import TensorFlowV2Classifier

    clf = TensorFlowV2Classifier(model=logits_model, nb_classes=10, input_shape=x.shape[1:],
                                 loss_object=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                 clip_values=(0.0, 1.0))

    def run(steps):
        attack = ProjectedGradientDescent(clf, norm=np.inf, eps=args.eps, eps_step=args.step_size, max_iter=steps,
                                          targeted=False, num_random_init=1, batch_size=len(x), verbose=False)
        return attack.generate(x=x, y=np.eye(10, dtype=np.float32)[y])
    return run


def _cleverhans(logits_model, x, y, args):
    import tensorflow as tf
    from cleverhans.tf2.attacks.projected_gradient_descent import projected_gradient_descent

    xt, yt = tf.constant(x), tf.constant(y)

    def run(steps):
        return projected_gradient_descent(logits_model, xt, args.eps, args.step_size, steps, np.inf, clip_min=0.0,
                                          clip_max=1.0, y=yt, rand_init=True).numpy()
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--eps", type=float, default=0.3)
    parser.add_argument("--step_size", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="Also write the results here.")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from tfopt.data import digits
    from tfopt.models import zoo
    from tfopt.models.features import logits_tensor

    keras.utils.set_random_seed(args.seed)
    model = zoo.get_model("digits_cnn")
    logits_model = keras.Model(model.inputs, logits_tensor(model))
    d = digits(seed=0)
    x, y = d["x_test"][:args.batch].copy(), d["y_test"][:args.batch].copy()
    print(f"PGD Linf eps={args.eps} step={args.step_size} steps={args.steps} batch={len(x)} on digits_cnn "
          f"(TF {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs)")
    results = {}
    for name, make in (("tfopt", lambda: _tfopt(model, x, y, args)), ("ART", lambda: _art(logits_model, x, y, args)),
                       ("CleverHans", lambda: _cleverhans(logits_model, x, y, args))):
        try:
            run = make()
            run(1)  # warm-up
            start = time.perf_counter()
            x_adv = np.asarray(run(args.steps), np.float32)
            seconds = time.perf_counter() - start
            acc = float(np.mean(model.predict(x_adv, verbose=0).argmax(-1) == y))
            linf = float(np.abs(x_adv - x).max())
            rate = len(x) * args.steps / seconds
            results[name] = {"seconds": seconds, "images_steps_per_second": rate, "adv_accuracy": acc, "linf": linf}
            print(f"{name:>10}: {seconds:7.2f} s  {rate:9.1f} images*steps/s  adv accuracy {acc:.3f}  "
                  f"linf {linf:.3f}")
        except Exception as error:  # noqa: BLE001 - report and carry on
            results[name] = {"error": _why(error)}
            print(f"{name:>10}: cannot run here: {_why(error)}")
    base = results["tfopt"].get("images_steps_per_second")
    for other in ("ART", "CleverHans"):
        rate = results[other].get("images_steps_per_second")
        if base and rate:
            results[f"tfopt_vs_{other}"] = base / rate
            print(f"tfopt / {other}: {base / rate:.2f}x")
        else:
            print(f"tfopt / {other}: n/a ({'tfopt' if not base else other} did not run)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
