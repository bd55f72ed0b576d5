"""The callbacks of a GAN run: progress bar, logged scalars, sample grids, checkpoints.

Each is a ``keras.callbacks.Callback`` that acts every N generator steps (and at the
last step), reading the step from the generator optimizer's iteration count, so it is
right after a resume. They share one :class:`Run` (directories, TensorBoard writer,
history). :func:`tfopt.gan.train` uses all four; a script that calls ``gan.fit`` itself
can pick the ones it wants.

Example:
    run = Run(output_dir, strategy=strategy)
    gan.fit(ds, steps_per_epoch=steps, callbacks=[
        MetricsLog(run, every=25, total=steps), SampleGrids(run, every=250, total=steps, z=z),
        Checkpoints(run, gan, every=250, total=steps)])
"""
import json
import pathlib

import keras
import numpy as np
import tensorflow as tf

from tfopt import distribute
from tfopt.core import files
from tfopt.gan import feeds, io
from tfopt.images import save_grid

__all__ = ["Run", "ProgressBar", "MetricsLog", "SampleGrids", "Checkpoints", "HISTORY_FILE"]

HISTORY_FILE = "history.json"


class Run:
    """What the callbacks of one training process share.

    Args:
        output_dir: the run directory.
        strategy: the ``tf.distribute.Strategy`` (None: the default one).

    Attributes:
        output_dir: ``pathlib.Path`` of the run.
        chief: whether this process writes the run's files.
        write_dir: where this process writes checkpoints (a private folder off the chief).
        writer: the TensorBoard ``tf.summary`` writer (chief only, else None).
        history: the logged scalars, ``[{"step": s, name: value, ...}]``.
    """

    def __init__(self, output_dir, *, strategy=None):
        strategy = strategy or tf.distribute.get_strategy()
        self.output_dir = pathlib.Path(output_dir)
        self.chief = distribute.is_chief(strategy)
        self.write_dir = distribute.worker_dir(self.output_dir, strategy)
        self.writer = tf.summary.create_file_writer(str(self.output_dir / "logs")) if self.chief else None
        self.history = []

    def load_history(self, step):
        """Reads history.json, keeping the entries up to ``step`` (those of the restored checkpoint)."""
        path = self.output_dir / HISTORY_FILE
        if step and path.is_file():
            self.history = [h for h in json.loads(path.read_text()) if h["step"] <= step]


def _step(model):
    return int(model.g_optimizer.iterations.numpy())


def _due(step, every, total):
    return step % every == 0 or step == total


def _metadata(plugin):
    """SummaryMetadata naming a TensorBoard plugin (what tf.summary.scalar/image write, without
    needing the tensorboard package at training time)."""
    from tensorflow.core.framework import summary_pb2

    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin))


def _tb_scalar(name, value, step):
    tf.summary.write(name, tf.constant(float(value), tf.float32), step=step, metadata=_metadata("scalars"))


def _tb_images(name, images, step):
    """images: float [N, H, W, C] in [0, 1]."""
    pngs = [tf.image.encode_png(tf.cast(tf.round(im * 255.0), tf.uint8)) for im in images]
    height, width = images.shape[1:3]
    tensor = tf.stack([tf.as_string(width), tf.as_string(height)] + pngs)
    tf.summary.write(name, tensor, step=step, metadata=_metadata("images"))


class ProgressBar(keras.callbacks.Callback):
    """Advances a :func:`tfopt.core.progress.progress` bar by one per step, showing the logs."""

    def __init__(self, bar):
        super().__init__()
        self.bar = bar

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1, **{k: float(np.asarray(v).reshape(-1)[0]) for k, v in (logs or {}).items()})


class MetricsLog(keras.callbacks.Callback):
    """Every ``every`` steps: appends the running means to the history, writes them to
    TensorBoard, and resets the trackers (so each entry is the mean over its window)."""

    def __init__(self, run, *, every, total):
        super().__init__()
        self.run, self.every, self.total = run, int(every), int(total)

    def on_train_batch_end(self, batch, logs=None):
        step = _step(self.model)
        if not _due(step, self.every, self.total):
            return
        values = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in (logs or {}).items()}
        self.run.history.append({"step": step, **values})
        if self.run.writer is not None:
            with self.run.writer.as_default(step=step):
                for name, value in values.items():
                    _tb_scalar(name, value, step)
        for tracker in self.model.metrics:
            tracker.reset_state()


