"""The GAN model: Algorithm 1 of Goodfellow et al. 2014 as a Keras ``train_step``.

One call of :meth:`GAN.train_step` is one iteration of Algorithm 1: ``k`` discriminator
steps, each on its **own** minibatch of real images and fresh noise, then one
generator step on fresh noise. The real data for one iteration arrives as one
element of shape ``[B, k, H, W, C]`` (``B`` examples, each row holding ``k`` images;
:func:`group_minibatches` builds it from any image dataset): D step ``j`` uses
``x[:, j]``. Splitting along ``B`` across replicas therefore gives every replica its
share of every one of the ``k`` minibatches, and 1 or N replicas see the same images.
With ``k = 1`` a plain ``[B, H, W, C]`` batch is accepted as well.

Reductions make the replica count irrelevant: per-example losses are summed and
divided by the *global* batch size (``tf.nn.compute_average_loss``), the optimizer
sums gradients over replicas, noise is drawn for the whole global batch from one
``keras.random.SeedGenerator`` and each replica takes its own rows, and batch norm
uses cross-replica statistics (``sync_batch_norm`` in :mod:`tfopt.gan.networks`).

Example:
    g, d = networks.build_networks("dcgan", image_size=32, channels=1)
    gan = GAN(g, d, k_d_steps=1, ema_decay=0.999, seed=0)
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), loss="non_saturating")
    gan.fit(group_minibatches(images, batch_size=64, k=1), steps_per_epoch=1000)
    samples = gan.generate(64, seed=1)                 # numpy, [-1, 1]
"""
import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import augment as augment_lib
from tfopt.gan import losses as losses_lib
from tfopt.gan import penalties
from tfopt.gan.layers import categorical_code

__all__ = ["GAN", "group_minibatches", "generate_from"]


