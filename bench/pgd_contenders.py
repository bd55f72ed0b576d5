"""The PGD contenders of bench_pgd.py, each built as ``run() -> x_adv`` (numpy) for one fixed batch.

Same attack for all: Linf PGD with one uniform random start in the ball, ``steps``
steps of ``step_size * sign(grad CE(logits))``, projected on the ball and [0, 1],
untargeted (away from ``y``). tfopt gets the classifier (it reads the logits itself);
the others get ``logits_model``, a Keras model of the same layers ending in the logits.

* ``floor``: a bare compiled step (forward, backward, sign step, projection) called
  from a Python loop: what any PGD must pay at least.
* ``tfopt``: :func:`tfopt.attacks.pgd` (its whole loop is one compiled ``tf.while_loop``).
* ``tfopt_jit``: the same engine call with ``jit_compile=True`` (``pgd`` does not expose it,
  so :func:`tfopt.optim.optimize` with the attack's objective and ball, as ``pgd`` does).
* ``cleverhans``: CleverHans 4's TF2 ``projected_gradient_descent``.
* ``art``: ART's ``ProjectedGradientDescent`` on a ``TensorFlowV2Classifier``.
"""
import os
import traceback

import numpy as np
import tensorflow as tf


def why(error):
    """An exception as one line: type, message and the innermost frame."""
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" (at {os.path.basename(frame.filename)}:{frame.lineno})" if frame else ""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:300]}{where}"


def floor(logits_model, x, y, *, eps, step_size, steps, seed, jit_compile=False):
    xt, yt = tf.constant(x), tf.constant(np.asarray(y, np.int32))

    @tf.function(jit_compile=jit_compile)
    def step(xa):
        with tf.GradientTape() as tape:
            tape.watch(xa)
            logits = logits_model(xa, training=False)
            loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(yt, logits))
        xa = xa + step_size * tf.sign(tape.gradient(loss, xa))
        return tf.clip_by_value(tf.clip_by_value(xa, xt - eps, xt + eps), 0.0, 1.0)

    def run(n=steps):
        xa = xt + tf.random.stateless_uniform(tf.shape(xt), [seed, 1], -eps, eps)
        xa = tf.clip_by_value(xa, 0.0, 1.0)
        for _ in range(n):
            xa = step(xa)
        return xa.numpy()

    # The warm-up must trace *this* ``step``: a floor built apart for it would trace its own function, and the
    # first timed round would pay the trace of the one it times.
    run.warmup = lambda: run(min(2, steps))
    return run


def tfopt_pgd(model, x, y, *, eps, step_size, steps, seed):
    from tfopt.attacks import pgd

    def run():
        return pgd(model, x, y, eps=eps, steps=steps, step_size=step_size, random_start=True, seed=seed,
                   progress=False).x_adv
    return run


def tfopt_optimize(model, x, y, *, eps, step_size, steps, seed, jit_compile=True):
    from tfopt.attacks import common
    from tfopt.optim import constraints, optimize

    y = np.asarray(y, np.int64)
    untargeted = np.full_like(y, common.UNTARGETED)

    def run():
        return optimize(common.adversarial_objective(y, untargeted), model, x, param="pixel", steps=steps,
                        optimizer="sign", learning_rate=step_size, constraint=constraints.linf_ball(eps),
                        random_start=True, keep="best", seed=seed, progress=False, jit_compile=jit_compile).images
    return run


def cleverhans(logits_model, x, y, *, eps, step_size, steps, seed):
    from cleverhans.tf2.attacks.projected_gradient_descent import projected_gradient_descent

    xt, yt = tf.constant(x), tf.constant(np.asarray(y, np.int64))
    # Seeded once here, not in every call: tf.random.set_seed also clears TensorFlow's kernel caches, so every
    # contender timed after it re-instantiates its compiled functions (measured: 2.35 s -> 4.17 s for one
    # 10-step tfopt PGD call on EfficientNet-Lite0).
    tf.random.set_seed(seed)

    def run():
        return projected_gradient_descent(logits_model, xt, eps, step_size, steps, np.inf, clip_min=0.0,
                                          clip_max=1.0, y=yt, rand_init=True, sanity_checks=False).numpy()
    return run


