"""Regularizers as pure functions: per-example penalties, and one on weights.

Each per-example penalty returns a ``[B]`` tensor; the caller weights it and reduces it with the loss (by
the global batch size). The gradient penalties take the discriminator as a callable
``images -> logits``; the InfoGAN mutual-information penalty takes the Q head's logits.
Randomness is an argument (``epsilon``), so the functions are deterministic.

Example:
    eps = keras.random.uniform([batch], seed=seed_generator)
    per_example = d_loss_fn(real_logits, fake_logits) + 10.0 * gradient_penalty(
        lambda x: discriminator(x, training=True), real, fake, eps)
"""
import tensorflow as tf

from tfopt.core.errors import InputError

__all__ = ["interpolate", "gradient_penalty", "r1_penalty", "mutual_information_penalty", "conditioning_kl",
           "orthogonal_regularization"]


def _per_example_norm_sq(grads):
    grads = tf.reshape(grads, [tf.shape(grads)[0], -1])
    return tf.reduce_sum(tf.square(grads), axis=1)


def interpolate(real, fake, epsilon):
    """Points on the lines between real and fake images: ``eps * real + (1 - eps) * fake``.

    Args:
        real: ``[B, ...]`` real images.
        fake: ``[B, ...]`` generated images.
        epsilon: ``[B]`` mixing weights in [0, 1].

    Returns:
        ``[B, ...]`` interpolates.
    """
    real = tf.convert_to_tensor(real)
    fake = tf.cast(tf.convert_to_tensor(fake), real.dtype)
    eps = tf.reshape(tf.cast(epsilon, real.dtype), [-1] + [1] * (real.shape.rank - 1))
    return eps * real + (1.0 - eps) * fake


def gradient_penalty(discriminator, real, fake, epsilon):
    """WGAN-GP two-sided penalty ``(||grad_x D(x_hat)||_2 - 1)^2`` at random interpolates.

    Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", eq. (3); the
    paper's weight is ``lambda = 10``.

    Args:
        discriminator: callable ``images -> logits`` (``[B]`` or ``[B, 1]``).
        real: ``[B, H, W, C]`` real images.
        fake: ``[B, H, W, C]`` generated images (gradients to the generator are cut).
        epsilon: ``[B]`` uniform [0, 1] mixing weights.

    Returns:
        Per-example penalty ``[B]``.
    """
    x_hat = interpolate(real, tf.stop_gradient(fake), epsilon)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = tf.reduce_sum(discriminator(x_hat))
    norm = tf.sqrt(_per_example_norm_sq(tape.gradient(scores, x_hat)) + 1e-12)
    return tf.square(norm - 1.0)


def r1_penalty(discriminator, real):
    """R1 penalty ``||grad_x D(x)||_2^2`` on real data (Mescheder et al. 2018).

    The paper's term is ``gamma / 2`` times this.

    Args:
        discriminator: callable ``images -> logits``.
        real: ``[B, H, W, C]`` real images.

    Returns:
        Per-example penalty ``[B]``.
    """
    real = tf.convert_to_tensor(real)
    with tf.GradientTape() as tape:
        tape.watch(real)
        scores = tf.reduce_sum(discriminator(real))
    return _per_example_norm_sq(tape.gradient(scores, real))


def mutual_information_penalty(code_logits, codes):
    """InfoGAN's penalty for a categorical code: ``-log Q(c | G(z, c))``, per example.

    Minimizing it over the generator and the Q head maximizes the variational lower
    bound ``L_I = E[log Q(c | G(z, c))] + H(c) <= I(c; G(z, c))`` (Chen et al. 2016,
    "InfoGAN", eq. 4; ``H(c)`` is a constant and dropped). For a categorical code it is
    the softmax cross-entropy of Q's logits on generated images against the code
    (TF-GAN's ``mutual_information_penalty`` with a categorical distribution).

    Args:
        code_logits: ``[B, N]`` logits of the Q head on generated images.
        codes: ``[B, N]`` one-hot codes the images were generated from.

    Returns:
        Per-example penalty ``[B]`` (>= 0; 0 when Q recovers every code with certainty).
    """
    code_logits = tf.cast(tf.convert_to_tensor(code_logits), tf.float32)
    codes = tf.cast(tf.stop_gradient(codes), tf.float32)
    return tf.nn.softmax_cross_entropy_with_logits(labels=codes, logits=code_logits)


def conditioning_kl(mean, log_var, reduction="mean"):
    """KL of conditioning augmentation: ``KL(N(mean, exp(log_var)) || N(0, I))`` per example.

    StackGAN (Zhang et al. 2017, eq. 3) draws the generator's condition from
    ``N(mu(phi_t), Sigma(phi_t))`` and adds this KL to the generator's loss, which keeps the
    conditioning manifold smooth. The paper writes the divergence (a sum over the
    dimensions, weight 1); the authors' code averages it over the dimensions as well as the
    batch (weight 2). The sum is 128x larger at the paper's 128 dimensions, and with it the
    KL drowned the caption on the captioned digits (docs/text2image.md), so the
    per-dimension mean is the default.

    Args:
        mean: ``[B, D]`` means.
        log_var: ``[B, D]`` log variances.
        reduction: ``"mean"`` over the D dimensions (the authors' code) or ``"sum"`` (the divergence).

    Returns:
        Per-example KL ``[B]`` (>= 0; 0 for a standard normal).
    """
    if reduction not in ("mean", "sum"):
        raise InputError(f"expected reduction 'mean' or 'sum'; received: reduction={reduction!r}")
    mean = tf.cast(tf.convert_to_tensor(mean), tf.float32)
    log_var = tf.cast(tf.convert_to_tensor(log_var), tf.float32)
    per_dimension = 0.5 * (tf.exp(log_var) + tf.square(mean) - 1.0 - log_var)
    return tf.reduce_mean(per_dimension, axis=-1) if reduction == "mean" else tf.reduce_sum(per_dimension, axis=-1)


def orthogonal_regularization(kernels):
    """BigGAN's orthogonal regularization: ``sum_W ||W^T W * (1 - I)||_F^2`` over the kernels.

    Brock et al. 2019, section 3.1: only the off-diagonal entries are pushed to zero,
    so filters are kept apart without fixing their norms. Each kernel is read as a
    matrix ``[fan_in, units]`` (a convolution's ``[kh, kw, in, out]`` is reshaped). The
    paper's weight is ``beta = 1e-4``. Not per example: the result is a scalar.

    Args:
        kernels: the weight matrices/kernels (rank >= 2; others are skipped).

    Returns:
        A float32 scalar.
    """
    total = tf.constant(0.0)
    for kernel in kernels:
        kernel = tf.convert_to_tensor(kernel)
        if kernel.shape.rank is None or kernel.shape.rank < 2:
            continue
        w = tf.reshape(tf.cast(kernel, tf.float32), [-1, kernel.shape[-1]])
        gram = tf.matmul(w, w, transpose_a=True)
        off_diagonal = gram * (1.0 - tf.eye(tf.shape(gram)[0]))
        total += tf.reduce_sum(tf.square(off_diagonal))
    return total
