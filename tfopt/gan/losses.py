"""GAN loss families as pure functions of discriminator outputs.

Every function takes discriminator *logits* (unbounded scores, shape ``[B]`` or
``[B, 1]``) and returns the **per-example** loss, shape ``[B]``. Reducing is the
caller's job: :class:`tfopt.gan.GAN` divides the sum by the *global* batch size with
``tf.nn.compute_average_loss`` so one replica and N replicas take the same step.
No function holds state or reads anything but its arguments.

Families (``LOSSES[name] -> (generator_loss, discriminator_loss)``):

* ``minimax``: Goodfellow et al. 2014, Algorithm 1 as written.
* ``non_saturating``: the same game with the generator maximizing ``log D(G(z))``
  (Goodfellow et al. 2014, section 3).
* ``hinge``: Lim & Ye 2017; Miyato et al. 2018.
* ``wasserstein``: Arjovsky et al. 2017; add
  :func:`tfopt.gan.penalties.gradient_penalty` for WGAN-GP (Gulrajani et al. 2017).
* ``least_squares``: Mao et al. 2017 (LSGAN, a=0, b=c=1).

Example:
    g_loss_fn, d_loss_fn = get_loss("hinge")
    per_example = d_loss_fn(d(real), d(fake))
"""
import tensorflow as tf

from tfopt.core.errors import InputError

__all__ = [
    "minimax_generator_loss",
    "minimax_discriminator_loss",
    "non_saturating_generator_loss",
    "non_saturating_discriminator_loss",
    "hinge_generator_loss",
    "hinge_discriminator_loss",
    "wasserstein_generator_loss",
    "wasserstein_discriminator_loss",
    "least_squares_generator_loss",
    "least_squares_discriminator_loss",
    "LOSSES",
    "PARTS",
    "get_loss",
    "get_parts",
]


def _flat(logits):
    """[B] or [B, 1] (or [B, ...]) -> float32 [B] (extra axes averaged)."""
    logits = tf.convert_to_tensor(logits)
    if logits.dtype != tf.float32:
        logits = tf.cast(logits, tf.float32)
    if logits.shape.rank is not None and logits.shape.rank > 1:
        logits = tf.reduce_mean(tf.reshape(logits, [tf.shape(logits)[0], -1]), axis=1)
    return logits


# The two halves of each discriminator loss, per example (see PARTS).
def _log_real(real_logits):
    return tf.nn.softplus(-_flat(real_logits))


def _log_fake(fake_logits):
    return tf.nn.softplus(_flat(fake_logits))


def _hinge_real(real_logits):
    return tf.nn.relu(1.0 - _flat(real_logits))


def _hinge_fake(fake_logits):
    return tf.nn.relu(1.0 + _flat(fake_logits))


def _wasserstein_real(real_logits):
    return -_flat(real_logits)


def _squares_real(real_logits):
    return 0.5 * tf.square(_flat(real_logits) - 1.0)


def _squares_fake(fake_logits):
    return 0.5 * tf.square(_flat(fake_logits))


def minimax_discriminator_loss(real_logits, fake_logits):
    """Algorithm 1's discriminator loss: ``-log D(x) - log(1 - D(G(z)))``.

    With ``D = sigmoid(logits)`` this is ``softplus(-real) + softplus(fake)``
    (numerically stable form). Goodfellow et al. 2014, "Generative Adversarial Nets".

    Args:
        real_logits: D's logits on real images, ``[B]`` or ``[B, 1]``.
        fake_logits: D's logits on generated images, same batch size.

    Returns:
        Per-example loss ``[B]``.
    """
    return _log_real(real_logits) + _log_fake(fake_logits)


def minimax_generator_loss(fake_logits):
    """Algorithm 1's generator loss as written: minimize ``log(1 - D(G(z)))`` = ``-softplus(fake)``.

    Saturates early in training (gradients vanish when D rejects fakes with high
    confidence); prefer :func:`non_saturating_generator_loss` in practice.

    Args:
        fake_logits: D's logits on generated images, ``[B]`` or ``[B, 1]``.

    Returns:
        Per-example loss ``[B]`` (always <= 0).
    """
    return -tf.nn.softplus(_flat(fake_logits))


non_saturating_discriminator_loss = minimax_discriminator_loss
"""The non-saturating game's D loss is the minimax one: ``softplus(-real) + softplus(fake)``."""