def group_minibatches(dataset, *, batch_size, k=1, drop_remainder=True):
    """Turns a dataset of single images into Algorithm 1 iterations ``[B, k, H, W, C]``.

    Consecutive images are grouped by ``k`` and then ``batch_size`` groups are
    batched, so the ``k`` minibatches of one iteration are disjoint.

    Args:
        dataset: ``tf.data.Dataset`` of images ``[H, W, C]`` (or ``(image, label)``
            pairs: the labels are grouped the same way, ``[B, k]``).
        batch_size: global batch size ``B`` (examples per D step, over all replicas).
        k: discriminator steps per generator step.
        drop_remainder: drop a last incomplete group/batch (needed for equal
            per-replica shards).

    Returns:
        A ``tf.data.Dataset`` of ``[B, k, H, W, C]`` elements (prefetched).
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"expected k to be an integer >= 1; received: k={k!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"expected batch_size to be an integer >= 1; received: batch_size={batch_size!r}")
    return dataset.batch(k, drop_remainder=True).batch(batch_size, drop_remainder=drop_remainder).prefetch(2)


def _replica():
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context: behave as one replica
        return 0, 1
    return ctx.replica_id_in_sync_group, ctx.num_replicas_in_sync


def _multi_worker():
    strategy = tf.distribute.get_strategy()
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode()


class GAN(keras.Model):
    """A generator and a discriminator trained by Algorithm 1 (k D steps, then one G step).

    Args:
        generator: ``keras.Model`` ``z [B, latent_dim] -> images [B, H, W, C]`` in [-1, 1].
        discriminator: ``keras.Model`` ``images -> logits [B, 1]`` (with codes:
            ``images -> [logits [B, 1], code logits [B, N]]``, see below).
        latent_dim: noise size; read from ``generator.inputs`` when None.
        k_d_steps: discriminator steps per generator step (Algorithm 1's ``k``).
        ema_decay: if set (e.g. 0.999), keep ``ema_generator``, an exponential moving
            average of the generator's weights, updated after every G step with the
            decay ``min(ema_decay, (1 + t) / (10 + t))`` at G step ``t``; it is what
            :meth:`call` and :meth:`generate` use. Its batch-norm statistics are its
            own: after every average it runs forward in training mode on the G
            step's noise, so its moving statistics follow the averaged weights
            (statistics copied from the live generator would not match them).
        seed: seed of the noise ``keras.random.SeedGenerator``.
        augment: DiffAugment policy for everything the discriminator sees (real and
            generated, in both steps): ``"translation"`` (up to 1/8 of the side),
            ``"cutout"`` (a square of half the side), both comma-separated, or None.
        categorical_codes: InfoGAN (Chen et al. 2016) with a categorical code of this
            many values (0: off). The code of a noise row is
            :func:`~tfopt.gan.layers.categorical_code` of its first entries (the
            generator turns them into the one-hot it sees); the discriminator's second
            output is Q's logits, and ``info_weight`` (see :meth:`compile`) times the
            cross-entropy of Q on generated images against their codes is added to both
            the D and the G loss.
        **kwargs: ``keras.Model`` arguments (``name``).

    Example:
        gan = GAN(g, d, k_d_steps=1, ema_decay=0.999)
    """

    def __init__(self, generator, discriminator, *, latent_dim=None, k_d_steps=1, ema_decay=None, seed=0,
                 augment=None, categorical_codes=0, **kwargs):
        kwargs.setdefault("name", "gan")
        super().__init__(**kwargs)
        if isinstance(k_d_steps, bool) or not isinstance(k_d_steps, int) or k_d_steps < 1:
            raise InputError(f"expected k_d_steps to be an integer >= 1; received: k_d_steps={k_d_steps!r}")
        if ema_decay is not None and not 0.0 <= float(ema_decay) < 1.0:
            raise InputError(f"expected 0 <= ema_decay < 1 or None; received: ema_decay={ema_decay!r}")
        if latent_dim is None:
            latent_dim = int(generator.inputs[0].shape[-1])
        if isinstance(categorical_codes, bool) or not isinstance(categorical_codes, int) or categorical_codes < 0:
            raise InputError(f"expected categorical_codes to be an integer >= 0; received: "
                             f"categorical_codes={categorical_codes!r}")
        outputs = len(discriminator.outputs) if getattr(discriminator, "outputs", None) else 1
        if categorical_codes and (categorical_codes >= latent_dim or outputs != 2):
            raise InputError(f"expected categorical_codes < latent_dim={latent_dim} and a discriminator with two "
                             f"outputs (logits, code logits); received: categorical_codes={categorical_codes}, "
                             f"{outputs} output(s)")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.k_d_steps = k_d_steps
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.seed = int(seed)
        self.augment = augment_lib.parse_policy(augment)
        self.categorical_codes = categorical_codes
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.ema_generator = None
        if self.ema_decay is not None:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.gp_tracker = keras.metrics.Mean(name="gp")
        self.info_tracker = keras.metrics.Mean(name="info")
        self.built = True

    def compile(self, d_optimizer, g_optimizer, loss="non_saturating", gp_weight=0.0, info_weight=1.0, **kwargs):
        """Sets the two optimizers and the loss family; builds the optimizer state.

        Call inside the strategy's scope (the optimizers too should be created there).

        Args:
            d_optimizer: optimizer of the discriminator.
            g_optimizer: optimizer of the generator.
            loss: a family name in :data:`tfopt.gan.losses.LOSSES` or a
                ``(generator_loss, discriminator_loss)`` pair of per-example functions.
            gp_weight: weight of the WGAN-GP gradient penalty added to D's loss (10 in
                the paper; 0 disables).
            info_weight: weight of the InfoGAN mutual-information penalty added to the
                G and D losses when ``categorical_codes`` > 0 (1 in the paper).
            **kwargs: ``keras.Model.compile`` arguments (``jit_compile``,
                ``steps_per_execution``).
        """
        kwargs.setdefault("jit_compile", False)
        super().compile(optimizer=None, **kwargs)
        if float(gp_weight) < 0:
            raise InputError(f"expected gp_weight >= 0; received: gp_weight={gp_weight!r}")
        if float(info_weight) < 0:
            raise InputError(f"expected info_weight >= 0; received: info_weight={info_weight!r}")
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_name = loss if isinstance(loss, str) else "custom"
        self.g_loss_fn, self.d_loss_fn = losses_lib.get_loss(loss)
        self.gp_weight = float(gp_weight)
        self.info_weight = float(info_weight)
        # Build slots now so a checkpoint restores into existing variables.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]
        if getattr(self, "gp_weight", 0.0) > 0:
            trackers.append(self.gp_tracker)
        if self.categorical_codes:
            trackers.append(self.info_tracker)
        return trackers

    @property
    def sampler(self):
        """The generator used for samples: the EMA copy if enabled, else the live one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def call(self, z, training=False):
        """Generates images from noise with :attr:`sampler`.

        Args:
            z: ``[B, latent_dim]`` noise.
            training: batch-norm mode.

        Returns:
            ``[B, H, W, C]`` images in [-1, 1].
        """
        return self.sampler(z, training=training)

    def _global_draw(self, local_batch, draw):
        """Draws ``draw(global_batch)`` once per step on every replica; returns this replica's rows."""
        replica_id, replicas = _replica()
        values = draw(local_batch * replicas)
        return values[replica_id * local_batch : (replica_id + 1) * local_batch]

    def _noise(self, local_batch):
        return self._global_draw(
            local_batch, lambda n: keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
        )

    def _augment(self, images):
        if not self.augment:
            return images
        batch, size = tf.shape(images)[0], images.shape[1]
        if "translation" in self.augment:
            reach = max(size // 8, 1)
            shifts = self._global_draw(
                batch, lambda n: keras.random.randint((n, 2), -reach, reach + 1, seed=self.seed_generator)
            )
            images = augment_lib.translate(images, shifts)
        if "cutout" in self.augment:
            centers = self._global_draw(
                batch, lambda n: keras.random.randint((n, 2), 0, size, seed=self.seed_generator)
            )
            images = augment_lib.cutout(images, centers, size // 2)
        return images

    def _discriminate(self, images):
        """``(logits, code logits or None)`` of the discriminator in training mode."""
        out = self.discriminator(images, training=True)
        if self.categorical_codes:
            return out[0], out[1]
        return out, None

    def _info(self, code_logits, z):
        """Per-example mutual-information penalty of Q's logits against the codes of ``z``."""
        if not self.categorical_codes:
            return None
        return penalties.mutual_information_penalty(code_logits, categorical_code(z, self.categorical_codes))

    def _average(self, per_example, local_batch):
        _, replicas = _replica()
        return tf.nn.compute_average_loss(per_example, global_batch_size=local_batch * replicas)

    def _d_step(self, real):
        batch = tf.shape(real)[0]
        z = self._noise(batch)
        fake = self._augment(self.generator(z, training=True))
        real = self._augment(real)
        eps = None
        if self.gp_weight > 0:
            eps = self._global_draw(batch, lambda n: keras.random.uniform((n,), seed=self.seed_generator))
        with tf.GradientTape() as tape:
            real_logits, _ = self._discriminate(real)
            fake_logits, code_logits = self._discriminate(fake)
            per_example = self.d_loss_fn(real_logits, fake_logits)
            gp = tf.zeros_like(per_example)
            if self.gp_weight > 0:
                gp = penalties.gradient_penalty(lambda x: self._discriminate(x)[0], real, fake, eps)
                per_example = per_example + self.gp_weight * gp
            if self.categorical_codes:
                per_example = per_example + self.info_weight * self._info(code_logits, z)
            loss = self._average(per_example, batch)
        grads = tape.gradient(loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        return (
            loss,
            self._average(tf.reshape(real_logits, [-1]), batch),
            self._average(tf.reshape(fake_logits, [-1]), batch),
            self._average(gp, batch),
        )

    def _g_step(self, z):
        """One generator step; returns ``(loss, mutual-information penalty)`` (both global means)."""
        batch = tf.shape(z)[0]
        with tf.GradientTape() as tape:
            fake_logits, code_logits = self._discriminate(self._augment(self.generator(z, training=True)))
            per_example = self.g_loss_fn(fake_logits)
            info = tf.zeros_like(per_example)
            if self.categorical_codes:
                info = self._info(code_logits, z)
                per_example = per_example + self.info_weight * info
            loss = self._average(per_example, batch)
        grads = tape.gradient(loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        return loss, self._average(info, batch)

    def _update_ema(self, z):
        if self.ema_generator is None:
            return
        # Warm-up as in tf.train.ExponentialMovingAverage(num_updates=step): early on the
        # average forgets the random initial weights quickly.
        step = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
        for ema_var, var in zip(self.ema_generator.trainable_variables, self.generator.trainable_variables):
            ema_var.assign(decay * ema_var + (1.0 - decay) * var)
        if self.ema_generator.non_trainable_variables:
            # Batch-norm moving statistics of the averaged weights: one forward pass in
            # training mode updates them (momentum as configured in the layers).
            self.ema_generator(z, training=True)

    def train_step(self, data):
        """One iteration of Algorithm 1 on one element ``[B, k, H, W, C]`` (or ``[B, H, W, C]`` if k=1).

        Args:
            data: real images, or a tuple whose first item is the real images.

        Returns:
            ``{name: running mean}`` of d_loss, g_loss, d_real, d_fake (mean logits), gp
            (with a penalty) and info (with codes: the G step's mutual-information penalty).
        """
        x = data[0] if isinstance(data, (tuple, list)) else data
        if x.shape.rank == 4:
            if self.k_d_steps != 1:
                raise InputError(
                    f"expected real data [B, k={self.k_d_steps}, H, W, C] (see group_minibatches); "
                    f"received: shape {x.shape}"
                )
            x = x[:, None]
        if x.shape[1] is not None and x.shape[1] != self.k_d_steps:
            raise InputError(f"expected {self.k_d_steps} minibatches per element; received: shape {x.shape}")
        batch = tf.shape(x)[0]
        _, replicas = _replica()
        d_sum = real_sum = fake_sum = gp_sum = 0.0
        for j in range(self.k_d_steps):
            d_loss, d_real, d_fake, gp = self._d_step(x[:, j])
            d_sum, real_sum, fake_sum, gp_sum = d_sum + d_loss, real_sum + d_real, fake_sum + d_fake, gp_sum + gp
        z = self._noise(batch)
        g_loss, info = self._g_step(z)
        self._update_ema(z)
        # Each replica holds its share of a globally averaged value: scale back so
        # the trackers' mean over replicas is the global value.
        scale = float(replicas) / self.k_d_steps
        self.d_loss_tracker.update_state(d_sum * scale)
        self.d_real_tracker.update_state(real_sum * scale)
        self.d_fake_tracker.update_state(fake_sum * scale)
        self.gp_tracker.update_state(gp_sum * scale)
        self.g_loss_tracker.update_state(g_loss * float(replicas))
        self.info_tracker.update_state(info * float(replicas))
        logs = {m.name: m.result() for m in self.metrics}
        if _multi_worker():
            # Keras reduces multi-worker logs with strategy.reduce(MEAN, axis=0),
            # which needs a batch axis: give each value one.
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def generate(self, num, *, seed=0, batch_size=256, training=False):
        """Samples ``num`` images with :attr:`sampler` from a fixed-seed noise.

        Args:
            num: number of images.
            seed: noise seed (the same seed gives the same images).
            batch_size: generator batch size.
            training: batch-norm mode (False: moving statistics).

        Returns:
            numpy float32 ``[num, H, W, C]`` in [-1, 1].
        """
        z = np.random.default_rng(seed).standard_normal((int(num), self.latent_dim)).astype(np.float32)
        return generate_from(self.sampler, z, batch_size=batch_size, training=training)


def generate_from(generator, z, *, batch_size=256, training=False):
    """Runs ``generator`` on noise ``z`` in batches.

    Args:
        generator: ``keras.Model`` ``z -> images``.
        z: numpy ``[N, latent_dim]`` noise.
        batch_size: images per call.
        training: batch-norm mode.

    Returns:
        numpy float32 ``[N, H, W, C]``.
    """
    out = [
        keras.ops.convert_to_numpy(generator(z[i : i + batch_size], training=training))
        for i in range(0, len(z), batch_size)
    ]
    return np.concatenate(out, axis=0).astype(np.float32)
