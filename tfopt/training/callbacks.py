"""The callbacks of any resumable ``fit`` run: progress bar, logged scalars, checkpoints, TensorBoard.

Each acts every N training steps (and at the last step), reading the step from the
run's step counter (:meth:`Run.step`: the optimizer's iteration count by default), so
it is right after a resume. They share one :class:`Run` (directories, TensorBoard
writer, history). The GAN trainer (:mod:`tfopt.gan.callbacks`) and the style network's
trainer (:mod:`tfopt.style.fast`) use them.

Example:
    run = Run(output_dir)
    checkpoints = Checkpoints(run, model, every=100, total=steps)
    start = checkpoints.restore()                       # 0 for a new run
    model.fit(ds, steps_per_epoch=steps - start, callbacks=[
        MetricsLog(run, every=10, total=steps), checkpoints])
"""
import json
import pathlib

import keras
import numpy as np
import tensorflow as tf

from tfopt import distribute
from tfopt.core import files

__all__ = ["Run", "ProgressBar", "MetricsLog", "Checkpoints", "HISTORY_FILE", "due", "tb_scalar", "tb_images"]

HISTORY_FILE = "history.json"


class Run:
    """What the callbacks of one training process share.

    Args:
        output_dir: the run directory (None: a run in memory, with no files and no TensorBoard).
        strategy: the ``tf.distribute.Strategy`` (None: the default one).

    Attributes:
        output_dir: ``pathlib.Path`` of the run (or None).
        chief: whether this process writes the run's files.
        write_dir: where this process writes checkpoints (a private folder off the chief).
        writer: the TensorBoard ``tf.summary`` writer (chief only, with a directory; else None).
        history: the logged scalars, ``[{"step": s, name: value, ...}]``.
    """

    def __init__(self, output_dir, *, strategy=None):
        strategy = strategy or tf.distribute.get_strategy()
        self.output_dir = None if output_dir is None else pathlib.Path(output_dir)
        self.chief = distribute.is_chief(strategy)
        self.write_dir = None if output_dir is None else distribute.worker_dir(self.output_dir, strategy)
        self.writer = None
        if self.chief and output_dir is not None:
            self.writer = tf.summary.create_file_writer(str(self.output_dir / "logs"))
        self.history = []

    def step(self, model):
        """The number of training steps ``model`` has taken: its optimizer's iterations.

        A model with several optimizers counts its steps by one of them: override this.
        """
        return int(model.optimizer.iterations.numpy())

    def load_history(self, step):
        """Reads history.json, keeping the entries up to ``step`` (those of the restored checkpoint)."""
        path = self.output_dir / HISTORY_FILE
        if step and path.is_file():
            self.history = [h for h in json.loads(path.read_text()) if h["step"] <= step]


def due(step, every, total):
    """Whether a callback acting every ``every`` steps acts at ``step`` (always at ``total``)."""
    return step % every == 0 or step == total


def _metadata(plugin):
    """SummaryMetadata naming a TensorBoard plugin (what tf.summary.scalar/image write, without
    needing the tensorboard package at training time)."""
    from tensorflow.core.framework import summary_pb2

    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin))


def tb_scalar(name, value, step):
    """Writes a TensorBoard scalar to the default summary writer."""
    tf.summary.write(name, tf.constant(float(value), tf.float32), step=step, metadata=_metadata("scalars"))


def tb_images(name, images, step):
    """Writes TensorBoard images to the default summary writer; ``images``: float [N, H, W, C] in [0, 1]."""
    pngs = [tf.image.encode_png(tf.cast(tf.round(im * 255.0), tf.uint8)) for im in images]
    height, width = images.shape[1:3]
    tensor = tf.stack([tf.as_string(width), tf.as_string(height)] + pngs)
    tf.summary.write(name, tensor, step=step, metadata=_metadata("images"))


def _values(logs):
    return {k: float(np.asarray(v).reshape(-1)[0]) for k, v in (logs or {}).items()}


class ProgressBar(keras.callbacks.Callback):
    """Advances a :func:`tfopt.core.progress.progress` bar by one per step, showing the logs."""

    def __init__(self, bar):
        super().__init__()
        self.bar = bar

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1, **_values(logs))


class MetricsLog(keras.callbacks.Callback):
    """Every ``every`` steps: appends the running means to the history, writes them to
    TensorBoard, and resets the trackers (so each entry is the mean over its window).

    Args:
        run: the :class:`Run`.
        every: steps between entries.
        total: the last step (always logged).
    """

    def __init__(self, run, *, every, total):
        super().__init__()
        self.run, self.every, self.total = run, int(every), int(total)

    def on_train_batch_end(self, batch, logs=None):
        step = self.run.step(self.model)
        if not due(step, self.every, self.total):
            return
        values = _values(logs)
        self.run.history.append({"step": step, **values})
        if self.run.writer is not None:
            with self.run.writer.as_default(step=step):
                for name, value in values.items():
                    tb_scalar(name, value, step)
        for tracker in self.model.metrics:
            tracker.reset_state()


class Checkpoints(keras.callbacks.Callback):
    """Every ``every`` steps: history.json, a checkpoint (every worker takes part), then ``export()``.

    The history is written first: a kill between the two writes leaves entries past the
    checkpoint, which a resume drops, rather than a checkpoint whose history is missing.

    Args:
        run: the :class:`Run`.
        model: the trained model; its step (:meth:`Run.step`) is read after a restore.
        every: steps between checkpoints.
        total: the last step (always checkpointed).
        objects: what the checkpoint holds, ``{name: trackable}`` (None: the model and its optimizer).
        export: called as ``export()`` on the chief after each checkpoint (e.g. saving a ``.keras`` file).
        max_to_keep: checkpoints kept.
    """

    def __init__(self, run, model, *, every, total, objects=None, export=None, max_to_keep=2):
        super().__init__()
        self.run, self.every, self.total = run, int(every), int(total)
        self.trained, self.export = model, export
        objects = objects if objects is not None else {"model": model, "optimizer": model.optimizer}
        self.checkpoint = tf.train.Checkpoint(**objects)
        self.manager = tf.train.CheckpointManager(self.checkpoint, run.write_dir / "ckpt", max_to_keep=max_to_keep)

    def restore(self):
        """Restores the chief's latest checkpoint (shared storage); returns its step (0 if none)."""
        latest = tf.train.latest_checkpoint(str(self.run.output_dir / "ckpt"))
        if latest:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        step = self.run.step(self.trained)
        self.run.load_history(step)
        return step

    def save(self, step):
        """Writes the history, the checkpoint of ``step``, then calls ``export()`` (chief only)."""
        if self.run.chief:
            files.write_json(self.run.output_dir / HISTORY_FILE, self.run.history)
        self.manager.save(checkpoint_number=step)
        if self.run.chief and self.export is not None:
            self.export()

    def on_train_batch_end(self, batch, logs=None):
        step = self.run.step(self.model)
        if due(step, self.every, self.total):
            self.save(step)
