"""APGD (Croce & Hein 2020): its checkpoint schedule, its step-size rule driven directly, and APGD-CE / APGD-DLR
on the session's digits classifier against PGD at equal steps and eps."""
import fractions
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt import attacks
from tfopt.attacks.apgd import _dlr
from tfopt.core.errors import InputError
from tfopt.optim import constraints as C, loop, optimize
from tfopt.optim.apgd import APGD, checkpoints

N = 24
EPS = 0.05  # PGD is far from 100 % here (about half the digits fall)
STEPS = 10


@pytest.fixture(scope="module")
def model(digits_model):
    return digits_model


@pytest.fixture(scope="module")
def data(digits_batch):
    x, y = digits_batch
    return x[:N].copy(), y[:N].copy()


def _paper_checkpoints(n):
    """w_j = ceil(p_j n), p_0 = 0, p_1 = 0.22, p_j+1 = p_j + max(p_j - p_j-1 - 0.03, 0.06), in exact fractions."""
    f = fractions.Fraction
    prev, cur, out = f(0), f(22, 100), []
    while cur * n < n:  # the steps 1 .. n-1 the loop can be at
        out.append(math.ceil(cur * n))
        prev, cur = cur, cur + max(cur - prev - f(3, 100), f(6, 100))
    return out


@pytest.mark.parametrize("n", [100, 37])
def test_checkpoints_follow_the_papers_recurrence(n):
    assert list(checkpoints(n).numpy()) == _paper_checkpoints(n)
    if n == 100:
        assert _paper_checkpoints(100) == [22, 41, 57, 70, 80, 87, 93, 99]
    assert list(checkpoints(tf.constant(n)).numpy()) == _paper_checkpoints(n)  # a tensor N (a loop input) too


def _drive(values, grads, n=10, eps=0.2):
    """Runs the rule by hand on 1 sample of 3 pixels around 0.5, feeding the given f and gradient per step."""
    rule = APGD("linf")
    hp = {"radius": tf.constant(eps), "steps": tf.constant(n), "lr": tf.constant(123.0)}
    origin = tf.fill([1, 3], 0.5)
    project = lambda q: tf.clip_by_value(origin + tf.clip_by_value(q - origin, -eps, eps), 0.0, 1.0)
    p, state = origin, rule.init(origin, hp)
    points, etas = [], []
    for k, (f, g) in enumerate(zip(values, grads)):
        points.append(p)
        p, state = rule.step(tf.constant(k), p, tf.constant([g], tf.float32), tf.constant([f], tf.float32), state,
                             hp, project)
        etas.append(float(state[0][0]))
        assert np.all(np.abs(p.numpy() - 0.5) <= eps + 1e-6) and np.all((p.numpy() >= 0) & (p.numpy() <= 1))
    return points, etas, p, state, project


def test_rule_halves_eta_and_restarts_from_its_best_point_when_f_stops_increasing():
    # N = 10: the first checkpoint is step 3. f rises at steps 1 and 2, then falls: 2 of 3 steps rose < 0.75 * 3.
    up, down = [1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]
    points, etas, p, state, project = _drive([0.0, 1.0, 5.0, 2.0], [up, up, up, down])
    assert etas == pytest.approx([0.4, 0.4, 0.4, 0.2])  # 2 * eps, lr ignored; halved at the checkpoint
    best = points[2]  # the point of f = 5
    np.testing.assert_allclose(state[1], best)  # the step started from x_max...
    # ...with the gradient it had there (up, not the current down) and eta / 2; its predecessor is itself.
    z = project(best + 0.2 * tf.sign(tf.constant([up])))
    np.testing.assert_allclose(p, project(best + 0.75 * (z - best)), atol=1e-6)


def test_rule_keeps_eta_while_f_keeps_increasing():
    values = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    points, etas, p, _, project = _drive(values, [[1.0, -1.0, 1.0]] * 6)
    assert etas == pytest.approx([0.4] * 6)  # checkpoints 3 and 5 passed: f rose at every step and improved
    # the first step is plain (the full step, clipped to the ball); the later ones carry momentum
    np.testing.assert_allclose(points[1], [[0.7, 0.3, 0.7]], atol=1e-6)


def test_dlr_loss_matches_its_formula():
    z = tf.constant([[3.0, 1.0, 0.5, 0.0, -2.0]])
    y, t = tf.constant([1]), tf.constant([3])
    # untargeted: -(z_y - max_{i != y} z_i) / (pi1 - pi3); targeted: -(z_y - z_t) / (pi1 - (pi3 + pi4) / 2)
    assert float(_dlr(z, y, t, False)[0]) == pytest.approx(-(1.0 - 3.0) / (3.0 - 0.5))
    assert float(_dlr(z, y, t, True)[0]) == pytest.approx(-(1.0 - 0.0) / (3.0 - 0.25))


