"""Objectives: values that combine with ``+ - *`` and give one number per sample.

An objective is evaluated on a :class:`Context` (the activations the engine computed
and the image being optimized) and returns a ``[batch]`` tensor, so every sample of a
batch is optimized independently. The engine *maximizes* by default; regularizers
return their (positive) size, so a visualization reads as Lucid's do::

    obj = class_logit(3) - 1e-2 * tv(beta=2) - 1e-3 * l2()

Per-sample constants (target classes, target features) are given for the caller's
batch; the engine tiles them when restarts are folded into the batch (restarts are
the outermost axis, see :func:`tile_to`).

Objectives are compiled once and reused: the engine keys a compiled loop on an
objective's :attr:`Objective.key` (its structure: factory names, layers, numeric
coefficients) and feeds its :class:`Const` values (targets, features, per-sample
weights) as inputs of that loop. So a second attack on new labels with the same shapes
runs the loop the first one compiled. An :class:`Objective` made from a bare function
is keyed by that function's identity: correct, but compiled afresh for each new one.
"""
import numbers

import tensorflow as tf

from tfopt.models.features import LOGITS, PROBS

__all__ = [
    "Objective", "Context", "Const", "tile_to", "gram",
    "class_logit", "class_prob", "cross_entropy", "margin", "channel", "layer_activation",
    "feature_match", "content", "style", "tv", "l2", "alpha_norm", "blur", "straight_through",
]


class Context:
    """What an objective sees: activations by layer name and the image (before transforms)."""

    def __init__(self, acts, image):
        self.acts = acts
        self.image = image

    def __getitem__(self, name):
        return self.acts[name]

    @property
    def batch(self):
        return tf.shape(self.image)[0]


def tile_to(t, n):
    """Tiles per-sample constants ``t`` ([b, ...]) along axis 0 to ``n`` rows (n a multiple of b)."""
    t = tf.convert_to_tensor(t)
    if t.shape.rank == 0:
        return t
    reps = n // tf.shape(t)[0]
    return tf.tile(t, tf.concat([[reps], tf.ones([tf.rank(t) - 1], tf.int32)], 0))


class Const:
    """A constant an objective reads (``const.value``) that the engine feeds as an input.

    Outside a compiled loop ``value`` is the tensor given here; while the engine traces
    a loop it is bound to that loop's input, so one trace serves every value of the
    same shape and dtype.

    Example:
        k = Const(labels)                               # int [b]
        Objective(lambda c: _pick(c[LOGITS], k.value), "logit", [LOGITS], key=("logit",), consts=[k])
    """

    def __init__(self, value, dtype=None):
        self.value = tf.convert_to_tensor(value, dtype)
        self.given = self.value


def _consts_of(*objectives):
    # Not deduplicated: the engine keys on which entries are the same Const (see optim.loop).
    return tuple(c for o in objectives for c in o.consts)


def _per_sample(k, name, dtype=tf.int32):
    """(key part, consts, reader) of a class index: an int is structure, an array a Const."""
    if isinstance(k, numbers.Number):
        return (name, int(k)), (), (lambda: tf.constant(int(k), dtype))
    const = Const(k, None)
    return (name, "per-sample"), (const,), (lambda: tf.cast(const.value, dtype))


class Objective:
    """A named scalar-per-sample function of a :class:`Context`.

    Args:
        fn: ``fn(ctx) -> tf.Tensor [batch]``.
        name: shown in progress bars and reports.
        layers: layer names ``fn`` reads from ``ctx`` (the engine computes exactly these).
        key: hashable structure of ``fn`` *given its consts*: two objectives with equal
            keys must compute the same function of (ctx, const values). Default: the
            identity of ``fn`` (never shared).
        consts: the :class:`Const` values ``fn`` reads.
    """

    stepped = None
    """The objective whose gradient the engine follows, when that is not this one's (see
    :func:`straight_through`); step rules that read values (APGD) read its values."""

    def __init__(self, fn, name, layers=(), key=None, consts=()):
        self.fn = fn
        self.name = name
        self.layers = frozenset(layers)
        self.key = ("fn", id(fn)) if key is None else key
        self.consts = tuple(consts)

    def __call__(self, ctx):
        value = tf.convert_to_tensor(self.fn(ctx), tf.float32)
        if value.shape.rank == 0:
            value = tf.fill([ctx.batch], value)
        return value

    def _combine(self, other, op, sym):
        if isinstance(other, numbers.Number):
            return Objective(lambda c: op(self(c), float(other)), f"{self.name} {sym} {other}", self.layers,
                             (sym, self.key, repr(float(other))), self.consts)
        if not isinstance(other, Objective):
            return NotImplemented
        return Objective(lambda c: op(self(c), other(c)), f"({self.name} {sym} {other.name})",
                         self.layers | other.layers, (sym, self.key, other.key), _consts_of(self, other))

    def __add__(self, other):
        return self._combine(other, tf.add, "+")

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self._combine(other, tf.subtract, "-")

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, numbers.Number):
            return Objective(lambda c: float(other) * self(c), f"{other:g}*{self.name}", self.layers,
                             ("scale", self.key, repr(float(other))), self.consts)
        return self._combine(other, tf.multiply, "*")

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return Objective(lambda c: -self(c), f"-{self.name}", self.layers, ("neg", self.key), self.consts)

    def __repr__(self):
        return f"Objective({self.name})"


