"""tfopt.core.seeding: one seed repeats Python, NumPy and TensorFlow draws."""
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.core.seeding import set_seed


def test_set_seed_repeats_numpy_and_tensorflow():
    set_seed(7)
    first = (np.random.rand(3), tf.random.uniform([3]).numpy())
    set_seed(7)
    second = (np.random.rand(3), tf.random.uniform([3]).numpy())
    set_seed(8)
    third = np.random.rand(3)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], third)
    with pytest.raises(InputError):
        set_seed(-1)
