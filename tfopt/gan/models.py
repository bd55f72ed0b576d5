"""The GAN model: Algorithm 1 of Goodfellow et al. 2014 as a Keras ``train_step``, for any conditioning.

One call of :meth:`GAN.train_step` is one iteration of Algorithm 1: ``k``
discriminator steps, each on its **own** minibatch, then one generator step. The real
data of an iteration is one element whose entries carry a ``k`` axis: ``image [B, k,
H, W, C]``, plus any conditioning ``condition [B, k, ...]``, ``wrong_condition``, ...
(:func:`~tfopt.gan.inputs.group_minibatches` builds it); D step ``j`` uses entry
``[:, j]`` and the G step reuses the conditions of the last minibatch with fresh noise.
With ``k = 1`` the ``k`` axis may be left out.

The networks are ``G(z, c)`` and ``D(x, c)``, fed by input name (see
:mod:`tfopt.gan.feeds`): ``c`` is absent, a class id, an image, a text embedding or a
dict of these. Each network's objective is a list of weighted terms
(:mod:`tfopt.gan.terms`), pure functions of the step's :class:`~tfopt.gan.record.Record`;
the model knows nothing of InfoGAN, L1 or penalties.

Spectrally normalized layers (:mod:`tfopt.layers.spectral`) take one power iteration at
the start of each step of their network, not one per call.

Reductions make the replica count irrelevant: per-example terms are summed and divided
by the *global* batch size, scalar terms by the replica count, the optimizer sums
gradients over replicas, every random draw (noise, augmentation offsets, penalty
weights) is made for the whole global batch from one ``keras.random.SeedGenerator`` and
each replica takes its rows, and batch norm uses cross-replica statistics.

Example:
    g = nets.build("dcgan_generator", latent_dim=100, image_size=32, channels=1)
    d = nets.build("dcgan_discriminator", image_size=32, channels=1)
    gan = GAN(g, d, k_d_steps=1, ema_decay=0.999, seed=0)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5),
                loss="non_saturating")
    gan.fit(group_minibatches(images, batch_size=64, k=1), steps_per_epoch=1000)
    samples = gan.generate(64, seed=1)                 # numpy, [-1, 1]
"""
import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import augment as augment_lib
from tfopt.gan import feeds
from tfopt.gan import terms as terms_lib
from tfopt.gan.record import Record
from tfopt.layers.spectral import update_spectral_norms

__all__ = ["GAN"]


def _replica():
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context: behave as one replica
        return 0, 1
    return ctx.replica_id_in_sync_group, ctx.num_replicas_in_sync


def _multi_worker():
    strategy = tf.distribute.get_strategy()
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode()


def _is_image_like(condition, image):
    return (condition is not None and not isinstance(condition, dict) and condition.shape.rank == 4
            and condition.shape[1:3] == image.shape[1:3] and condition.dtype.is_floating)


def _batch_size(images):
    """The batch size of images given as a tensor or as a dict of tensors (one per scale)."""
    return tf.shape(tf.nest.flatten(images)[0])[0]


def _judged(generated, real):
    """The generated images D judges: ``generated["image"]``, or a dict like ``real``'s of same-named outputs."""
    if isinstance(real, dict):
        return {name: generated[name] for name in real}
    return generated["image"]


def _clone_unless_frozen(layer):
    """A fresh copy of a trainable layer for the EMA generator; a frozen layer is returned itself, shared."""
    if isinstance(layer, keras.layers.Layer) and not layer.trainable:
        return layer
    return layer.__class__.from_config(layer.get_config())


_EMA_STATISTICS = ("forward", "average")


def _moving_statistics(model):
    """The moving means and variances of every batch norm in ``model`` (nested layers included), in layer order."""
    return [v for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)
            for v in (layer.moving_mean, layer.moving_variance)]


