import numpy as np
import pytest
import tensorflow as tf

from tfopt.models.features import FeatureModel
from tfopt.optim import evaluate, optimize
from tfopt.optim import objectives as O


def _targets(model, images, layer):
    return FeatureModel(model, [layer])(tf.constant(images[::-1].copy()))[layer].numpy()


CASES = {
    # name: (objective builder(model, images), maximize)
    "class_logit": (lambda m, x: O.class_logit(1), True),
    "class_prob": (lambda m, x: O.class_prob([0, 1, 2, 3]), True),
    "margin": (lambda m, x: O.margin([4, 4, 4, 4]), True),
    "cross_entropy": (lambda m, x: O.cross_entropy(2), False),
    "channel": (lambda m, x: O.channel("conv", 3), True),
    "layer_activation": (lambda m, x: O.layer_activation("conv"), True),
    "feature_match": (lambda m, x: O.feature_match("penultimate", _targets(m, x, "penultimate")), False),
    "content": (lambda m, x: O.content("conv2", _targets(m, x, "conv2")), False),
    "style": (lambda m, x: O.style(["conv", "conv2"], [O.gram(_targets(m, x, "conv"))[0],
                                                        O.gram(_targets(m, x, "conv2"))]), False),
    "tv": (lambda m, x: O.tv(2), False),
    "tv1": (lambda m, x: O.tv(1), False),
    "l2": (lambda m, x: O.l2(0.5), False),
    "alpha_norm": (lambda m, x: O.alpha_norm(6, 0.5), False),
    "blur": (lambda m, x: O.blur(1.0), False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_three_steps_improve_each_objective(tiny_model, images, name):
    build, maximize = CASES[name]
    obj = build(tiny_model, images)
    before = evaluate(obj, tiny_model, images)
    assert before.shape == (4,)
    res = optimize(obj, tiny_model, images, steps=3, optimizer="adam", learning_rate=0.01, maximize=maximize,
                   progress=False)
    improved = res.values > before if maximize else res.values < before
    assert np.all(improved), (before, res.values)


def test_arithmetic_combines_values_and_layers(tiny_model, images):
    a, b = O.class_logit(0), O.channel("conv", 1)
    combo = 2 * a - b + 1.0
    assert combo.layers == {"logits", "conv"}
    va, vb, vc = (evaluate(o, tiny_model, images) for o in (a, b, combo))
    np.testing.assert_allclose(vc, 2 * va - vb + 1.0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(evaluate(-a * 0.5, tiny_model, images), -0.5 * va, rtol=1e-6)
    np.testing.assert_allclose(evaluate(a * b, tiny_model, images), va * vb, rtol=1e-5, atol=1e-7)


def test_gram_value_and_gradient_match_autodiff_of_the_plain_product():
    rng = np.random.RandomState(0)
    f = tf.constant(rng.randn(2, 5, 4, 3).astype("float32"))
    w = tf.constant(rng.randn(2, 3, 3).astype("float32"))  # not symmetric: checks both halves of dG
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(f)
        plain = tf.einsum("bhwc,bhwd->bcd", f, f) / (5 * 4 * 3)
        fast = O.gram(f)
        l_plain, l_fast = tf.reduce_sum(plain * w), tf.reduce_sum(fast * w)
    np.testing.assert_allclose(fast.numpy(), plain.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tape.gradient(l_fast, f).numpy(), tape.gradient(l_plain, f).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_gram_is_size_invariant():
    f = np.random.RandomState(1).rand(1, 8, 8, 4).astype("float32")
    big = np.tile(f, [1, 2, 3, 1])  # the same texture on a larger canvas
    np.testing.assert_allclose(O.gram(big).numpy(), O.gram(f).numpy(), rtol=1e-5)


def test_feature_match_is_zero_at_target_and_normalized(tiny_model, images):
    target = FeatureModel(tiny_model, ["penultimate"])(tf.constant(images))["penultimate"].numpy()
    np.testing.assert_allclose(evaluate(O.feature_match("penultimate", target), tiny_model, images), 0, atol=1e-6)
    zero_code = evaluate(O.feature_match("penultimate", 2 * target), tiny_model, images)
    np.testing.assert_allclose(zero_code, 0.25, rtol=1e-4)  # ||phi - 2phi||^2 / ||2phi||^2


def test_margin_and_cross_entropy_from_logits(tiny_model, images):
    logits = FeatureModel(tiny_model, ["logits"])(tf.constant(images))["logits"].numpy()
    y = np.array([0, 1, 2, 3])
    m = evaluate(O.margin(y), tiny_model, images)
    other = np.where(np.eye(5)[y] > 0, -np.inf, logits).max(1)
    np.testing.assert_allclose(m, logits[np.arange(4), y] - other, rtol=1e-5, atol=1e-6)
    xe = evaluate(O.cross_entropy(y), tiny_model, images)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(xe, -logp[np.arange(4), y], rtol=1e-5, atol=1e-6)


def test_tv_of_constant_image_is_zero_and_grows_with_noise(tiny_model):
    flat = np.full([1, 16, 16, 3], 0.5, np.float32)
    noisy = flat + 0.1 * np.random.RandomState(0).randn(1, 16, 16, 3).astype("float32")
    assert evaluate(O.tv(2), tiny_model, flat)[0] < 1e-6
    assert evaluate(O.tv(2), tiny_model, noisy)[0] > 1e-3


def test_straight_through_has_one_objective_s_value_and_the_other_s_gradient(tiny_model, images):
    value, steer = O.cross_entropy(2), O.tv(2.0)
    both = O.straight_through(value, steer)
    x = tf.Variable(images)
    fm = FeatureModel(tiny_model, both.layers)

    def grad(objective):
        with tf.GradientTape() as tape:
            out = objective(O.Context(fm(x), x))
            total = tf.reduce_sum(out)
        return out.numpy(), tape.gradient(total, x).numpy()

    (v, g), (v0, _), (_, g0) = grad(both), grad(value), grad(steer)
    np.testing.assert_allclose(v, v0, rtol=1e-6)
    np.testing.assert_allclose(g, g0, rtol=1e-5, atol=1e-8)
    assert both.layers == value.layers | steer.layers
