"""Batched L-BFGS pieces: every sample keeps its own curvature history.

Hand-written because neither Keras nor core TensorFlow ships L-BFGS (it lives in
TensorFlow Probability, which tfopt does not depend on, and which optimizes one flat
vector: a batch of images would share one line search and one history, so samples
would no longer optimize independently). Here every reduction is per sample.
"""
import tensorflow as tf

__all__ = ["dot", "direction", "push"]

# direction() runs eagerly: its history grows from 0 to `memory` pairs, and a traced
# version would retrace for each length while saving nothing next to the network pass.


def dot(a, b):
    """Per-sample inner products of [N, ...] tensors: [N]."""
    return tf.reduce_sum(tf.reshape(a * b, [tf.shape(a)[0], -1]), -1)


def _bc(v, like):
    return tf.reshape(v, tf.concat([tf.shape(v), tf.ones([tf.rank(like) - 1], tf.int32)], 0))


def direction(g, s_hist, y_hist, rho_hist, gamma):
    """The two-loop recursion: ``-H g`` per sample.

    Args:
        g: gradient of the function being minimized, [N, ...].
        s_hist, y_hist: lists of past steps and gradient changes, oldest first, each [N, ...].
        rho_hist: list of ``1 / <s, y>`` per sample ([N]); 0 for pairs that were skipped.
        gamma: initial Hessian scale per sample ([N]).

    Returns:
        The search direction, [N, ...].
    """
    q = g
    alphas = []
    for s, y, rho in reversed(list(zip(s_hist, y_hist, rho_hist))):
        a = rho * dot(s, q)
        q = q - _bc(a, q) * y
        alphas.append(a)
    r = _bc(gamma, q) * q
    for (s, y, rho), a in zip(zip(s_hist, y_hist, rho_hist), reversed(alphas)):
        b = rho * dot(y, r)
        r = r + _bc(a - b, r) * s
    return -r


def push(history, s, y, memory):
    """Adds a (s, y) pair, skipping (rho = 0) samples whose curvature ``<s, y>`` is not positive.

    Args:
        history: dict with lists "s", "y", "rho" and the per-sample "gamma".
        s, y: the step taken and the change of gradient, [N, ...].
        memory: how many pairs to keep.
    """
    sy = dot(s, y)
    ok = sy > 1e-10
    rho = tf.where(ok, 1.0 / tf.where(ok, sy, 1.0), 0.0)
    yy = dot(y, y)
    history["gamma"] = tf.where(ok, sy / tf.where(ok, yy, 1.0), history["gamma"])
    for key, value in (("s", s), ("y", y), ("rho", rho)):
        history[key].append(value)
        del history[key][:-memory]
