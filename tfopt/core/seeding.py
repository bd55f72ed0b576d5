"""Seeding Python, NumPy, TensorFlow and Keras so CPU runs repeat.

Example:
    set_seed(0)
"""
import numbers

from tfopt.core.errors import InputError

__all__ = ["set_seed"]


def set_seed(seed, *, deterministic=False):
    """Seeds Python, NumPy, TensorFlow and Keras so CPU runs repeat.

    Args:
        seed: a non-negative integer.
        deterministic: also call ``tf.config.experimental.enable_op_determinism()``
            (bit-exact but slower, and ops without a deterministic kernel then raise).
            Process-wide, so off by default.

    Returns:
        The seed.
    """
    import keras

    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError(f"expected seed to be a non-negative integer; received: seed={seed!r}")
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return int(seed)