def non_saturating_generator_loss(fake_logits):
    """Non-saturating generator loss: ``-log D(G(z))`` = ``softplus(-fake)``.

    Goodfellow et al. 2014, section 3: same fixed point as minimax, strong gradients
    early in training.

    Args:
        fake_logits: D's logits on generated images, ``[B]`` or ``[B, 1]``.

    Returns:
        Per-example loss ``[B]``.
    """
    return tf.nn.softplus(-_flat(fake_logits))


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss for D: ``relu(1 - real) + relu(1 + fake)`` (Lim & Ye 2017).

    Args:
        real_logits: D's scores on real images, ``[B]`` or ``[B, 1]``.
        fake_logits: D's scores on generated images.

    Returns:
        Per-example loss ``[B]``.
    """
    return _hinge_real(real_logits) + _hinge_fake(fake_logits)


def hinge_generator_loss(fake_logits):
    """Hinge-game generator loss: ``-fake``.

    Args:
        fake_logits: D's scores on generated images.

    Returns:
        Per-example loss ``[B]``.
    """
    return -_flat(fake_logits)


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Wasserstein critic loss: ``fake - real`` (Arjovsky et al. 2017).

    Needs a Lipschitz constraint: add ``gp_weight * gradient_penalty(...)`` (WGAN-GP).

    Args:
        real_logits: critic scores on real images.
        fake_logits: critic scores on generated images.

    Returns:
        Per-example loss ``[B]``.
    """
    return _wasserstein_real(real_logits) + _flat(fake_logits)


def wasserstein_generator_loss(fake_logits):
    """Wasserstein generator loss: ``-fake``.

    Args:
        fake_logits: critic scores on generated images.

    Returns:
        Per-example loss ``[B]``.
    """
    return -_flat(fake_logits)


def least_squares_discriminator_loss(real_logits, fake_logits):
    """LSGAN D loss: ``0.5 (real - 1)^2 + 0.5 fake^2`` (Mao et al. 2017, a=0, b=1).

    Args:
        real_logits: D's outputs on real images (no sigmoid).
        fake_logits: D's outputs on generated images.

    Returns:
        Per-example loss ``[B]``.
    """
    return _squares_real(real_logits) + _squares_fake(fake_logits)


def least_squares_generator_loss(fake_logits):
    """LSGAN generator loss: ``0.5 (fake - 1)^2`` (c=1).

    Args:
        fake_logits: D's outputs on generated images.

    Returns:
        Per-example loss ``[B]``.
    """
    return 0.5 * tf.square(_flat(fake_logits) - 1.0)


LOSSES = {
    "minimax": (minimax_generator_loss, minimax_discriminator_loss),
    "non_saturating": (non_saturating_generator_loss, non_saturating_discriminator_loss),
    "hinge": (hinge_generator_loss, hinge_discriminator_loss),
    "wasserstein": (wasserstein_generator_loss, wasserstein_discriminator_loss),
    "least_squares": (least_squares_generator_loss, least_squares_discriminator_loss),
}
"""Loss families by name: ``{name: (generator_loss, discriminator_loss)}``."""


PARTS = {
    "minimax": (_log_real, _log_fake),
    "hinge": (_hinge_real, _hinge_fake),
    "wasserstein": (_wasserstein_real, _flat),
    "least_squares": (_squares_real, _squares_fake),
}
"""Every family's discriminator loss is a sum ``real_part(real) + fake_part(fake)``:
``{name: (real_part, fake_part)}``. The matching-aware term of text-conditioned GANs
scores a real image with a wrong condition with ``fake_part``."""
PARTS["non_saturating"] = PARTS["minimax"]


def get_parts(loss):
    """The ``(real_part, fake_part)`` per-example functions of a family's discriminator loss.

    Args:
        loss: a name in :data:`PARTS`.

    Returns:
        ``(real_part, fake_part)``, each ``logits -> [B]``.

    Raises:
        InputError: an unknown name.
    """
    if loss not in PARTS:
        raise InputError(f"expected loss to be one of {', '.join(PARTS)}; received: loss={loss!r}")
    return PARTS[loss]


def get_loss(loss):
    """Resolves a loss family.

    Args:
        loss: a name in :data:`LOSSES`, or a pair ``(generator_loss, discriminator_loss)``
            of callables with the signatures above.

    Returns:
        ``(generator_loss, discriminator_loss)``.

    Raises:
        InputError: unknown name or not a pair of callables.
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise InputError(f"expected loss to be one of {', '.join(LOSSES)}; received: loss={loss!r}")
        return LOSSES[loss]
    if isinstance(loss, (tuple, list)) and len(loss) == 2 and all(callable(f) for f in loss):
        return tuple(loss)
    raise InputError(
        f"expected loss to be a name or a (generator_loss, discriminator_loss) pair; received: loss={loss!r}"
    )
