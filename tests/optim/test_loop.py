"""The compiled loop is traced once per structure and reused across calls."""
import logging

import numpy as np
import pytest
import tensorflow as tf

from tfopt.attacks import pgd
from tfopt.optim import constraints as C, loop, objectives as O, optimize


@pytest.fixture(autouse=True)
def fresh_cache():
    loop.clear_cache()
    yield
    loop.clear_cache()


def test_new_targets_and_eps_reuse_the_trace_and_are_used(tiny_model, images):
    first = pgd(tiny_model, images, np.array([0, 1, 2, 3]), eps=0.05, steps=3, step_size=0.02, progress=False)
    traces = loop.trace_count()
    assert traces >= 1
    second = pgd(tiny_model, images, np.array([3, 2, 1, 0]), eps=0.2, steps=3, step_size=0.1, progress=False)
    assert loop.trace_count() == traces  # labels, eps and step size are inputs, not graph constants
    # ...and the reused trace really reads them: the larger ball is used, the labels are the new ones.
    assert np.abs(first.x_adv - images).max() <= 0.05 + 1e-6
    assert np.abs(second.x_adv - images).max() > 0.1
    np.testing.assert_array_equal(second.y_true, [3, 2, 1, 0])
    loop.clear_cache()
    fresh = pgd(tiny_model, images, np.array([3, 2, 1, 0]), eps=0.2, steps=3, step_size=0.1, progress=False)
    np.testing.assert_allclose(second.x_adv, fresh.x_adv, atol=1e-6)  # same as a loop compiled for it


def test_per_sample_targets_reuse_and_match_a_fresh_compile(tiny_model, images):
    kw = dict(steps=4, optimizer="adam", learning_rate=0.1, progress=False)
    optimize(O.class_logit(np.array([0, 1, 2, 3])), tiny_model, images, **kw)
    traces = loop.trace_count()
    reused = optimize(O.class_logit(np.array([4, 4, 0, 1])), tiny_model, images, **kw)
    assert loop.trace_count() == traces
    loop.clear_cache()
    fresh = optimize(O.class_logit(np.array([4, 4, 0, 1])), tiny_model, images, **kw)
    np.testing.assert_allclose(reused.images, fresh.images, atol=1e-6)
    np.testing.assert_allclose(reused.history, fresh.history, atol=1e-5)


def test_a_shared_const_is_not_confused_with_two(tiny_model, images):
    """f(c) + f(c) and f(a) + f(b) have one key each: a trace binds consts by position."""
    kw = dict(steps=2, optimizer="sign", learning_rate=0.01, progress=False)
    same = O.Const(np.array([0, 1, 2, 3]))
    pick = lambda c: O.Objective(lambda ctx: tf.gather(ctx["logits"], c.value, batch_dims=1), "pick",
                                 ["logits"], key=("pick",), consts=[c])
    optimize(pick(same) + pick(same), tiny_model, images, **kw)
    two = pick(O.Const(np.array([0, 1, 2, 3]))) + pick(O.Const(np.array([4, 4, 4, 4])))
    res = optimize(two, tiny_model, images, **kw)
    loop.clear_cache()
    fresh = optimize(pick(O.Const(np.array([0, 1, 2, 3]))) + pick(O.Const(np.array([4, 4, 4, 4]))),
                     tiny_model, images, **kw)
    np.testing.assert_allclose(res.values, fresh.values, atol=1e-6)


def test_steps_and_chunks_do_not_retrace_and_no_retracing_warning(tiny_model, images, caplog):
    obj = O.class_logit(2) - 1e-2 * O.tv()
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        optimize(obj, tiny_model, images, steps=3, progress=False)
        traces = loop.trace_count()
        for steps in (1, 7, loop.CHUNK + 5):  # the last one runs in two chunks
            res = optimize(O.class_logit(2) - 1e-2 * O.tv(), tiny_model, images, steps=steps, progress=False)
            assert res.history.shape == (steps, 4)
        optimize(obj, tiny_model, images, steps=5, progress=True)  # progress chunks
    assert loop.trace_count() == traces
    assert "retracing" not in caplog.text


@pytest.fixture
def fresh_tracing_detector(monkeypatch):
    """TensorFlow's retracing detector, fresh: it warns at most twice per key and process, so an earlier test's
    warnings would otherwise silence these tests' (a private name; the test is about TensorFlow's own warning)."""
    from tensorflow.python.eager.polymorphic_function import polymorphic_function as pf
    monkeypatch.setattr(pf, "_frequent_tracing_detector_manager", pf._FrequentTracingDetectorManager())