def _pick(values, k):
    """values[b, k_b] for an int or per-sample class index k."""
    n = tf.shape(values)[0]
    k = tf.cast(tile_to(k, n), tf.int32)
    if k.shape.rank == 0:
        return values[:, k]
    return tf.gather(values, k, batch_dims=1)


def class_logit(k):
    """The pre-softmax logit of class ``k`` (an int or one class per sample)."""
    key, consts, read = _per_sample(k, "logit")
    return Objective(lambda c: _pick(c[LOGITS], read()), f"logit[{_label(k)}]", [LOGITS], key, consts)


def class_prob(k):
    """The softmax probability of class ``k`` (saturates: prefer logits for gradients)."""
    key, consts, read = _per_sample(k, "prob")
    return Objective(lambda c: _pick(c[PROBS], read()), f"prob[{_label(k)}]", [PROBS], key, consts)


def cross_entropy(labels):
    """Softmax cross-entropy of the logits against ``labels`` (computed from logits, stable)."""
    key, consts, read = _per_sample(labels, "xent")

    def fn(c):
        logits = c[LOGITS]
        y = tile_to(read(), tf.shape(logits)[0])
        y = tf.broadcast_to(y, tf.shape(logits)[:1])
        return tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
    return Objective(fn, f"xent[{_label(labels)}]", [LOGITS], key, consts)


def margin(labels, kappa=float("inf")):
    """Carlini-Wagner margin ``Z_y - max_{j != y} Z_j``, clipped below at ``-kappa``.

    Positive while class ``y`` still wins. An untargeted attack minimizes it with ``y``
    the true label; a targeted one maximizes it with ``y`` the target.
    """
    key, consts, read = _per_sample(labels, "margin")

    def fn(c):
        logits = c[LOGITS]
        y = tile_to(read(), tf.shape(logits)[0])
        y = tf.broadcast_to(y, tf.shape(logits)[:1])
        onehot = tf.one_hot(y, tf.shape(logits)[-1])
        own = tf.reduce_sum(logits * onehot, -1)
        other = tf.reduce_max(logits - 1e9 * onehot, -1)
        return tf.maximum(own - other, -kappa)
    return Objective(fn, f"margin[{_label(labels)}]", [LOGITS], key + (repr(float(kappa)),), consts)


def channel(layer, index):
    """Mean activation of one channel of ``layer`` (a neuron for dense layers)."""
    def fn(c):
        act = c[layer][..., index]
        return tf.reduce_mean(tf.reshape(act, [tf.shape(act)[0], -1]), -1)
    return Objective(fn, f"{layer}:{index}", [layer], ("channel", layer, int(index)))


def layer_activation(layer, power=2):
    """Mean of ``activation ** power`` over a layer (DeepDream's objective; power 2 is its L2 form)."""
    def fn(c):
        act = c[layer]
        act = tf.reshape(act, [tf.shape(act)[0], -1])
        return tf.reduce_mean(act ** power if power != 1 else act, -1)
    return Objective(fn, f"act[{layer}]", [layer], ("act", layer, repr(power)))


def _flat(t):
    return tf.reshape(t, [tf.shape(t)[0], -1])


def feature_match(layer, target):
    """Normalized feature error ``||phi(x) - phi0||^2 / ||phi0||^2`` (Mahendran & Vedaldi).

    Minimize it (the engine's ``maximize=False``, or subtract it).
    """
    target = Const(target, tf.float32)

    def fn(c):
        act = c[layer]
        t = tile_to(target.value, tf.shape(act)[0])
        return tf.reduce_sum(_flat(act - t) ** 2, -1) / (tf.reduce_sum(_flat(t) ** 2, -1) + 1e-12)
    return Objective(fn, f"invert[{layer}]", [layer], ("invert", layer), [target])


def content(layer, target):
    """Content loss: mean over positions and channels of ``(F - P)^2`` (size-invariant)."""
    target = Const(target, tf.float32)

    def fn(c):
        act = c[layer]
        return tf.reduce_mean(_flat(act - tile_to(target.value, tf.shape(act)[0])) ** 2, -1)
    return Objective(fn, f"content[{layer}]", [layer], ("content", layer), [target])


