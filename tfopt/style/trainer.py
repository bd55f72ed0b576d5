"""The style network's training model (a Keras ``train_step``), its stream of crops, and its previews.

:class:`StyleNetTrainer` holds the transformation network, the frozen loss network and
the perceptual loss; ``fit`` trains the network, as the Keras GAN guide trains its GAN.
:class:`CropStream` draws the random square crops from one seeded generator, so a
resumed run sees the crops an uninterrupted run would have seen. :class:`Previews`
shows the network's output on a fixed image in TensorBoard and as PNGs.
:func:`tfopt.style.fast.train_stylenet` puts them together with the checkpoints of
:mod:`tfopt.training`.

Example:
    trainer = StyleNetTrainer(net, fm, total, terms, content_layers=("block4_conv2",))
    trainer.compile(keras.optimizers.Adam(2e-3))
    trainer.fit(CropStream(photos, batch_size=4, size=128, seed=0).dataset(), steps_per_epoch=400)
"""
import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.images import resize_max_side, save_image
from tfopt.optim.objectives import Context
from tfopt.style.losses import TARGET_PREFIX
from tfopt.training.callbacks import due, tb_images

__all__ = ["StyleNetTrainer", "CropStream", "Previews", "LOSS_NAMES"]

LOSS_NAMES = ("total", "content", "style", "tv")
"""The trainer's metrics: batch means of the weighted total and of each (unweighted) term."""


