"""Progressive GAN's layers: equalized learning rate, pixel norm, minibatch stddev (contiguous groups), fade-in.

The two-replica check runs in a subprocess: logical CPU devices must be configured
before TensorFlow initializes.
"""
import math
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.layers import EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStddev, PixelNorm



def _normal(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("make, x, fan_in", [
    (lambda: EqualizedDense(64, lr_multiplier=0.5), _normal((64, 4, 8, 8)), 256),  # rank 4 in: flattened
    (lambda: EqualizedConv2D(32, 3, gain=1.0, lr_multiplier=2.0), _normal((8, 6, 6, 16)), 144),
])
def test_equalized_layers_store_n01_over_lr_and_scale_at_run_time(make, x, fan_in):
    keras.utils.set_random_seed(0)
    layer = make()
    y = layer(x).numpy()
    kernel = layer.kernel.numpy()
    assert layer.scale == pytest.approx(layer.gain / math.sqrt(fan_in) * layer.lr_multiplier)
    assert kernel.std() == pytest.approx(1.0 / layer.lr_multiplier, rel=0.06)
    assert (kernel * layer.scale).std() == pytest.approx(layer.gain / math.sqrt(fan_in), rel=0.06)  # He std
    conv = isinstance(layer, EqualizedConv2D)
    inner = y[:, 1:-1, 1:-1] if conv else y  # away from the zero padding
    assert inner.var() == pytest.approx(layer.gain ** 2, rel=0.15)  # unit-variance input: variance gain^2
    layer.bias.assign(np.full(layer.bias.shape, 0.3, np.float32))  # the bias is times lr_multiplier
    w = kernel * layer.scale
    expected = (tf.nn.conv2d(x, w, 1, "SAME").numpy() if conv else x.reshape(len(x), -1) @ w)
    expected = expected + 0.3 * layer.lr_multiplier
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("layer, x", [(EqualizedDense(5, lr_multiplier=0.1), _normal((3, 2, 4))),
                                      (EqualizedConv2D(4, 3), _normal((2, 5, 5, 3)))])
def test_the_kernel_gradient_is_the_plain_gradient_times_the_run_time_scale(layer, x):
    layer(x)
    r = tf.constant(_normal(layer.compute_output_shape(x.shape), seed=1))
    plain = tf.Variable(layer.kernel.numpy() * layer.scale)
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_sum(r * layer(x))
        if x.ndim == 4:
            ref = tf.reduce_sum(r * tf.nn.conv2d(x, plain, 1, "SAME"))
        else:
            ref = tf.reduce_sum(r * tf.matmul(x.reshape(len(x), -1), plain))
    got, want = tape.gradient(loss, layer.kernel), tape.gradient(ref, plain)
    assert np.abs(want.numpy()).max() > 0.1
    np.testing.assert_allclose(got.numpy(), layer.scale * want.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("cls, kwargs, shape", [
    (EqualizedDense, {"units": 3, "gain": 1.0, "lr_multiplier": 0.01, "use_bias": False}, (2, 3, 3, 2)),
    (EqualizedConv2D, {"filters": 4, "kernel_size": 1, "lr_multiplier": 0.5}, (2, 3, 3, 2)),
    (PixelNorm, {"epsilon": 1e-4}, (2, 3, 3, 2)),
    (MinibatchStddev, {"group_size": 2}, (2, 3, 3, 2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_config_round_trip_gives_the_same_layer(cls, kwargs, shape):
    layer = cls(**kwargs, name="a")
    x = _normal(shape)
    y = layer(x).numpy()
    assert y.shape == layer.compute_output_shape(x.shape)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(clone) is cls and clone.get_config() == layer.get_config() and clone.built
    assert all(clone.get_config()[k] == v for k, v in kwargs.items())
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y, atol=1e-6)


def _model():
    keras.utils.set_random_seed(0)
    image = keras.Input((4, 4, 3))
    h = MinibatchStddev(2)(PixelNorm()(EqualizedConv2D(5, 3, lr_multiplier=0.5)(image)))
    old, new = EqualizedDense(3, gain=1.0)(h), EqualizedDense(3, lr_multiplier=0.1)(h)
    return keras.Model(image, FadeIn(name="fade")([old, new]))


def test_a_model_of_these_layers_saves_and_loads_in_safe_mode_with_its_alpha(tmp_path):
    model = _model()
    for layer in model.layers:  # non-zero biases, so lr_multiplier on the bias is checked too
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(_normal(layer.bias.shape, seed=3))
    model.get_layer("fade").set_alpha(0.375)
    model.save(tmp_path / "pg.keras")
    loaded = keras.saving.load_model(tmp_path / "pg.keras", safe_mode=True)
    assert loaded.get_layer("fade").alpha_value == 0.375
    x = _normal((4, 4, 4, 3), seed=2)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 4, 6)])
def test_pixel_norm_gives_unit_mean_square_over_channels(shape):
    y = PixelNorm()(_normal(shape) * 7.0 + 1.0).numpy()
    np.testing.assert_allclose(np.mean(y ** 2, axis=-1), 1.0, atol=1e-4)


def _stddev_feature(x, group):
    """numpy: contiguous groups of ``group`` examples, std over the group, mean over H, W, C."""
    g = x.astype(np.float64).reshape(-1, group, *x.shape[1:])
    return np.repeat(np.sqrt(g.var(axis=1) + 1e-8).mean(axis=(1, 2, 3)), group)


def test_minibatch_stddev_appends_the_contiguous_group_std():
    x = _normal((8, 2, 2, 3)) * np.arange(1, 9, dtype=np.float32)[:, None, None, None]
    y = MinibatchStddev(4)(x).numpy()
    assert y.shape == (8, 2, 2, 4)
    np.testing.assert_array_equal(y[..., :3], x)
    want = _stddev_feature(x, 4)
    np.testing.assert_allclose(y[..., 3], np.broadcast_to(want[:, None, None], (8, 2, 2)), rtol=1e-5)
    assert want[0] != pytest.approx(want[4], rel=0.1)  # the two groups differ: grouping is checked
    strided = np.sqrt(x.reshape(4, 2, 2, 2, 3).var(axis=0) + 1e-8).mean(axis=(1, 2, 3))  # the reference's groups
    assert not np.allclose(strided, want[[0, 4]], rtol=0.1)


def test_minibatch_stddev_uses_the_largest_divisor_of_an_unknown_batch():
    layer = MinibatchStddev(4)
    call = tf.function(layer, input_signature=[tf.TensorSpec([None, 2, 2, 3], tf.float32)])
    x = _normal((6, 2, 2, 3), seed=1)
    np.testing.assert_allclose(call(x).numpy()[:, 0, 0, 3], _stddev_feature(x, 3), rtol=1e-5)   # 6: groups of 3
    np.testing.assert_allclose(call(x[:5]).numpy()[:, 0, 0, 3], _stddev_feature(x[:5], 1), rtol=1e-5)  # prime
    np.testing.assert_allclose(call(x[:1]).numpy()[..., 3], 1e-4, rtol=1e-5)   # one example: sqrt(1e-8)
    assert call.experimental_get_tracing_count() == 1


def test_minibatch_stddev_of_two_contiguous_halves_equals_the_whole_batch():
    layer, x = MinibatchStddev(4), _normal((8, 2, 2, 3), seed=4)
    halves = np.concatenate([layer(x[:4]).numpy(), layer(x[4:]).numpy()])
    np.testing.assert_allclose(halves, layer(x).numpy(), rtol=1e-6)


def test_fade_in_blends_old_and_new_by_alpha():
    fade = FadeIn()
    old, new = _normal((3, 4), seed=5), _normal((3, 4), seed=6)
    assert fade.alpha_value == 1.0 and fade.alpha.dtype == "float32" and not fade.trainable_weights
    np.testing.assert_array_equal(fade([old, new]).numpy(), new)
    fade.set_alpha(0)
    np.testing.assert_array_equal(fade([old, new]).numpy(), old)
    fade.set_alpha(0.25)
    np.testing.assert_allclose(fade([old, new]).numpy(), 0.75 * old + 0.25 * new, rtol=1e-6)
    for bad in (1.5, -0.1, float("nan"), True, "0.5"):
        with pytest.raises(InputError, match="expected 0 <= alpha <= 1; received: value="):
            fade.set_alpha(bad)
    assert fade.alpha_value == 0.25


def test_assigning_alpha_between_compiled_calls_changes_the_output_without_retracing():
    with tf.distribute.get_strategy().scope():
        fade = FadeIn()
    old, new = np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)
    call = tf.function(lambda o, n: fade([o, n]))
    seen = []
    for alpha in (0.0, 0.5, 1.0):
        fade.set_alpha(alpha)
        seen.append(float(call(old, new).numpy()[0, 0]))
    assert seen == [0.0, 0.5, 1.0] and call.experimental_get_tracing_count() == 1
    tf.function(lambda: fade.set_alpha(0.125))()  # an assignment inside a compiled step
    assert fade.alpha_value == 0.125


@pytest.mark.parametrize("make, match", [
    (lambda: EqualizedDense(0), "expected units to be an int >= 1; received: units=0"),
    (lambda: EqualizedDense(3, gain=0.0), "received: gain=0.0"),
    (lambda: EqualizedConv2D(3, 3, lr_multiplier=-1), "received: lr_multiplier=-1"),
    (lambda: EqualizedConv2D(3, 2.5), "received: kernel_size=2.5"),
    (lambda: PixelNorm(epsilon=0), "received: epsilon=0"),
    (lambda: MinibatchStddev(0), "received: group_size=0"),
    (lambda: MinibatchStddev()(_normal((4, 3))), "expected an input \\[B, H, W, C\\]"),
    (lambda: FadeIn()([_normal((2, 3)), _normal((2, 4))]), "expected \\[old, new\\] of one shape"),
    (lambda: FadeIn()(_normal((2, 3))), "expected \\[old, new\\] of one shape"),
])
def test_bad_arguments_raise_one_line_input_errors(make, match):
    with pytest.raises(InputError, match=match) as info:
        make()
    assert "\n" not in str(info.value)


_MIRRORED = textwrap.dedent("""
    import json
    import numpy as np
    from tfopt import distribute
    distribute.use_logical_cpus(2)
    import tensorflow as tf
    from tfopt.layers import FadeIn, MinibatchStddev

    strategy = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
    with strategy.scope():
        fade, stddev = FadeIn(), MinibatchStddev(4)
    rng = np.random.default_rng(0)
    old, new, x = (rng.normal(size=s).astype("float32") for s in ((8, 3), (8, 3), (8, 2, 2, 3)))
    data = tf.data.Dataset.from_tensor_slices((old, new, x)).batch(8)
    batch = next(iter(strategy.experimental_distribute_dataset(data)))  # 4 contiguous examples a replica

    @tf.function
    def step(batch):
        return strategy.run(lambda o, n, x: (fade([o, n]), stddev(x)), args=batch)

    out = {"replicas": strategy.num_replicas_in_sync, "blend": {}}
    for alpha in (0.0, 0.25, 1.0):
        fade.set_alpha(alpha)  # cross-replica context, between steps
        y, s = step(batch)
        y = np.concatenate([v.numpy() for v in strategy.experimental_local_results(y)])
        out["blend"][str(alpha)] = float(np.abs(y - ((1 - alpha) * old + alpha * new)).max())
    s = np.concatenate([v.numpy() for v in strategy.experimental_local_results(s)])
    out["stddev"] = float(np.abs(s - MinibatchStddev(4)(x).numpy()).max())
    out["traces"] = int(step.experimental_get_tracing_count())
    tf.function(lambda: strategy.run(lambda: fade.set_alpha(0.5)))()  # and from replica context
    out["alpha"] = fade.alpha_value
    out["components"] = [float(v.numpy()) for v in strategy.experimental_local_results(fade.alpha.value)]
    print("RESULT " + json.dumps(out))
""")


def test_two_mirrored_replicas_read_alpha_assigned_between_steps_and_agree_on_the_stddev(run_program):
    out = run_program(_MIRRORED)
    assert out["replicas"] == 2 and out["traces"] == 1, out
    assert all(err < 1e-6 for err in out["blend"].values()), out
    assert out["stddev"] < 1e-6, out
    assert out["alpha"] == 0.5 and out["components"] == [0.5, 0.5], out