def art_classifier(logits_model, x, nb_classes):
    from art.estimators.classification import TensorFlowV2Classifier

    return TensorFlowV2Classifier(model=logits_model, nb_classes=nb_classes, input_shape=x.shape[1:],
                                  loss_object=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                  clip_values=(0.0, 1.0))


def art(logits_model, x, y, *, eps, step_size, steps, seed, nb_classes=10):
    from art.attacks.evasion import ProjectedGradientDescent

    clf = art_classifier(logits_model, x, nb_classes)
    onehot = np.eye(nb_classes, dtype=np.float32)[np.asarray(y)]

    def run():
        np.random.seed(seed)
        attack = ProjectedGradientDescent(clf, norm=np.inf, eps=eps, eps_step=step_size, max_iter=steps,
                                          targeted=False, num_random_init=1, batch_size=len(x), verbose=False)
        return attack.generate(x=x, y=onehot)
    return run


def art_apgd(logits_model, x, y, *, eps, steps, loss_type, seed, nb_classes=10):
    """ART's AutoProjectedGradientDescent (Croce & Hein), loss "cross_entropy" or "difference_logits_ratio"."""
    from art.attacks.evasion import AutoProjectedGradientDescent

    clf = art_classifier(logits_model, x, nb_classes)
    onehot = np.eye(nb_classes, dtype=np.float32)[np.asarray(y)]

    def run():
        np.random.seed(seed)
        attack = AutoProjectedGradientDescent(clf, norm=np.inf, eps=eps, eps_step=2 * eps, max_iter=steps,
                                              targeted=False, nb_random_init=1, batch_size=len(x),
                                              loss_type=loss_type, verbose=False)
        return attack.generate(x=x, y=onehot)
    return run


def pgd_contenders(model, logits_model, x, y, *, eps, step_size, steps, seed, jit=True, nb_classes=10):
    """``{name: factory}``; ``factory(steps)`` returns ``run() -> x_adv``. Building can fail (a missing peer).

    ``steps`` is each contender's default; a caller may build one with fewer steps (a
    short warm-up, or a slow peer whose cost per step does not depend on the number of steps).
    """
    kw = dict(eps=eps, step_size=step_size, seed=seed)
    out = {"floor": lambda n=steps: floor(logits_model, x, y, steps=n, **kw)}
    if jit:
        out["floor_jit"] = lambda n=steps: floor(logits_model, x, y, steps=n, jit_compile=True, **kw)
    out["tfopt"] = lambda n=steps: tfopt_pgd(model, x, y, steps=n, **kw)
    if jit:
        out["tfopt_jit"] = lambda n=steps: tfopt_optimize(model, x, y, steps=n, jit_compile=True, **kw)
    out["cleverhans"] = lambda n=steps: cleverhans(logits_model, x, y, steps=n, **kw)
    out["art"] = lambda n=steps: art(logits_model, x, y, steps=n, nb_classes=nb_classes, **kw)
    return out


TRACED_ON_FIRST_CALL = ("tfopt", "tfopt_jit")
"""Contenders whose first call (tracing included) is timed at full length; the others warm up with 2 steps."""


def build(factories, steps_of, default_steps, fail):
    """(calls, warm-ups, steps per call) from :func:`pgd_contenders`; ``fail(name, error)`` for those that fail."""
    calls, warmups, steps = {}, {}, {}
    for name, make in factories.items():
        try:
            steps[name] = steps_of.get(name, default_steps)
            calls[name] = make(steps[name])
            if name not in TRACED_ON_FIRST_CALL:
                warmups[name] = getattr(calls[name], "warmup", None) or make(min(2, steps[name]))
        except Exception as error:  # noqa: BLE001 - a peer that cannot run is reported
            steps.pop(name, None)
            fail(name, error)
    return calls, warmups, steps
