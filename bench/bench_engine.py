"""Engine overhead: per-step time of tfopt.optim.optimize against a bare forward+backward pass.

Same network (VGG19, seeded random weights: ImageNet weights are not needed for timing),
same 256 px image, same objective (block5_conv2 activation + TV). The bare pass is the
floor any input-optimization loop pays; the ratio is what the engine adds on top
(best-iterate tracking, projection, per-sample stop masks, the optimizer update).

    .venv/bin/python bench/bench_engine.py [--size=256 --steps=20]
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfopt.models.features import FeatureModel  # noqa: E402
from tfopt.models.zoo import get_model  # noqa: E402
from tfopt.optim import objectives as O  # noqa: E402
from tfopt.optim import optimize  # noqa: E402


def bare_step_seconds(fm, x, layer, steps):
    """Forward+backward of the same objective with a hand-written minimal loop."""
    var = tf.Variable(x)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            act = fm(var)[layer]
            loss = tf.reduce_mean(act ** 2)
        g = tape.gradient(loss, var)
        var.assign_add(0.01 * g)
        return loss

    step()  # trace
    start = time.perf_counter()
    for _ in range(steps):
        step().numpy()
    return (time.perf_counter() - start) / steps


def engine_step_seconds(model, x, layer, steps, **kw):
    obj = O.layer_activation(layer)
    optimize(obj, model, x, steps=1, progress=False, **kw)  # trace
    res = optimize(obj, model, x, steps=steps, progress=False, **kw)
    return res.seconds / steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    layer = "block5_conv2"
    model = get_model("vgg19", weights="random", include_top=False)
    x = np.random.RandomState(0).rand(1, args.size, args.size, 3).astype("float32")
    bare = bare_step_seconds(FeatureModel(model, [layer]), x, layer, args.steps)
    print(f"VGG19 {args.size}px, {args.steps} steps, {os.cpu_count()} CPUs")
    print(f"  bare forward+backward:        {bare * 1000:8.1f} ms/step   1.00x")
    for name, kw in [("engine adam", dict(optimizer="adam")),
                     ("engine sign (PGD step)", dict(optimizer="sign", learning_rate=0.01)),
                     ("engine adam + jit_compile", dict(optimizer="adam", jit_compile=True))]:
        try:
            t = engine_step_seconds(model, x, layer, args.steps, **kw)
            print(f"  {name:28s}  {t * 1000:8.1f} ms/step   {t / bare:.2f}x")
        except Exception as err:  # XLA may not support every op on every platform
            print(f"  {name:28s}  failed: {type(err).__name__}: {str(err).splitlines()[0]}")


if __name__ == "__main__":
    main()
