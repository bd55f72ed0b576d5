"""Loss terms: named, pure functions of one step's record, combined as weighted lists.

A network's objective is a list of ``(weight, term)``. A term reads the
:class:`~tfopt.gan.record.Record` of the step (real and generated images, the
condition, the noise, the discriminator's outputs) and returns either a per-example
loss ``[B]`` (averaged over the *global* batch) or a scalar on weights (divided by
the replica count), so one and N replicas take the same step. Terms hold no state;
each is logged under its name (``d_<name>``, ``g_<name>``, unweighted).

Record keys a term may read: ``real``, ``fake``, ``z``, ``condition``,
``wrong_condition``, ``generated`` (the generator's outputs, a dict with ``image``),
``d_real``, ``d_fake``, ``d_wrong`` (the discriminator's outputs, dicts with
``logits``), ``seen_real``, ``seen_fake`` (``(image, condition)`` as the
discriminator saw them, after augmentation) and ``epsilon`` (``[B]`` uniform draws);
and ``record.discriminate(image, condition)``, ``record.generator``,
``record.discriminator``.

Example:
    d_terms = [(1.0, d_adversarial("wasserstein")), (10.0, gradient_penalty())]
    g_terms = [(1.0, g_adversarial("wasserstein"))]
    gan.compile(d_opt, g_opt, d_terms=d_terms, g_terms=g_terms)
    # pix2pix: g_terms = [(1.0, g_adversarial("non_saturating")), (100.0, l1())]
"""
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import feeds, losses, penalties
from tfopt.layers.codes import categorical_code

__all__ = [
    "Term",
    "d_adversarial",
    "g_adversarial",
    "mismatch",
    "d_real_part",
    "d_fake_part",
    "interpolation",
    "gradient_penalty",
    "r1",
    "l1",
    "conditioning_kl",
    "mutual_information",
    "orthogonal",
    "drift",
    "check_terms",
]


class Term:
    """A named loss term ``fn(record) -> [B] or scalar``.

    Args:
        name: the name it is logged under (per network); letters, digits, ``_``.
        fn: a pure function of the step record.

    Example:
        feature_l2 = Term("feature_l2", lambda r: tf.reduce_mean(tf.square(r["fake"] - r["real"]), [1, 2, 3]))
    """

    def __init__(self, name, fn):
        if not isinstance(name, str) or not name.replace("_", "").isalnum():
            raise InputError(f"expected a term name of letters, digits and _; received: {name!r}")
        if not callable(fn):
            raise InputError(f"expected a callable term function; received: {fn!r}")
        self.name = name
        self.fn = fn

    def __call__(self, record):
        return self.fn(record)

    def __repr__(self):
        return f"Term({self.name!r})"


def _logits(outputs):
    return outputs["logits"]


def d_adversarial(loss="non_saturating"):
    """The discriminator's side of a loss family on ``d_real`` and ``d_fake`` (see :mod:`losses`)."""
    _, d_loss = losses.get_loss(loss)
    return Term("adversarial", lambda r: d_loss(_logits(r["d_real"]), _logits(r["d_fake"])))


def g_adversarial(loss="non_saturating"):
    """The generator's side of a loss family on ``d_fake``."""
    g_loss, _ = losses.get_loss(loss)
    return Term("adversarial", lambda r: g_loss(_logits(r["d_fake"])))


def mismatch(loss="non_saturating"):
    """Matching-aware discriminator term: a real image with a wrong condition counts as fake.

    Reed et al. 2016 (GAN-CLS, Algorithm 1): ``s_w = D(x, wrong text)`` is scored like a
    generated image, ``fake_part(s_w)``; the paper weighs it and the fake term by 1/2.
    """
    _, fake_part = losses.get_parts(loss)
    return Term("mismatch", lambda r: fake_part(_logits(r["d_wrong"])))


def d_real_part(loss="non_saturating"):
    """The real half of a family's discriminator loss on ``d_real`` (real image, its own condition).

    With :func:`d_fake_part` and :func:`mismatch` it weighs the three terms of a
    matching-aware discriminator separately: Reed et al. 2016 use
    ``[(1, d_real_part), (0.5, d_fake_part), (0.5, mismatch)]``; ``[(1, ...), (1, ...)]``
    is :func:`d_adversarial`.
    """
    real_part, _ = losses.get_parts(loss)
    return Term("real_part", lambda r: real_part(_logits(r["d_real"])))


def d_fake_part(loss="non_saturating"):
    """The fake half of a family's discriminator loss on ``d_fake`` (generated image, its condition)."""
    _, fake_part = losses.get_parts(loss)
    return Term("fake_part", lambda r: fake_part(_logits(r["d_fake"])))


def _mix(beta, a, b):
    return tf.nest.map_structure(lambda x, y: beta * x + (1.0 - beta) * tf.cast(y, x.dtype), a, b)


