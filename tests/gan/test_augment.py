"""DiffAugment functions: exact pixel moves, background fill, gradients flow."""
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import augment


def test_translate_moves_pixels_and_fills_with_background():
    x = np.full((2, 6, 6, 1), -1.0, np.float32)
    x[:, 2, 3] = 1.0
    y = augment.translate(x, tf.constant([[1, -2], [0, 0]])).numpy()
    assert np.argwhere(y[0, ..., 0] > 0).tolist() == [[3, 1]]
    np.testing.assert_allclose(y[1], x[1])
    gone = augment.translate(x, tf.constant([[0, 4], [5, 0]])).numpy()  # pushed out of the frame
    np.testing.assert_allclose(gone, -1.0)


def test_cutout_blanks_a_square_and_gradients_flow():
    x = tf.Variable(np.ones((1, 6, 6, 1), np.float32))
    with tf.GradientTape() as tape:
        y = augment.cutout(augment.translate(x, tf.constant([[1, 0]])), tf.constant([[0, 5]]), 4)
        total = tf.reduce_sum(y)
    cut = y.numpy()[0, ..., 0]
    assert (cut[:2, 4:] == -1).all() and (cut[2:, :] == 1).all() and (cut[0, :4] == -1).all()  # row 0: shifted in
    grad = tape.gradient(total, x).numpy()[0, ..., 0]
    assert grad.sum() == (cut == 1).sum()  # one unit per surviving pixel


def test_parse_policy():
    assert augment.parse_policy("translation, cutout") == ("translation", "cutout")
    assert augment.parse_policy("") == ()
    with pytest.raises(InputError, match="'color'"):
        augment.parse_policy("translation,color")
