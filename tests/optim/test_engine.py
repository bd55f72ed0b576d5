import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.optim import constraints as C
from tfopt.optim import evaluate, optimize
from tfopt.optim import objectives as O
from tfopt.optim import transforms as T

TARGETS = np.array([0, 1, 2, 3])


@pytest.mark.parametrize("optimizer,lr", [("adam", 0.02), ("sgd", 50.0), ("sign", 0.02), ("l2", 0.5),
                                          ("lbfgs", 0.02)])
def test_each_optimizer_raises_the_objective(tiny_model, images, optimizer, lr):
    obj = O.class_logit(TARGETS)
    before = evaluate(obj, tiny_model, images)
    res = optimize(obj, tiny_model, images, steps=3, optimizer=optimizer, learning_rate=lr, progress=False)
    assert res.images.shape == images.shape
    assert np.all(res.values > before + 1e-3)
    np.testing.assert_allclose(evaluate(obj, tiny_model, res.images), res.values, rtol=1e-4, atol=1e-5)


def test_minimize_lowers_the_objective(tiny_model, images):
    obj = O.cross_entropy(TARGETS)
    before = evaluate(obj, tiny_model, images)
    res = optimize(obj, tiny_model, images, steps=3, maximize=False, progress=False)
    assert np.all(res.values < before)


@pytest.mark.parametrize("ball,norm", [(C.linf_ball(0.03), np.inf), (C.l2_ball(0.5), 2)])
def test_projected_samples_never_leave_the_ball(tiny_model, images, ball, norm):
    res = optimize(O.cross_entropy(TARGETS), tiny_model, images, steps=6, optimizer="sign",
                   learning_rate=0.05, constraint=ball, restarts=2, random_start=True, progress=False)
    d = (res.images - images).reshape(len(images), -1)
    eps = 0.03 if norm == np.inf else 0.5
    assert np.all(np.linalg.norm(d, ord=norm, axis=1) <= eps + 1e-5)
    assert res.images.min() >= 0 and res.images.max() <= 1
    assert np.all(np.linalg.norm(d, ord=norm, axis=1) > 0.5 * eps)  # it did move to the boundary region


def test_stopped_samples_stay_unchanged(tiny_model, images):
    obj = O.class_logit(TARGETS)
    before = evaluate(obj, tiny_model, images)
    threshold = before + np.array([-1.0, -1.0, 1e9, 1e9])  # samples 0, 1 meet it at once
    res = optimize(obj, tiny_model, images, steps=5, stop=lambda ctx, v: v >= threshold, keep="last",
                   progress=False)
    np.testing.assert_array_equal(res.images[:2], images[:2])
    assert list(res.steps) == [0, 0, 5, 5]
    assert list(res.stopped) == [True, True, False, False]
    assert not np.allclose(res.images[2:], images[2:])


def test_restarts_keep_the_best_per_sample(tiny_model, images):
    obj = O.class_logit(TARGETS)
    res = optimize(obj, tiny_model, images, steps=2, restarts=3, restart_noise=0.3, progress=False)
    assert res.restart_values.shape == (3, 4)
    np.testing.assert_allclose(res.values, res.restart_values.max(0))
    np.testing.assert_array_equal(res.restart, res.restart_values.argmax(0))
    np.testing.assert_allclose(evaluate(obj, tiny_model, res.images), res.values, rtol=1e-4, atol=1e-5)
    # Restart 0 starts at `images` and runs exactly as an unfolded run: samples are independent.
    alone = optimize(obj, tiny_model, images, steps=2, progress=False)
    np.testing.assert_allclose(res.restart_values[0], alone.values, rtol=1e-5, atol=1e-5)
    assert np.all(res.values >= alone.values - 1e-6)
    assert len(set(np.round(res.restart_values[:, 0], 4))) == 3  # the restarts really differ


def test_same_seed_same_result(tiny_model, images):
    kw = dict(steps=3, transforms=T.default_transforms(16), param="fft", progress=False)
    obj = O.layer_activation("conv2")  # every channel: a single one of this tiny net can be dead
    a = optimize(obj, tiny_model, images, seed=5, **kw)
    b = optimize(obj, tiny_model, images, seed=5, **kw)
    c = optimize(obj, tiny_model, images, seed=6, **kw)
    assert np.all(a.history[-1] > a.history[0])  # it moved
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)


def test_cosine_decay_starts_at_the_rate_and_shrinks_the_steps(tiny_model, images):
    obj = O.class_logit(TARGETS)
    kw = dict(optimizer="sgd", learning_rate=50.0, keep="last", progress=False)
    one_const = optimize(obj, tiny_model, images, steps=1, **kw)
    one_cos = optimize(obj, tiny_model, images, steps=1, decay="cosine", **kw)
    np.testing.assert_allclose(one_cos.images, one_const.images, atol=1e-6)  # the first step uses the full rate
    const = optimize(obj, tiny_model, images, steps=4, **kw)
    cos = optimize(obj, tiny_model, images, steps=4, decay="cosine", **kw)
    moved = [np.abs(r.images - images).sum() for r in (const, cos)]
    assert moved[1] < 0.8 * moved[0]  # rates 1, 0.85, 0.5, 0.15 of the constant one
    assert np.all(cos.values > evaluate(obj, tiny_model, images))


def test_history_and_steps_are_recorded(tiny_model, images):
    res = optimize(O.class_logit(2), tiny_model, images, steps=4, progress=False)
    assert res.history.shape == (4, 4)
    assert np.all(res.steps == 4)
    assert res.evaluations == 5


@pytest.mark.parametrize("optimizer,keep", [("sign", "best"), ("sign", "last"), ("lbfgs", "best"),
                                           ("lbfgs", "last")])
def test_evaluations_are_the_forward_passes_run(images, optimizer, keep):
    """``evaluations`` is what the model ran: keeping the last point costs no pass of its own."""
    import keras

    class Count(keras.layers.Layer):
        def build(self, shape):
            self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

        def call(self, x):
            self.calls.assign_add(1.0)
            return x

    count = Count()
    inp = keras.Input((16, 16, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3, name="conv")(count(inp)))
    model = keras.Model(inp, keras.layers.Dense(5, name="logits_dense")(x))
    res = optimize(O.class_logit(2), model, images, steps=4, optimizer=optimizer, learning_rate=0.02, keep=keep,
                   progress=False)
    assert res.evaluations == int(count.calls.numpy())
    assert res.evaluations == 5 or optimizer == "lbfgs"  # four steps and the final point


@pytest.mark.parametrize("kwargs", [dict(steps=-1), dict(restarts=0), dict(optimizer="rmsprop"),
                                    dict(learning_rate=0), dict(optimizer="lbfgs", transforms=[T.jitter(2)]),
                                    dict(param="fft", constraint=C.linf_ball(0.1)), dict(decay="linear"),
                                    dict(optimizer="lbfgs", decay="cosine")])
def test_bad_arguments_raise_input_error(tiny_model, images, kwargs):
    with pytest.raises(InputError):
        optimize(O.class_logit(0), tiny_model, images, progress=False, **kwargs)


def test_unknown_layer_lists_valid_names(tiny_model, images):
    with pytest.raises(InputError, match="conv2"):
        optimize(O.channel("nope", 0), tiny_model, images, steps=1, progress=False)


def test_repeated_calls_do_not_warn_about_retracing(tiny_model, images, caplog):
    for k in range(7):  # a new compiled step per call is by design (constants live in the graph)
        optimize(O.class_logit(k % 5), tiny_model, images[:1], steps=1, progress=False)
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
