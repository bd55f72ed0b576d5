"""tfopt.optim.tiled: tiles cover the image; tiling and rolling change nothing for a pointwise network."""
import keras
import numpy as np
import tensorflow as tf

from tfopt.models.features import FeatureModel
from tfopt.optim import objectives as O
from tfopt.optim.objectives import Context
from tfopt.optim.tiled import tile_starts, tiled


def test_tile_starts_cover_the_side():
    assert tile_starts(10, 10) == [0]
    starts = tile_starts(70, 32)
    assert starts[0] == 0 and starts[-1] == 70 - 32 and len(starts) == 3


def _pointwise_model():
    keras.utils.set_random_seed(1)
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 1, activation="tanh", name="mix")(inp)
    return keras.Model(inp, x)


def test_tiled_gradient_equals_full_gradient_for_a_pointwise_model():
    """With 1x1 convolutions nothing crosses a tile seam: tiling and rolling must change nothing."""
    model = _pointwise_model()
    plain = O.layer_activation("mix")
    x = tf.constant(np.random.default_rng(0).random((2, 20, 25, 3)), tf.float32)
    fm = FeatureModel(model, ["mix"])
    with tf.GradientTape() as tape:
        tape.watch(x)
        full = plain(Context(fm(x), x))
        full_sum = tf.reduce_sum(full)
    g_full = tape.gradient(full_sum, x)
    wrapped = tiled(plain, model, tile_size=10, seed=3)
    assert wrapped.layers == frozenset()
    with tf.GradientTape() as tape:
        tape.watch(x)
        tv = wrapped(Context({}, x))
        tv_sum = tf.reduce_sum(tv)
    g_tiled = tape.gradient(tv_sum, x)
    np.testing.assert_allclose(tv.numpy(), full.numpy(), rtol=1e-5)
    # Six tiles (10 x 8 or 9), weighted by area: value and gradient are the untiled ones.
    np.testing.assert_allclose(g_tiled.numpy(), g_full.numpy(), rtol=1e-4, atol=1e-8)
