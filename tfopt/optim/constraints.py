"""Constraints on the optimized pixels: norm balls around an origin and a value range.

A constraint projects a batch back onto its set after every step
(``project(x, origin) -> x``) and can draw a uniformly random starting point inside
itself (``random(origin, seed) -> x``, PGD's random start, Madry et al. 2018). Balls are
measured in absolute [0, 1] pixel units, per sample.

A ball's radius is an argument of both (``radius=None`` means its own), so the engine
feeds it to a compiled loop as an input: attacks at another eps reuse the loop.
"""
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.optim.rules import per_sample

__all__ = ["Constraint", "linf_ball", "l2_ball", "value_range", "chain"]


def _check_eps(eps):
    if not eps >= 0:
        raise InputError(f"expected eps >= 0; received: eps={eps}")
    return float(eps)


class Constraint:
    """A projection and a random-point sampler; see the module docstring.

    Args:
        project: ``project(x, origin, radius) -> x``.
        random: ``random(origin, seed, radius) -> x``.
        name: shown in reports.
        key: the structure (everything but ``radius``) a compiled loop depends on.
        radius: the ball's radius (0 for sets without one).
    """

    def __init__(self, project, random, name, key, radius=0.0):
        self._project, self._random, self.name = project, random, name
        self.key, self.radius = key, float(radius)

    def project(self, x, origin, radius=None):
        return self._project(x, origin, self.radius if radius is None else radius)

    def random(self, origin, seed, radius=None):
        return self._random(origin, seed, self.radius if radius is None else radius)

    def __repr__(self):
        return f"Constraint({self.name})"


def linf_ball(eps):
    """``||x - origin||_inf <= eps``: clip each pixel's offset."""
    eps = _check_eps(eps)

    def project(x, origin, r):
        return origin + tf.clip_by_value(x - origin, -r, r)

    def random(origin, seed, r):
        return origin + r * tf.random.stateless_uniform(tf.shape(origin), seed, -1.0, 1.0)
    return Constraint(project, random, f"linf({eps:g})", ("linf",), eps)


def _per_sample_norm(d):
    return tf.sqrt(tf.reduce_sum(tf.reshape(d * d, [tf.shape(d)[0], -1]), -1) + 1e-24)


def l2_ball(eps):
    """``||x - origin||_2 <= eps`` per sample: rescale offsets that are too long."""
    eps = _check_eps(eps)

    def project(x, origin, r):
        d = x - origin
        factor = tf.minimum(1.0, r / _per_sample_norm(d))
        return origin + d * per_sample(factor, d)

    def random(origin, seed, r):
        # Uniform in the ball: a Gaussian direction and radius eps * U^(1/dim).
        s = tf.random.experimental.stateless_split(seed, 2)
        d = tf.random.stateless_normal(tf.shape(origin), s[0])
        dim = tf.cast(tf.reduce_prod(tf.shape(origin)[1:]), tf.float32)
        length = r * tf.random.stateless_uniform(tf.shape(origin)[:1], s[1]) ** (1.0 / dim)
        return origin + d * per_sample(length / _per_sample_norm(d), d)
    return Constraint(project, random, f"l2({eps:g})", ("l2",), eps)


def value_range(lo=0.0, hi=1.0):
    """``lo <= x <= hi``."""
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        raise InputError(f"expected lo < hi; received: lo={lo}, hi={hi}")

    def random(origin, seed, r):
        return tf.random.stateless_uniform(tf.shape(origin), seed, lo, hi)
    return Constraint(lambda x, o, r: tf.clip_by_value(x, lo, hi), random, f"range({lo:g},{hi:g})",
                      ("range", lo, hi))


def chain(*constraints):
    """Apply several constraints in order (a ball, then the value range)."""
    constraints = [c for c in constraints if c is not None]

    def project(x, origin, r):  # each member keeps its own radius
        for c in constraints:
            x = c.project(x, origin)
        return x

    def random(origin, seed, r):
        x = constraints[0].random(origin, seed)
        return project(x, origin, r)
    return Constraint(project, random, " & ".join(c.name for c in constraints),
                      ("chain",) + tuple((c.key, c.radius) for c in constraints))
