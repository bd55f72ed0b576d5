"""The callbacks of a GAN run: progress bar, logged scalars, sample grids, checkpoints.

Each is a ``keras.callbacks.Callback`` that acts every N generator steps (and at the
last step), reading the step from the generator optimizer's iteration count, so it is
right after a resume. They share one :class:`Run` (directories, TensorBoard writer,
history). The generic ones live in :mod:`tfopt.training.callbacks`; this module adds
the GAN's step count, its sample grids and its checkpoint (networks, both optimizers,
``generator.keras``). :func:`tfopt.gan.train` uses all four; a script that calls
``gan.fit`` itself can pick the ones it wants.

Example:
    run = Run(output_dir, strategy=strategy)
    gan.fit(ds, steps_per_epoch=steps, callbacks=[
        MetricsLog(run, every=25, total=steps), SampleGrids(run, every=250, total=steps, z=z),
        Checkpoints(run, gan, every=250, total=steps)])
"""
import keras
import numpy as np

from tfopt import report
from tfopt.gan import feeds, io
from tfopt.images import save_grid
from tfopt.training import callbacks as base
from tfopt.training.callbacks import HISTORY_FILE, MetricsLog, ProgressBar, due, tb_images

__all__ = ["Run", "ProgressBar", "MetricsLog", "SampleGrids", "Checkpoints", "HISTORY_FILE", "write_loss_curves"]


class Run(base.Run):
    """What the callbacks of one GAN training process share (see :class:`tfopt.training.callbacks.Run`).

    A GAN's step is a generator step: the generator optimizer's iteration count.
    """

    def step(self, model):
        """The generator steps ``model`` (a :class:`~tfopt.gan.GAN`) has taken."""
        return int(model.g_optimizer.iterations.numpy())


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
            (e.g. the target of an image-to-image model).
        before: optional images shown before each generated one (e.g. its input).
    """

    def __init__(self, run, *, every, total, z=None, condition=None, ncols=8, labels=None, beside=(), before=()):
        super().__init__()
        self.run, self.every, self.total = run, int(every), int(total)
        self.z, self.condition, self.ncols, self.labels = z, condition, ncols, labels
        self.beside, self.before = tuple(beside), tuple(before)

    def images(self):
        """The grid's tiles in [0, 1] (each generated image between its ``before`` and ``beside`` images)."""
        fake = (feeds.generate_from(self.model.sampler, self.z, condition=self.condition) + 1.0) / 2.0
        if not self.beside and not self.before:
            return np.clip(fake, 0.0, 1.0)
        row = [*self.before, fake, *self.beside]
        stacked = np.stack([np.asarray(b, np.float32) for b in row], axis=1)
        return np.clip(stacked.reshape((-1,) + fake.shape[1:]), 0.0, 1.0)

    def write(self, step):
        """Writes the grids of ``step`` (chief only)."""
        if not self.run.chief:
            return
        images = self.images()
        folder = self.run.output_dir / "samples"
        folder.mkdir(exist_ok=True)
        ncols = self.ncols * (1 + len(self.before) + len(self.beside))
        save_grid(folder / f"step_{step:06d}.png", images, labels=self.labels, ncols=ncols, scale=2)
        save_grid(self.run.output_dir / "samples.png", images, labels=self.labels, ncols=ncols, scale=2)
        with self.run.writer.as_default(step=step):
            tb_images("samples", images[:16], step)

    def on_train_batch_end(self, batch, logs=None):
        step = self.run.step(self.model)
        if due(step, self.every, self.total):
            self.write(step)


class Checkpoints(base.Checkpoints):
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
        super().__init__(run, gan, every=every, total=total, max_to_keep=max_to_keep,
                         objects={"gan": gan, "d_optimizer": gan.d_optimizer, "g_optimizer": gan.g_optimizer},
                         export=lambda: io.save_generator(gan.sampler, run.output_dir / io.GENERATOR_FILE))


def write_loss_curves(run, config, title):
    """Plots the logged losses of a run (its history) as losses.png; returns the path."""
    names = [k for k in run.history[-1] if k.startswith(("d_", "g_")) and k not in ("d_real", "d_fake")]
    series = {k: [h.get(k, np.nan) for h in run.history] for k in names}
    path = run.output_dir / "losses.png"
    report.plot_curves(path, series, title=title, xlabel=f"step / {config.train.log_every}", ylabel="loss")
    return path
