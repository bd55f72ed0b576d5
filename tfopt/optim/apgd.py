"""APGD's step rule (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an
ensemble of diverse parameter-free attacks", Algorithm 1): the attacks inside AutoAttack.

No step size to tune: every sample starts with ``eta = 2 * eps`` (the ball's radius,
``hp["radius"]``; ``hp["lr"]`` is ignored), takes one plain steepest-ascent step, then
steps with momentum ``alpha = 0.75``::

    z      = P(x_k + eta * d(g_k))                     d = sign (L-inf) or g / ||g||_2 (L2)
    x_k+1  = P(x_k + alpha * (z - x_k) + (1 - alpha) * (x_k - x_k-1))

At the checkpoints ``w_j = ceil(p_j * N)`` (``p_0 = 0, p_1 = 0.22,
p_j+1 = p_j + max(p_j - p_j-1 - 0.03, 0.06)``, N = ``hp["steps"]``) a sample halves its
``eta`` if (1) ``f`` increased in fewer than ``rho = 0.75`` of the steps since the last
checkpoint, or (2) neither its ``eta`` nor its best ``f`` changed since then; a sample
that halves restarts from its best point ``x_max`` (by ``f``, the values of the stepped
objective) with the gradient it had there.

Indexing in the engine: step ``k`` sees ``x_k`` and ``f(x_k)``. The checkpoint test of
``w_j`` runs at ``k = w_j``, when ``f(x_w_j)`` is known, before the step to ``x_k+1``;
a restart replaces ``x_k`` by ``x_max``, and the step from it keeps the momentum term
``x_max - x_k-1`` (as in the paper and the reference code). Increases are counted
against the point a step started from (``f_max`` after a restart).

The checkpoints are computed in the graph from ``hp["steps"]`` (an int32 input), so a
new number of steps reuses the compiled loop. The fractions ``p_j`` are kept in exact
hundredths (``0, 22, 41, 57, 70, 80, 87, 93, 99, 105, ...``): in floating point
``0.22 * 100`` is 22.000000000000004 and its ceiling 23. Only ``p_j < 1`` can fall on a
step ``< N``, so the list below is all that is ever needed.
"""
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.optim.rules import Rule, per_sample, select_samples, unit_l2

__all__ = ["APGD", "checkpoint_hundredths", "checkpoints", "NORMS"]

NORMS = ("linf", "l2")


def checkpoint_hundredths():
    """The fractions ``p_j`` (j >= 1) below 1, in hundredths: [22, 41, 57, 70, 80, 87, 93, 99]."""
    out, prev, cur = [], 0, 22
    while cur < 100:
        out.append(cur)
        prev, cur = cur, cur + max(cur - prev - 3, 6)
    return out


_P = tuple(checkpoint_hundredths())


def checkpoints(n):
    """The checkpoints ``w_j`` (j >= 1, ``w_j < n``) of ``n`` steps, an int32 tensor (duplicates possible).

    ``n`` may be a Python int or an int32 tensor (the rule's ``hp["steps"]``).
    """
    n = tf.cast(n, tf.int32)
    return (tf.constant(_P, tf.int32) * n + 99) // 100


class APGD(Rule):
    """Auto-PGD's step rule; see the module docstring.

    Args:
        norm: "linf" (sign steps) or "l2" (normalized-gradient steps): the ball's norm.
        alpha: momentum weight of the new step (0.75 in the paper).
        rho: fraction of increasing steps below which a checkpoint halves ``eta`` (0.75).

    State per sample: eta, x_k-1, f at the point stepped from, x_max, its gradient, f_max,
    f_max at the last checkpoint, whether the last checkpoint halved eta, the increase
    count since it; and the step of the last checkpoint (a scalar).
    """

    name = "apgd"
    reads_values = True

    def __init__(self, norm="linf", alpha=0.75, rho=0.75):
        if norm not in NORMS:
            raise InputError(f"expected optimizer 'apgd' with a linf or l2 ball constraint; received: "
                             f"constraint norm {norm!r}")
        self.norm, self.alpha, self.rho = norm, float(alpha), float(rho)

    def init(self, p, hp):
        n = tf.shape(p)[0]
        zeros = tf.zeros([n], tf.float32)
        ninf = tf.fill([n], float("-inf"))
        eta = 2.0 * hp["radius"] + zeros
        return (eta, p, ninf, p, tf.zeros_like(p), ninf, ninf, tf.zeros([n], tf.bool), tf.zeros([n], tf.int32),
                tf.constant(0, tf.int32))

    def _direction(self, g):
        return tf.sign(g) if self.norm == "linf" else unit_l2(g)

    def step(self, k, p, ascent, f, state, hp, project):
        eta, x_prev, f_prev, x_max, g_max, f_max, f_check, reduced, count, last = state
        # The best point by f, with its gradient (restarts go back to it).
        better = f > f_max
        x_max = select_samples(better, p, x_max)
        g_max = select_samples(better, ascent, g_max)
        f_max = tf.where(better, f, f_max)
        count = count + tf.cast((k > 0) & (f > f_prev), tf.int32)
        # Checkpoint w_j (j >= 1): halve eta and restart from x_max where the step size failed.
        is_check = (k > 0) & tf.reduce_any(tf.equal(checkpoints(hp["steps"]), k))
        since = tf.cast(k - last, tf.float32)
        few_increases = tf.cast(count, tf.float32) < self.rho * since
        stalled = ~reduced & (f_max <= f_check)
        halve = is_check & (few_increases | stalled)
        eta = tf.where(halve, 0.5 * eta, eta)
        p = select_samples(halve, x_max, p)
        ascent = select_samples(halve, g_max, ascent)
        f_from = tf.where(halve, f_max, f)
        reduced = tf.where(is_check, halve, reduced)
        f_check = tf.where(is_check | (k == 0), f_max, f_check)
        count = tf.where(is_check, tf.zeros_like(count), count)
        last = tf.where(is_check, k, last)
        # The step: plain at k = 0, with momentum after.
        z = project(p + per_sample(eta, p) * self._direction(ascent))
        a = tf.where(k > 0, self.alpha, 1.0)
        x_new = project(p + a * (z - p) + (1.0 - a) * (p - x_prev))
        return x_new, (eta, p, f_from, x_max, g_max, f_max, f_check, reduced, count, last)