def gram(features):
    """Gram matrices ``F^T F / (H*W*C)`` of [B, H, W, C] features: [B, C, C].

    Dividing by the number of positions makes the Gram independent of image size; the
    extra ``1/C`` keeps layers of different width on one scale.
    """
    shape = tf.shape(features)
    size = tf.cast(shape[1] * shape[2] * shape[3], tf.float32)
    return _self_product(tf.reshape(features, [shape[0], shape[1] * shape[2], shape[3]])) / size


@tf.custom_gradient
def _self_product(f):
    """``F^T F`` of [B, N, C] with a one-matmul gradient.

    Autodiff of ``einsum("bhwc,bhwd->bcd")`` treats the two operands as different tensors
    (two [N, C] x [C, C] matmuls plus transposes); ``F (dG + dG^T)`` is one matmul. Measured
    on VGG19 at 256 px (random weights, 2 CPU cores): a style L-BFGS step went from 1.24x to
    1.09x a bare forward+backward pass of the layers the loss reads.
    """
    def grad(dg):
        return tf.matmul(f, dg + tf.linalg.matrix_transpose(dg))
    return tf.matmul(f, f, transpose_a=True), grad


def style(layers, targets, weights=None):
    """Style loss: sum over layers of ``w_l * mean((G_l - A_l)^2)`` with Gram matrices :func:`gram`.

    Args:
        layers: layer names.
        targets: Gram matrices [C, C] or [b, C, C], one per layer (see :func:`gram`).
        weights: per-layer weights (default equal, summing to 1).
    """
    layers = list(layers)
    weights = [1.0 / len(layers)] * len(layers) if weights is None else list(weights)
    targets = [Const(t, tf.float32) for t in targets]

    def fn(c):
        total = 0.0
        for name, target, w in zip(layers, targets, weights):
            g = gram(c[name])
            t = target.value
            t = t if t.shape.rank == 2 else tile_to(t, tf.shape(g)[0])
            total += w * tf.reduce_mean(tf.reshape(g - t, [tf.shape(g)[0], -1]) ** 2, -1)
        return total
    return Objective(fn, "style", layers, ("style", tuple(layers), tuple(map(repr, map(float, weights)))), targets)


def tv(beta=2.0):
    """Total variation: mean over pixels of ``((dx^2 + dy^2) + eps)^(beta/2)`` (Mahendran & Vedaldi)."""
    def fn(c):
        x = c.image
        dx = x[:, :-1, :-1, :] - x[:, :-1, 1:, :]
        dy = x[:, :-1, :-1, :] - x[:, 1:, :-1, :]
        return tf.reduce_mean(_flat((dx ** 2 + dy ** 2 + 1e-8) ** (beta / 2.0)), -1)
    return Objective(fn, f"tv{beta:g}", [], ("tv", repr(float(beta))))


def alpha_norm(alpha=6.0, center=0.0):
    """Mean of ``|x - center|^alpha`` over the image (Mahendran & Vedaldi's alpha-norm)."""
    def fn(c):
        return tf.reduce_mean(_flat(tf.abs(c.image - center) + 1e-12) ** alpha, -1)
    return Objective(fn, f"norm{alpha:g}", [], ("norm", repr(float(alpha)), repr(float(center))))


def l2(center=0.0):
    """Mean squared pixel value about ``center`` (Simonyan's L2 regularizer)."""
    def fn(c):
        return tf.reduce_mean(_flat(c.image - center) ** 2, -1)
    return Objective(fn, "l2", [], ("l2", repr(float(center))))


def blur(sigma=1.0):
    """Mean squared difference between the image and its Gaussian blur: penalizes high frequencies."""
    from tfopt.optim.transforms import gaussian_blur_image

    def fn(c):
        return tf.reduce_mean(_flat(c.image - gaussian_blur_image(c.image, sigma)) ** 2, -1)
    return Objective(fn, f"blur{sigma:g}", [], ("blur", repr(float(sigma))))


def _label(k):
    if isinstance(k, numbers.Number):
        return str(k)
    return "per-sample"


def straight_through(value, gradient):
    """An objective whose value is ``value``'s and whose gradient is ``gradient``'s.

    ``gradient + stop_gradient(value - gradient)``: the engine's steps follow
    ``gradient`` (say, a data term minus priors), while everything it does with values
    (keep the best iterate, stop a sample, record the history) reads ``value`` (say, the
    data term alone).

    Example:
        straight_through(-cross_entropy(k), -cross_entropy(k) - 30 * tv())   # log p_k, stepped with a TV prior
    """
    def fn(c):
        g = gradient(c)
        return g + tf.stop_gradient(value(c) - g)
    out = Objective(fn, f"{value.name} [steps: {gradient.name}]", value.layers | gradient.layers,
                    ("straight", value.key, gradient.key), _consts_of(value, gradient))
    out.stepped = gradient
    return out