class GAN(keras.Model):
    """A generator and a discriminator trained by Algorithm 1 (k D steps, then one G step).

    Args:
        generator: ``keras.Model`` with inputs ``z`` (optional) and condition inputs,
            producing images in [-1, 1] (or a dict with ``image`` and extra outputs).
        discriminator: ``keras.Model`` with inputs ``image`` and condition inputs,
            producing logits (or a dict with ``logits`` and extra heads).
        k_d_steps: discriminator steps per generator step (Algorithm 1's ``k``).
        ema_decay: if set (e.g. 0.999), keep ``ema_generator``, an exponential moving
            average of the generator's weights, updated after every G step with the
            decay ``min(ema_decay, (1 + t) / (10 + t))`` at G step ``t``; it is what
            :meth:`call` and :meth:`generate` use. Its batch-norm statistics follow
            ``ema_statistics``.
        ema_statistics: how the EMA generator's batch-norm moving statistics are kept:
            ``"forward"`` (after every average it runs forward in training mode on the G
            step's inputs, so they are the averaged weights' own) or ``"average"`` (they are
            averaged with the same decay from the live generator's, as BigGAN's reference
            code averages every buffer of its state: no extra forward pass).
        seed: seed of the ``keras.random.SeedGenerator`` behind every random draw.
        augment: DiffAugment policy for everything the discriminator sees (real and
            generated, in both steps): ``"translation"``, ``"cutout"``, both
            comma-separated, or None. An image condition (pix2pix's input) is moved
            with the same offsets as the image it comes with.
        ema_generator: the model that holds the average (default: a clone of
            ``generator`` made here). Progressive growing passes a view of its own
            persistent averaged layers, so the average outlives each stage's model.
        ema_step: a variable counting generator steps for the EMA warm-up (default:
            the generator optimizer's iterations; progressive growing, whose
            optimizers start afresh at each stage, passes its run-wide step).
        real_transform: a function applied to each real minibatch inside the step,
            before anything reads it (progressive growing's fade of the real images). It
            may return a dict of images by discriminator input name (AttnGAN: the real
            image and its half-size copy, one per generator stage); the generated images
            D judges are then the generator's outputs of the same names.
        **kwargs: ``keras.Model`` arguments (``name``).

    Example:
        gan = GAN(g, d, k_d_steps=2, ema_decay=0.999)
    """

    def __init__(self, generator, discriminator, *, k_d_steps=1, ema_decay=None, seed=0, augment=None,
                 ema_generator=None, ema_step=None, real_transform=None, ema_statistics="forward", **kwargs):
        kwargs.setdefault("name", "gan")
        super().__init__(**kwargs)
        if isinstance(k_d_steps, bool) or not isinstance(k_d_steps, int) or k_d_steps < 1:
            raise InputError(f"expected k_d_steps to be an integer >= 1; received: k_d_steps={k_d_steps!r}")
        if ema_decay is not None and not 0.0 <= float(ema_decay) < 1.0:
            raise InputError(f"expected 0 <= ema_decay < 1 or None; received: ema_decay={ema_decay!r}")
        if ema_statistics not in _EMA_STATISTICS:
            raise InputError(f"expected ema_statistics in {_EMA_STATISTICS}; received: "
                             f"ema_statistics={ema_statistics!r}")
        self.ema_statistics = ema_statistics
        if "image" not in feeds.input_names(discriminator):
            raise InputError(f"expected a discriminator input named 'image'; received: "
                             f"{feeds.input_names(discriminator)}")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = feeds.latent_dim_of(generator)
        self.condition_names = tuple(feeds.condition_names(generator))
        if not self.latent_dim and not self.condition_names:
            raise InputError(f"expected a generator with a 'z' or a condition input; received: "
                             f"{feeds.input_names(generator)}")
        self.k_d_steps = k_d_steps
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.seed = int(seed)
        self.augment = augment_lib.parse_policy(augment)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.ema_generator = None
        if self.ema_decay is not None:
            self.ema_generator = ema_generator
            if ema_generator is None:
                # A frozen part (StackGAN Stage II holds a frozen Stage I) is shared, not cloned: a clone of it
                # would forget the freeze in its nested layers, and the average's trainable variables would
                # no longer pair with the generator's.
                self.ema_generator = keras.models.clone_model(generator, clone_function=_clone_unless_frozen)
                self.ema_generator.set_weights(generator.get_weights())
            averaged, live = self.ema_generator.trainable_variables, generator.trainable_variables
            if [v.shape for v in averaged] != [v.shape for v in live]:  # checked once here, not at every update
                raise InputError("expected the EMA generator's trainable variables to match the generator's; "
                                 f"received: {len(averaged)} against {len(live)}")
        self.ema_step = ema_step
        self.real_transform = real_transform
        self.built = True

    @property
    def conditional(self):
        """Whether the generator takes a condition."""
        return bool(self.condition_names)

    def compile(self, d_optimizer, g_optimizer, *, loss="non_saturating", d_terms=None, g_terms=None, **kwargs):
        """Sets the optimizers and each network's weighted terms; builds the optimizer state.

        Call inside the strategy's scope (the optimizers too should be created there).

        Args:
            d_optimizer: optimizer of the discriminator.
            g_optimizer: optimizer of the generator.
            loss: the family of the default adversarial terms (see
                :data:`tfopt.gan.losses.LOSSES`), used where a term list is not given.
            d_terms: the discriminator's ``[(weight, Term), ...]``; default
                ``[(1, d_adversarial(loss))]``.
            g_terms: the generator's list; default ``[(1, g_adversarial(loss))]``.
            **kwargs: ``keras.Model.compile`` arguments (``jit_compile``,
                ``steps_per_execution``).
        """
        kwargs.setdefault("jit_compile", False)
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_terms = terms_lib.check_terms(d_terms or [(1.0, terms_lib.d_adversarial(loss))], "discriminator")
        self.g_terms = terms_lib.check_terms(g_terms or [(1.0, terms_lib.g_adversarial(loss))], "generator")
        names = ["d_loss", "g_loss", "d_real", "d_fake"]
        names += [f"d_{t.name}" for _, t in self.d_terms] + [f"g_{t.name}" for _, t in self.g_terms]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        # Build slots now so a checkpoint restores into existing variables.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(getattr(self, "trackers", {}).values())

    @property
    def sampler(self):
        """The generator used for samples: the EMA copy if enabled, else the live one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def call(self, inputs, training=False):
        """Generates images with :attr:`sampler` (``inputs``: z, or ``[z, condition]`` in its input order)."""
        return self.sampler(inputs, training=training)

    # -- random draws, made for the global batch so every replica count sees the same values --

    def _global_draw(self, local_batch, draw):
        replica_id, replicas = _replica()
        values = draw(local_batch * replicas)
        return values[replica_id * local_batch : (replica_id + 1) * local_batch]

    def _noise(self, batch):
        if not self.latent_dim:
            return None
        return self._global_draw(batch, lambda n: keras.random.normal((n, self.latent_dim), seed=self.seed_generator))

    def _augment(self, image, condition):
        """DiffAugment of what D sees; an image condition moves with its image (same offsets)."""
        if not self.augment:
            return image, condition
        if isinstance(image, dict):
            raise InputError(f"expected one image per example with augment={','.join(self.augment)}; received: "
                             f"images {sorted(image)}")
        paired = _is_image_like(condition, image)
        x = tf.concat([image, tf.cast(condition, image.dtype)], axis=-1) if paired else image
        batch, size = tf.shape(x)[0], x.shape[1]
        if "translation" in self.augment:
            reach = max(size // 8, 1)
            shifts = self._global_draw(
                batch, lambda n: keras.random.randint((n, 2), -reach, reach + 1, seed=self.seed_generator))
            x = augment_lib.translate(x, shifts)
        if "cutout" in self.augment:
            centers = self._global_draw(
                batch, lambda n: keras.random.randint((n, 2), 0, size, seed=self.seed_generator))
            x = augment_lib.cutout(x, centers, size // 2)
        if paired:
            channels = image.shape[-1]
            return x[..., :channels], tf.cast(x[..., channels:], condition.dtype)
        return x, condition

    # -- the networks, fed by name --

    def generate_outputs(self, z, condition, *, model=None, training=True):
        """The generator's outputs as a dict with ``image`` (training mode by default)."""
        model = model or self.generator
        return feeds.outputs(model(feeds.feed(model, z=z, condition=condition), training=training), "image")

    def discriminate(self, image, condition=None):
        """The discriminator's outputs (a dict with ``logits``) in training mode."""
        d = self.discriminator
        return feeds.outputs(d(feeds.feed(d, image=image, condition=condition), training=True), "logits")

    def _record(self, batch):
        """The step record of one minibatch ``{"image": ..., "condition": ..., ...}``."""
        values = {("real" if name == "image" else name): value for name, value in batch.items()}
        if self.real_transform is not None:
            values["real"] = self.real_transform(values["real"])
        local = _batch_size(values["real"])
        values.setdefault("condition", None)
        producers = {
            "z": lambda r: self._noise(local),
            "generated": lambda r: self.generate_outputs(r["z"], r["condition"]),
            # What D judges: the image, or (real images given as a dict of scales) the same-named outputs.
            "fake": lambda r: _judged(r["generated"], r["real"]),
            # A wrong condition from the data if it has one, else the next example's (in this replica).
            "wrong_condition": lambda r: tf.nest.map_structure(lambda c: tf.roll(c, 1, axis=0), r["condition"]),
            "seen_real": lambda r: self._augment(r["real"], r["condition"]),
            "seen_fake": lambda r: self._augment(r["fake"], r["condition"]),
            "seen_wrong": lambda r: self._augment(r["real"], r["wrong_condition"]),
            "d_real": lambda r: self.discriminate(*r["seen_real"]),
            "d_fake": lambda r: self.discriminate(*r["seen_fake"]),
            "d_wrong": lambda r: self.discriminate(*r["seen_wrong"]),
            "epsilon": lambda r: self._global_draw(local, lambda n: keras.random.uniform((n,), seed=self.seed_generator)),
        }
        return Record(values, producers, owner=self)

    def _objective(self, weighted_terms, record, local_batch):
        """``(total loss, {term name: unweighted value})``, each reduced for the global batch."""
        _, replicas = _replica()
        total, values = 0.0, {}
        for weight, term in weighted_terms:
            value = tf.cast(term(record), tf.float32)
            if value.shape.rank == 0:  # on weights: each replica adds its share
                value = tf.nn.scale_regularization_loss(value)
            else:
                value = tf.nn.compute_average_loss(value, global_batch_size=local_batch * replicas)
            values[term.name] = value
            total = total + weight * value if weight else total
        return total, values

    def _mean_logits(self, outputs, local_batch):
        _, replicas = _replica()
        logits = tf.reshape(tf.cast(outputs["logits"], tf.float32), [local_batch, -1])
        return tf.nn.compute_average_loss(tf.reduce_mean(logits, axis=1), global_batch_size=local_batch * replicas)

    def _d_step(self, batch):
        update_spectral_norms(self.discriminator)  # one power iteration per D step, whatever D is called on
        record = self._record(batch)
        local = _batch_size(record["real"])
        record.set("fake", tf.nest.map_structure(tf.stop_gradient, record["fake"]))  # G runs outside D's tape
        with tf.GradientTape() as tape:
            loss, values = self._objective(self.d_terms, record, local)
        grads = tape.gradient(loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        values = {f"d_{name}": value for name, value in values.items()}
        values["d_loss"] = loss
        values["d_real"] = self._mean_logits(record["d_real"], local)
        values["d_fake"] = self._mean_logits(record["d_fake"], local)
        return values

    def _g_step(self, batch):
        update_spectral_norms(self.generator)
        record = self._record(batch)
        local = _batch_size(record["real"])
        with tf.GradientTape() as tape:
            loss, values = self._objective(self.g_terms, record, local)
        grads = tape.gradient(loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
        values = {f"g_{name}": value for name, value in values.items()}
        values["g_loss"] = loss
        return values, record

    def _update_ema(self, z, condition):
        if self.ema_generator is None:
            return
        # Warm-up as in tf.train.ExponentialMovingAverage(num_updates=step): early on the
        # average forgets the random initial weights quickly.
        step = tf.cast(self.g_optimizer.iterations if self.ema_step is None else self.ema_step, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
        averaged = list(zip(self.ema_generator.trainable_variables, self.generator.trainable_variables))
        if self.ema_statistics == "average":
            averaged += zip(_moving_statistics(self.ema_generator), _moving_statistics(self.generator))
        for ema_var, var in averaged:
            ema_var.assign(decay * ema_var + (1.0 - decay) * var)
        update_spectral_norms(self.ema_generator)  # the average's own singular vectors
        if self.ema_statistics == "forward" and self.ema_generator.non_trainable_variables:
            # Batch-norm moving statistics of the averaged weights: one forward pass in
            # training mode updates them (momentum as configured in the layers).
            self.ema_generator(feeds.feed(self.ema_generator, z=z, condition=condition), training=True)

    def examples(self, data):
        """One element of data as a dict with ``image``: a tensor is the images; an
        ``(image, label)`` tuple gives the label as ``condition`` to a conditional model."""
        if isinstance(data, dict):
            if "image" not in data:
                raise InputError(f"expected real data with an 'image' entry; received: {sorted(data)}")
            return dict(data)
        if isinstance(data, (tuple, list)):
            if self.conditional and len(data) > 1:
                return {"image": data[0], "condition": data[1]}
            return {"image": data[0]}
        return {"image": data}

    def train_step(self, data):
        """One iteration of Algorithm 1 on one element (entries ``[B, k, ...]``, or ``[B, ...]`` if k=1).

        Returns:
            ``{name: running mean}`` of d_loss, g_loss, d_real, d_fake (mean logits) and
            every term, as ``d_<term>`` / ``g_<term>``.
        """
        data = self.examples(data)
        if data["image"].shape.rank == 4:
            if self.k_d_steps != 1:
                raise InputError(f"expected real data [B, k={self.k_d_steps}, H, W, C] (see group_minibatches); "
                                 f"received: shape {data['image'].shape}")
            data = tf.nest.map_structure(lambda t: t[:, None], data)
        if data["image"].shape[1] is not None and data["image"].shape[1] != self.k_d_steps:
            raise InputError(f"expected {self.k_d_steps} minibatches per element; received: shape "
                             f"{data['image'].shape}")
        _, replicas = _replica()
        totals = {}
        for j in range(self.k_d_steps):
            batch = tf.nest.map_structure(lambda t, j=j: t[:, j], data)
            for name, value in self._d_step(batch).items():
                totals[name] = totals.get(name, 0.0) + value / self.k_d_steps
        g_values, record = self._g_step(batch)
        self._update_ema(record["z"], record["condition"])
        # Each replica holds its share of a globally averaged value: scale back so the
        # trackers' mean over replicas is the global value.
        for name, value in {**totals, **g_values}.items():
            self.trackers[name].update_state(value * float(replicas))
        logs = {m.name: m.result() for m in self.metrics}
        if _multi_worker():
            # Keras reduces multi-worker logs with strategy.reduce(MEAN, axis=0),
            # which needs a batch axis: give each value one.
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def generate(self, num, *, seed=0, condition=None, batch_size=256, training=False):
        """Samples ``num`` images with :attr:`sampler` from a fixed-seed noise.

        Args:
            num: number of images.
            seed: noise seed (the same seed gives the same images).
            condition: ``[num, ...]`` conditions (array or dict), for a conditional model.
            batch_size: generator batch size.
            training: batch-norm mode (False: moving statistics).

        Returns:
            numpy float32 ``[num, H, W, C]`` in [-1, 1].
        """
        if self.conditional and condition is None:
            raise InputError(f"expected a condition for each of the {num} samples (inputs "
                             f"{list(self.condition_names)}); received: condition=None")
        z = None
        if self.latent_dim:
            z = np.random.default_rng(seed).standard_normal((int(num), self.latent_dim)).astype(np.float32)
        return feeds.generate_from(self.sampler, z, condition=condition, batch_size=batch_size, training=training)