class SampleGrids(keras.callbacks.Callback):
    """Every ``every`` steps (chief only): a grid of the sampler's images from fixed inputs.

    Writes ``samples/step_<step>.png``, ``samples.png`` (the latest) and TensorBoard images.

    Args:
        run: the :class:`Run`.
        every: steps between grids.
        total: the last step (always gets a grid).
        z: fixed noise ``[N, latent_dim]`` (None for a generator without z).
        condition: fixed conditions ``[N, ...]`` (None for an unconditional model).
        ncols: images per row.
        labels: a caption per image (or None).
        beside: optional images ``[N, H, W, C]`` in [0, 1] shown after each generated one
            (e.g. the input and the target of an image-to-image model).
    """

    def __init__(self, run, *, every, total, z=None, condition=None, ncols=8, labels=None, beside=()):
        super().__init__()
        self.run, self.every, self.total = run, int(every), int(total)
        self.z, self.condition, self.ncols, self.labels, self.beside = z, condition, ncols, labels, tuple(beside)

    def images(self):
        """The grid's tiles in [0, 1] (generated images, each followed by its ``beside`` images)."""
        fake = (feeds.generate_from(self.model.sampler, self.z, condition=self.condition) + 1.0) / 2.0
        if not self.beside:
            return np.clip(fake, 0.0, 1.0)
        stacked = np.stack([fake, *[np.asarray(b, np.float32) for b in self.beside]], axis=1)
        return np.clip(stacked.reshape((-1,) + fake.shape[1:]), 0.0, 1.0)

    def write(self, step):
        """Writes the grids of ``step`` (chief only)."""
        if not self.run.chief:
            return
        images = self.images()
        folder = self.run.output_dir / "samples"
        folder.mkdir(exist_ok=True)
        ncols = self.ncols * (1 + len(self.beside))
        save_grid(folder / f"step_{step:06d}.png", images, labels=self.labels, ncols=ncols, scale=2)
        save_grid(self.run.output_dir / "samples.png", images, labels=self.labels, ncols=ncols, scale=2)
        with self.run.writer.as_default(step=step):
            _tb_images("samples", images[:16], step)

    def on_train_batch_end(self, batch, logs=None):
        step = _step(self.model)
        if _due(step, self.every, self.total):
            self.write(step)


class Checkpoints(keras.callbacks.Callback):
    """Every ``every`` steps: history.json, a checkpoint (every worker takes part), generator.keras.

    The history is written first: a kill between the two writes leaves entries past the
    checkpoint, which a resume drops, rather than a checkpoint whose history is missing.

    Args:
        run: the :class:`Run`.
        gan: the :class:`~tfopt.gan.GAN` (its networks, optimizers, trackers and noise state are saved).
        every: steps between checkpoints.
        total: the last step (always checkpointed).
        max_to_keep: checkpoints kept.
    """

    def __init__(self, run, gan, *, every, total, max_to_keep=2):
        super().__init__()
        self.run, self.every, self.total = run, int(every), int(total)
        self.checkpoint = tf.train.Checkpoint(gan=gan, d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer)
        self.manager = tf.train.CheckpointManager(self.checkpoint, run.write_dir / "ckpt", max_to_keep=max_to_keep)

    def restore(self):
        """Restores the chief's latest checkpoint (shared storage); returns its step (0 if none)."""
        latest = tf.train.latest_checkpoint(str(self.run.output_dir / "ckpt"))
        if latest:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        step = int(self.checkpoint.g_optimizer.iterations.numpy())
        self.run.load_history(step)
        return step

    def save(self, step):
        """Writes the history, the checkpoint of ``step`` and the sampler's generator.keras."""
        if self.run.chief:
            files.write_json(self.run.output_dir / HISTORY_FILE, self.run.history)
        self.manager.save(checkpoint_number=step)
        if self.run.chief:
            io.save_generator(self.checkpoint.gan.sampler, self.run.output_dir / io.GENERATOR_FILE)

    def on_train_batch_end(self, batch, logs=None):
        step = _step(self.model)
        if _due(step, self.every, self.total):
            self.save(step)