class StyleNetTrainer(keras.Model):
    """Trains a transformation network to minimize the perceptual loss of its output.

    Each step: the crops' own features at the content layers are the content targets,
    the network stylizes the crops, and Adam (or the compiled optimizer) moves the
    network's weights down the mean of ``total`` over the batch. Only the network is
    trained and checkpointed: the loss network is held outside Keras's tracking.

    Args:
        net: the transformation network, ``[B, H, W, 3]`` in [0, 1] -> same.
        features: a :class:`~tfopt.models.features.FeatureModel` of the loss network
            reading every layer of the loss.
        total: the per-sample loss, ``fn(Context) -> [B]`` (from
            :func:`~tfopt.style.losses.batch_objective`).
        terms: ``{"content", "style", "tv": fn(Context) -> [B]}`` (unweighted terms).
        content_layers: the layers whose targets are the crops' own features.
        **kwargs: ``keras.Model`` arguments (``name``).

    Example:
        trainer = StyleNetTrainer(net, fm, total, terms, content_layers=layers.content)
    """

    def __init__(self, net, features, total, terms, *, content_layers, **kwargs):
        kwargs.setdefault("name", "stylenet_trainer")
        super().__init__(**kwargs)
        if sorted(terms) != sorted(LOSS_NAMES[1:]):
            raise InputError(f"expected terms {', '.join(LOSS_NAMES[1:])}; received: {', '.join(sorted(terms))}")
        if not content_layers:
            raise InputError("expected at least one content layer; received: none")
        self.net = net
        self._features = features  # not an attribute Keras tracks: the loss network stays out of checkpoints
        self._total, self._terms, self._content_layers = total, dict(terms), tuple(content_layers)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in LOSS_NAMES}
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, optimizer, **kwargs):
        """Sets the optimizer and builds its state (so a checkpoint restores into existing variables).

        Args:
            optimizer: a Keras optimizer.
            **kwargs: ``keras.Model.compile`` arguments (``jit_compile``, ``steps_per_execution``).
        """
        kwargs.setdefault("jit_compile", False)
        super().compile(optimizer=optimizer, **kwargs)
        self.optimizer.build(self.net.trainable_variables)

    def call(self, images, training=False):
        """Stylizes ``images`` with the network."""
        return self.net(images, training=training)

    def losses_of(self, images, stylized, targets=None):
        """``(mean total, {term: batch mean})`` of ``stylized`` given the crops ``images``.

        Args:
            images: the crops, [B, H, W, 3].
            stylized: the network's output on them.
            targets: the crops' features (None: computed here).
        """
        targets = self._features(images) if targets is None else targets
        acts = dict(self._features(stylized))
        acts.update({TARGET_PREFIX + n: tf.stop_gradient(targets[n]) for n in self._content_layers})
        ctx = Context(acts, stylized)
        return tf.reduce_mean(self._total(ctx)), {k: tf.reduce_mean(t(ctx)) for k, t in self._terms.items()}

    def train_step(self, images):
        targets = self._features(images)  # outside the tape: the targets carry no gradient
        with tf.GradientTape() as tape:
            loss, terms = self.losses_of(images, self.net(images, training=True), targets)
        variables = self.net.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        for name, value in {"total": loss, **terms}.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class CropStream:
    """Batches of random square crops (random horizontal flips) of content images, from one seeded generator.

    An image whose shorter side is below ``size`` is resized up first (keeping its shape).
    Each crop draws, in order: the image, its top, its left, its flip. :meth:`skip` draws
    those numbers without cutting the crops, so a resumed run continues the same sequence.

    Args:
        images: content images, a list of [H, W, 3] in [0, 1].
        batch_size: crops per batch.
        size: side of the crops.
        seed: seed of the generator.
    """

    def __init__(self, images, *, batch_size, size, seed):
        if not images:
            raise InputError("expected at least one content image; received: 0")
        self.batch_size, self.size = int(batch_size), int(size)
        self.images = [self._fit(np.asarray(image, np.float32)) for image in images]
        self.rng = np.random.default_rng(seed)

    def _fit(self, image):
        h, w = image.shape[:2]
        if min(h, w) < self.size:
            image = np.asarray(resize_max_side(image, int(np.ceil(self.size * max(h, w) / min(h, w)))), np.float32)
        return image

    def _draw(self):
        index = self.rng.integers(len(self.images))
        h, w = self.images[index].shape[:2]
        top, left = self.rng.integers(h - self.size + 1), self.rng.integers(w - self.size + 1)
        return index, top, left, self.rng.random() < 0.5

    def skip(self, batches):
        """Draws (and drops) the random numbers of ``batches`` batches."""
        for _ in range(int(batches) * self.batch_size):
            self._draw()

    def batch(self):
        """The next batch, float32 ``[batch_size, size, size, 3]``."""
        out = np.empty([self.batch_size, self.size, self.size, 3], np.float32)
        for i in range(self.batch_size):
            index, top, left, flip = self._draw()
            crop = self.images[index][top:top + self.size, left:left + self.size]
            out[i] = crop[:, ::-1] if flip else crop
        return out

    def dataset(self):
        """An endless ``tf.data.Dataset`` of :meth:`batch` (drawn in order, one at a time)."""
        def batches():
            while True:
                yield self.batch()

        spec = tf.TensorSpec([self.batch_size, self.size, self.size, 3], tf.float32)
        return tf.data.Dataset.from_generator(batches, output_signature=spec).prefetch(1)


class Previews(keras.callbacks.Callback):
    """Every ``every`` steps (chief only): the network's output on a fixed image.

    Writes ``previews/step_<step>.png`` and a TensorBoard image ``preview``.

    Args:
        run: the :class:`~tfopt.training.callbacks.Run`.
        image: [H, W, 3] in [0, 1].
        every: steps between previews.
        total: the last step (always previewed).
    """

    def __init__(self, run, image, *, every, total):
        super().__init__()
        self.run, self.every, self.total = run, int(every), int(total)
        self.image = tf.convert_to_tensor(np.asarray(image, np.float32)[None])

    def on_train_batch_end(self, batch, logs=None):
        step = self.run.step(self.model)
        if not self.run.chief or not due(step, self.every, self.total):
            return
        out = np.clip(np.asarray(self.model.net(self.image, training=False)), 0.0, 1.0)
        folder = self.run.output_dir / "previews"
        folder.mkdir(exist_ok=True)
        save_image(folder / f"step_{step:06d}.png", out[0])
        with self.run.writer.as_default(step=step):
            tb_images("preview", out, step)