def _success(model, x, res):
    return attacks.measure(model, x, res.x_adv, res.y_true, res.y_target)[0]["success_rate"]


# APGD's claim is made at a budget its step-size schedule can use: at 10 steps on 24 digits it lost by one image to
# PGD with a hand-picked step (0.417 vs 0.458); at 30 steps on 96 it wins by 7 (0.604 vs 0.531).
COMPARE_N, COMPARE_STEPS = 96, 30


def test_apgd_ce_and_dlr_do_at_least_as_well_as_pgd_inside_the_ball(model):
    from tfopt.data import digits

    d = digits(seed=0)
    x, y = d["x_test"][:COMPARE_N].copy(), d["y_test"][:COMPARE_N].copy()
    pgd = _success(model, x, attacks.pgd(model, x, y, eps=EPS, steps=COMPARE_STEPS, step_size=EPS / 4,
                                         progress=False))
    assert 0.2 < pgd < 0.9  # an eps where the comparison means something
    ce = attacks.apgd_ce(model, x, y, eps=EPS, steps=COMPARE_STEPS, progress=False)
    dlr = attacks.apgd_dlr(model, x, y, eps=EPS, steps=COMPARE_STEPS, n_target_classes=3, progress=False)
    for res in (ce, dlr):
        assert _success(model, x, res) >= pgd, res.method
        np.testing.assert_array_equal(res.success, attacks.measure(model, x, res.x_adv, y, res.y_target)[1]["success"])
        assert np.abs(res.x_adv - x).max() <= EPS + 1e-6 and res.x_adv.min() >= 0 and res.x_adv.max() <= 1
    np.testing.assert_array_equal(dlr.y_target, -1)  # APGD-T counts any misclassification
    targets = np.asarray(dlr.params["targets"])
    assert targets.shape == (3, COMPARE_N) and not np.any(targets == y)


def test_a_second_call_with_new_labels_or_steps_does_not_retrace(model, data):
    x, y = data
    x, y = x[:6], y[:6]
    attacks.apgd_ce(model, x, y, eps=EPS, steps=3, progress=False)
    attacks.apgd_dlr(model, x, y, eps=EPS, steps=3, n_target_classes=2, progress=False)
    traces = loop.trace_count()
    other = (y + 1) % 10
    res = attacks.apgd_ce(model, x, other, eps=2 * EPS, steps=5, progress=False)
    attacks.apgd_dlr(model, x, other, eps=2 * EPS, steps=5, n_target_classes=2, progress=False)
    assert loop.trace_count() == traces
    np.testing.assert_array_equal(res.y_true, other)
    assert np.abs(res.x_adv - x).max() > EPS  # the new eps is read


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_the_last_iterate_stays_in_the_ball_and_the_value_range(tiny_model, images, norm):
    """(linf under XLA: the rule's state is plain tensors.)"""
    eps = 0.05 if norm == "linf" else 0.5
    ball = C.linf_ball(eps) if norm == "linf" else C.l2_ball(eps)
    obj = attacks.adversarial_objective(np.zeros(4, np.int64), np.full(4, -1))
    res = optimize(obj, tiny_model, images, steps=7, optimizer="apgd", constraint=ball, random_start=True,
                   keep="last", jit_compile=norm == "linf", progress=False)
    d = (res.images - images).reshape(4, -1)
    size = np.abs(d).max(-1) if norm == "linf" else np.linalg.norm(d, axis=-1)
    assert size.max() <= eps + 1e-5 and size.min() > 0.5 * eps
    assert res.images.min() >= 0 and res.images.max() <= 1


def _three_class_model():
    inp = keras.Input((32, 32, 1))
    return keras.Model(inp, keras.layers.Dense(3)(keras.layers.Flatten()(inp)))


def test_bad_input_fails_in_one_line_before_anything_is_traced(model, data):
    x, y = data
    traces = loop.trace_count()
    bad = [(attacks.apgd_ce, dict(eps=1.5), "eps in [0, 1]"), (attacks.apgd_ce, dict(eps=-0.1), "eps=-0.1"),
           (attacks.apgd_dlr, dict(steps=0), "steps >= 1"),
           (attacks.apgd_dlr, dict(n_target_classes=0), "n_target_classes in [1, 9]"),
           (attacks.apgd_dlr, dict(n_target_classes=10), "n_target_classes=10")]
    for fn, kw, words in bad:
        with pytest.raises(InputError, match=words.replace("[", r"\[").replace("]", r"\]")):
            fn(model, x, y, progress=False, **kw)
    with pytest.raises(InputError, match="at least 4 classes .* received: a model with 3 classes"):
        attacks.apgd_dlr(_three_class_model(), x, y, progress=False)
    with pytest.raises(InputError, match="linf or l2 ball"):
        optimize(attacks.adversarial_objective(y, np.full(N, -1)), model, x, steps=2, optimizer="apgd",
                 progress=False)
    assert loop.trace_count() == traces
