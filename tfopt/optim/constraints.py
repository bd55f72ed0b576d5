"""Constraints on the optimized pixels: norm balls around an origin and a value range.

A constraint projects a batch back onto its set after every step
(``project(x, origin) -> x``) and can draw a uniformly random starting point inside
itself (``random(origin, seed) -> x``, PGD's random start, Madry et al. 2018). Balls are
measured in absolute [0, 1] pixel units, per sample.
"""
import tensorflow as tf

from tfopt.core.errors import InputError

__all__ = ["Constraint", "linf_ball", "l2_ball", "value_range", "chain"]


def _check_eps(eps):
    if not eps >= 0:
        raise InputError(f"expected eps >= 0; received: eps={eps}")
    return float(eps)


class Constraint:
    """A projection and a random-point sampler; see the module docstring."""

    def __init__(self, project, random, name):
        self._project, self._random, self.name = project, random, name

    def project(self, x, origin):
        return self._project(x, origin)

    def random(self, origin, seed):
        return self._random(origin, seed)

    def __repr__(self):
        return f"Constraint({self.name})"


def linf_ball(eps):
    """``||x - origin||_inf <= eps``: clip each pixel's offset."""
    eps = _check_eps(eps)

    def project(x, origin):
        return origin + tf.clip_by_value(x - origin, -eps, eps)

    def random(origin, seed):
        return origin + tf.random.stateless_uniform(tf.shape(origin), seed, -eps, eps)
    return Constraint(project, random, f"linf({eps:g})")


def _per_sample_norm(d):
    return tf.sqrt(tf.reduce_sum(tf.reshape(d * d, [tf.shape(d)[0], -1]), -1) + 1e-24)


def _expand(v, like):
    return tf.reshape(v, tf.concat([tf.shape(v), tf.ones([tf.rank(like) - 1], tf.int32)], 0))


def l2_ball(eps):
    """``||x - origin||_2 <= eps`` per sample: rescale offsets that are too long."""
    eps = _check_eps(eps)

    def project(x, origin):
        d = x - origin
        factor = tf.minimum(1.0, eps / _per_sample_norm(d))
        return origin + d * _expand(factor, d)

    def random(origin, seed):
        # Uniform in the ball: a Gaussian direction and radius eps * U^(1/dim).
        s = tf.random.experimental.stateless_split(seed, 2)
        d = tf.random.stateless_normal(tf.shape(origin), s[0])
        dim = tf.cast(tf.reduce_prod(tf.shape(origin)[1:]), tf.float32)
        r = eps * tf.random.stateless_uniform(tf.shape(origin)[:1], s[1]) ** (1.0 / dim)
        return origin + d * _expand(r / _per_sample_norm(d), d)
    return Constraint(project, random, f"l2({eps:g})")


def value_range(lo=0.0, hi=1.0):
    """``lo <= x <= hi``."""
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        raise InputError(f"expected lo < hi; received: lo={lo}, hi={hi}")

    def random(origin, seed):
        return tf.random.stateless_uniform(tf.shape(origin), seed, lo, hi)
    return Constraint(lambda x, o: tf.clip_by_value(x, lo, hi), random, f"range({lo:g},{hi:g})")


def chain(*constraints):
    """Apply several constraints in order (a ball, then the value range)."""
    constraints = [c for c in constraints if c is not None]

    def project(x, origin):
        for c in constraints:
            x = c.project(x, origin)
        return x

    def random(origin, seed):
        x = constraints[0].random(origin, seed)
        return project(x, origin)
    return Constraint(project, random, " & ".join(c.name for c in constraints))