def test_structures_traced_once_each_raise_no_retracing_warning(tiny_model, images, caplog, fresh_tracing_detector):
    """Six programs in a row, each traced once and called once, are not "6 of the last 6 calls retraced"."""
    before = loop.trace_count()
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for k in range(6):  # the weight is part of the key: six structures
            optimize(O.class_logit(1) - float(k + 1) * O.l2(), tiny_model, images, steps=2, progress=False)
    assert loop.trace_count() == before + 6
    assert "retracing" not in caplog.text


def test_one_program_retraced_per_call_still_warns(tiny_model, images, caplog, fresh_tracing_detector):
    """The warning stays for what it is for: here a new batch size at every call of one program."""
    many = np.concatenate([images, images])
    before = loop.trace_count()
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for n in range(1, 8):
            optimize(O.class_logit(1), tiny_model, many[:n], steps=2, progress=False)
    assert loop.trace_count() == before + 7
    assert "retracing" in caplog.text


def test_a_different_structure_is_a_different_program(tiny_model, images):
    optimize(O.class_logit(1), tiny_model, images, steps=1, progress=False)
    traces = loop.trace_count()
    optimize(O.class_logit(1), tiny_model, images, steps=1, progress=False, constraint=C.linf_ball(0.1))
    optimize(O.class_logit(1) - 0.5 * O.l2(), tiny_model, images, steps=1, progress=False)
    assert loop.trace_count() == traces + 2


def test_optimize_tensors_runs_inside_a_tf_function_with_an_unknown_batch(tiny_model, images):
    from tfopt.attacks import common
    from tfopt.optim import optimize_tensors

    @tf.function(input_signature=[tf.TensorSpec([None, 16, 16, 3]), tf.TensorSpec([None], tf.int32),
                                  tf.TensorSpec([], tf.int32)])
    def attack(x, y, step):
        obj = common.adversarial_objective(y, -tf.ones_like(y))
        return optimize_tensors(obj, tiny_model, x, steps=5, learning_rate=0.05, constraint=C.linf_ball(0.2),
                                random_start=True, seed=step)

    y = tf.constant([0, 1, 2, 3])
    x_adv, margin = attack(images, y, tf.constant(0))
    x_adv2, _ = attack(images[:2], y[:2], tf.constant(1))  # another batch size, another seed: one trace
    assert x_adv.shape == images.shape and x_adv2.shape == (2, 16, 16, 3)
    assert np.abs(x_adv.numpy() - images).max() <= 0.2 + 1e-6
    logits = common.predict(tiny_model, x_adv.numpy())[0]
    np.testing.assert_allclose(common.success_margin(logits, y, -np.ones(4)).numpy(), margin.numpy(), atol=1e-4)
    clean = common.success_margin(common.predict(tiny_model, images)[0], y, -np.ones(4)).numpy()
    assert np.all(margin.numpy() >= clean - 1e-6)  # the best iterate is at least as adversarial as the start
    assert attack.experimental_get_tracing_count() == 1


def test_cw_search_rounds_share_one_trace(tiny_model, images):
    from tfopt.attacks import cw_l2
    before = loop.trace_count()
    res = cw_l2(tiny_model, images, np.array([0, 1, 2, 3]), steps=3, search_steps=3, progress=False)
    assert loop.trace_count() == before + 1  # three rounds with three vectors of c, one compiled loop
    assert res.params["const"].shape == (4,)
    assert len(set(np.round(res.params["const"], 6))) >= 1 and not np.allclose(res.params["const"], 1.0)


def test_optimize_tensors_reads_a_radius_variable_without_retracing(tiny_model, images):
    from tfopt.attacks import common
    from tfopt.optim import optimize_tensors
    radius = tf.Variable(0.05)

    @tf.function
    def attack(x, y):
        obj = common.adversarial_objective(y, -tf.ones_like(y))
        return optimize_tensors(obj, tiny_model, x, steps=3, learning_rate=radius / 2, constraint=C.linf_ball(0.3),
                                radius=radius, random_start=True)[0]

    y = tf.constant([0, 1, 2, 3])
    small = attack(images, y).numpy()
    radius.assign(0.2)
    large = attack(images, y).numpy()
    assert attack.experimental_get_tracing_count() == 1
    assert np.abs(small - images).max() <= 0.05 + 1e-6 < 0.1 < np.abs(large - images).max() <= 0.2 + 1e-6


def test_the_loop_body_calls_the_gradient_pass_as_its_own_function(tiny_model, images):
    """Not inlined into the while body, where oneDNN's rewrite of MaxPoolGrad fails at random (see Program)."""
    pgd(tiny_model, images, np.array([0, 1, 2, 3]), eps=0.05, steps=3, step_size=0.02, progress=False)
    (prog,) = [entry[1] for entry in loop._PROGRAMS.values()]
    assert prog.run.experimental_get_tracing_count() == 1
    assert prog._evaluate_call.experimental_get_tracing_count() == 1  # traced by the loop's trace, for its body
