"""Spectral norm with one power iteration per step; conditional batch norm; self-attention; latent chunks."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.layers import (ConditionalBatchNorm, LatentChunks, SelfAttention, SpectralConv2D, SpectralDense,
                          update_spectral_norms)


def _model():
    keras.utils.set_random_seed(0)
    x = keras.Input((6, 6, 3))
    h = SpectralConv2D(4, 3, kernel_initializer="glorot_uniform", name="conv")(x)
    return keras.Model(x, SpectralDense(2, kernel_initializer="glorot_uniform", name="dense")(
        keras.layers.Flatten()(h)))


def test_power_iteration_finds_the_top_singular_value_and_the_kernel_is_normalized():
    model = _model()
    conv = model.get_layer("conv")
    true = np.linalg.svd(conv.kernel.numpy().reshape(-1, 4), compute_uv=False)[0]
    assert abs(float(conv.sigma()) - true) > 1e-3  # a random u is not there yet
    for _ in range(50):
        assert update_spectral_norms(model) == 2
    assert float(conv.sigma()) == pytest.approx(true, rel=1e-4)
    x = np.random.default_rng(0).normal(size=(1, 6, 6, 3)).astype(np.float32)
    # The layer computes with W / sigma: scaling the raw kernel changes nothing.
    before = model(x).numpy()
    conv.kernel.assign(conv.kernel * 7.0)
    np.testing.assert_allclose(model(x).numpy(), before, rtol=1e-4, atol=1e-5)


def test_calls_do_not_move_u_only_the_per_step_update_does():
    model = _model()
    u = [layer.sn_u.numpy().copy() for layer in (model.get_layer("conv"), model.get_layer("dense"))]
    x = np.ones((2, 6, 6, 3), np.float32)
    for _ in range(3):  # real, fake, interpolated: three calls of one step
        model(x, training=True)
    np.testing.assert_array_equal(model.get_layer("conv").sn_u.numpy(), u[0])
    update_spectral_norms(model)
    assert not np.allclose(model.get_layer("conv").sn_u.numpy(), u[0])


def test_gradients_flow_through_sigma():
    layer = SpectralDense(3, use_bias=False, kernel_initializer="glorot_uniform")
    x = tf.constant(np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32))
    layer(x)
    for _ in range(30):
        layer.per_step_update()
    with tf.GradientTape(persistent=True) as tape:
        through = tf.reduce_sum(layer(x) ** 2)
        frozen = tf.reduce_sum((x @ (layer.kernel / tf.stop_gradient(layer.sigma()))) ** 2)
    g_through, g_frozen = tape.gradient(through, layer.kernel), tape.gradient(frozen, layer.kernel)
    np.testing.assert_allclose(through.numpy(), frozen.numpy(), rtol=1e-4)  # same value
    assert np.abs(np.asarray(g_through) - np.asarray(g_frozen)).max() > 1e-3  # but sigma's own gradient is in it


def test_spectral_layers_save_their_u_and_reload_with_safe_mode(tmp_path):
    model = _model()
    for _ in range(5):
        update_spectral_norms(model)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_array_equal(loaded.get_layer("conv").sn_u.numpy(), model.get_layer("conv").sn_u.numpy())
    x = np.random.default_rng(2).normal(size=(2, 6, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)


def test_conditional_batch_norm_is_gain_and_bias_of_the_condition():
    layer = ConditionalBatchNorm(spectral_norm=False)
    x = np.random.default_rng(0).normal(2.0, 3.0, size=(8, 4, 4, 5)).astype(np.float32)
    c = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    out = layer([x, c], training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    gain = 1.0 + c @ layer.gain.kernel.numpy() + layer.gain.bias.numpy()
    bias = c @ layer.offset.kernel.numpy() + layer.offset.bias.numpy()
    expected = (x - mean) / np.sqrt(var + 1e-4) * gain[:, None, None, :] + bias[:, None, None, :]
    np.testing.assert_allclose(out, expected, rtol=1e-3, atol=1e-3)
    assert not np.allclose(out[0], layer([x, c[::-1]], training=True).numpy()[0])  # the condition matters


def test_self_attention_starts_as_the_identity_and_chunks_split_z():
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 16)).astype(np.float32)
    attention = SelfAttention()
    np.testing.assert_allclose(attention(x).numpy(), x, atol=1e-6)  # gamma = 0
    attention.gamma.assign(1.0)
    assert np.abs(attention(x).numpy() - x).max() > 1e-3
    parts = LatentChunks(3)(np.arange(12, dtype=np.float32).reshape(2, 6))
    assert [p.numpy().tolist() for p in parts] == [[[0, 1], [6, 7]], [[2, 3], [8, 9]], [[4, 5], [10, 11]]]
    with pytest.raises(ValueError, match="divisible by chunks=4"):
        LatentChunks(4)(np.zeros((1, 6), np.float32))