def interpolation(loss="non_saturating", beta=0.5):
    """GAN-INT: the generator's adversarial loss on conditions between two examples' (no real image).

    Reed et al. 2016 (section 4.3): ``t = beta * t1 + (1 - beta) * t2`` with ``t1`` the
    condition and ``t2`` the ``wrong_condition`` (another example's); the generator draws
    from the step's noise ``z`` and ``t``, the discriminator judges ``(G(z, t), t)``, and
    the generator is scored as if it were real. Only the generator has this term: there
    is no real image for ``t``. Conditions must be floating (text embeddings); the
    discriminator sees the image without DiffAugment.

    Args:
        loss: the loss family (the generator side is used).
        beta: the interpolation weight in [0, 1] (0.5 in the paper).
    """
    if not 0.0 <= float(beta) <= 1.0:
        raise InputError(f"expected 0 <= beta <= 1; received: beta={beta!r}")
    g_loss, _ = losses.get_loss(loss)

    def fn(r):
        mixed = _mix(float(beta), r["condition"], r["wrong_condition"])
        generated = r.generator(feeds.feed(r.generator, z=r["z"], condition=mixed), training=True)
        image = feeds.outputs(generated, "image")["image"]
        return g_loss(_logits(r.discriminate(image, mixed)))

    return Term("interpolation", fn)


def gradient_penalty():
    """WGAN-GP's ``(||grad D(x_hat)|| - 1)^2`` at interpolates of what D saw (weight 10 in the paper)."""

    def fn(r):
        real, condition = r["seen_real"]
        fake, _ = r["seen_fake"]
        return penalties.gradient_penalty(lambda x: _logits(r.discriminate(x, condition)), real, fake,
                                          r["epsilon"])

    return Term("gp", fn)


def r1():
    """R1: ``||grad D(x)||^2`` on real images (Mescheder et al. 2018; the paper's weight is gamma/2)."""

    def fn(r):
        real, condition = r["seen_real"]
        return penalties.r1_penalty(lambda x: _logits(r.discriminate(x, condition)), real)

    return Term("r1", fn)


def l1():
    """Mean absolute difference between the generated and the real (target) image, per example.

    pix2pix (Isola et al. 2017, eq. 3) adds it to the generator's cGAN loss with weight 100.
    """

    def fn(r):
        diff = tf.abs(tf.cast(r["fake"], tf.float32) - tf.cast(r["real"], tf.float32))
        return tf.reduce_mean(tf.reshape(diff, [tf.shape(diff)[0], -1]), axis=1)

    return Term("l1", fn)


def conditioning_kl(mean="ca_mean", log_var="ca_log_var"):
    """StackGAN's KL of conditioning augmentation, read from the generator's extra outputs."""
    return Term("kl", lambda r: penalties.conditioning_kl(r["generated"][mean], r["generated"][log_var]))


def mutual_information(num_codes):
    """InfoGAN's ``-log Q(c | G(z))`` for the categorical code carried by ``z`` (both networks; weight 1).

    Reads the discriminator's ``code_logits`` head on generated images.
    """
    if isinstance(num_codes, bool) or not isinstance(num_codes, int) or num_codes < 1:
        raise InputError(f"expected num_codes to be an integer >= 1; received: num_codes={num_codes!r}")
    return Term("info", lambda r: penalties.mutual_information_penalty(
        r["d_fake"]["code_logits"], categorical_code(r["z"], num_codes)))


def orthogonal(network="generator"):
    """BigGAN's orthogonal regularization on ``network``'s kernels (a scalar; beta = 1e-4 in the paper)."""
    if network not in ("generator", "discriminator"):
        raise InputError(f"expected network generator or discriminator; received: network={network!r}")

    def fn(r):
        model = getattr(r, network)
        # Kernels only: BigGAN leaves the shared class embedding and the biases/gains alone.
        kernels = [v for v in model.trainable_variables if v.path.endswith("kernel")]
        return penalties.orthogonal_regularization(kernels)

    return Term("ortho", fn)


def drift():
    """Progressive GAN's drift term ``D(x)^2`` on real images (epsilon = 0.001 in the paper)."""
    return Term("drift", lambda r: tf.square(losses._flat(_logits(r["d_real"]))))


def check_terms(terms, network):
    """Validates a list of ``(weight, Term)``; returns it as a tuple of ``(float, Term)``.

    Raises:
        InputError: a malformed entry, a negative weight, or two terms with one name.
    """
    checked, names = [], set()
    for entry in terms:
        if not (isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], Term)):
            raise InputError(f"expected {network} terms as (weight, Term) pairs; received: {entry!r}")
        weight, term = float(entry[0]), entry[1]
        if not weight >= 0:
            raise InputError(f"expected {network} term weights >= 0; received: {term.name}={entry[0]!r}")
        if term.name in names:
            raise InputError(f"expected one {network} term per name; received: {term.name!r} twice")
        names.add(term.name)
        checked.append((weight, term))
    if not checked:
        raise InputError(f"expected at least one {network} term; received: none")
    return tuple(checked)
