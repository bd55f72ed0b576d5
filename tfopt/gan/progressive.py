"""Training a progressive GAN (Karras et al. 2018) stage by stage, resumable at any step.

:func:`train` is what ``bin/train_gan.py --model=progressive`` reaches (through
:func:`tfopt.gan.train`). One set of layers (:class:`~tfopt.nets.progressive.ProgressiveNetworks`)
lives for the whole run; each stage of the :class:`~tfopt.gan.schedule.Schedule` gets its
own :class:`~tfopt.gan.models.GAN` over that stage's views, its own data stream (the real
images average-pooled to the stage's size, batched at the stage's batch) and **fresh
optimizers**: the reference code resets Adam at each new resolution, because the moment
estimates of the old layers were gathered for a network whose output has just changed, and the
new layers have none. The EMA generator is one persistent set of averaged layers.

Before every step a callback sets the fade-in ``alpha`` of the generator, the discriminator
and the EMA generator from the run's step count; the GAN fades the real images with the same
``alpha`` (``alpha * x + (1 - alpha) * upsample(avgpool(x))``) inside its step. A checkpoint
holds the layers, the step count (which gives the stage and ``alpha``), the training seconds,
and the stage's optimizers and noise state; a run killed mid-stage resumes in that stage at the
same ``alpha``, and one killed at a stage boundary resumes into the next stage with fresh
optimizers, as an uninterrupted run does.

Writes what :func:`tfopt.gan.trainer.train` writes, plus ``stages/generator_<R>px.keras`` and
``stages.png`` (the same noise at every finished stage), and ``fid_curve.json`` /
``fid_curve.png`` (FID against training seconds, every ``fid_every`` steps).
"""
import dataclasses
import json
import pathlib
import shutil
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt import report
from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.core.progress import progress
from tfopt.gan import callbacks as cb
from tfopt.gan import inputs, io, metrics, zoo
from tfopt.gan.config import make_optimizers, saved_identity
from tfopt.gan.evaluation import evaluate
from tfopt.gan.feeds import generate_from
from tfopt.gan.models import GAN
from tfopt.gan.schedule import schedule_of
from tfopt.images import from_tanh, save_grid
from tfopt.nets.progressive import ProgressiveNetworks
from tfopt.training.callbacks import Checkpoints, due
from tfopt.training.rundir import prepare_run_dir, start_run_dir

__all__ = ["train", "FID_CURVE_FILE"]

STAGES_DIR = io.STAGES_DIR
FID_CURVE_FILE = "fid_curve.json"
_DATASET = "<tf.data.Dataset>"


class _Clock:
    """The run's training seconds (evaluation excluded), carried over a resume by a variable."""

    def __init__(self, variable):
        self.variable, self.began, self.paused = variable, None, 0.0

    def start(self):
        self.began, self.paused = time.perf_counter(), 0.0
        self.base = float(self.variable.numpy())

    def seconds(self):
        return self.base + time.perf_counter() - self.began - self.paused

    def store(self):
        self.variable.assign(self.seconds())


class _Run(cb.Run):
    """A GAN run whose step is the run-wide step count (the optimizers restart at each stage)."""

    def __init__(self, output_dir, *, strategy, counter):
        super().__init__(output_dir, strategy=strategy)
        self.counter = counter

    def step(self, model):
        del model
        return int(self.counter.numpy())


class _Growth(keras.callbacks.Callback):
    """Sets every ``alpha`` before a step; after it counts the step, adds ``alpha`` and ``resolution`` to the
    logs (the callbacks after it log them), and stops at ``max_seconds``."""

    def __init__(self, schedule, networks, counter, clock, max_seconds):
        super().__init__()
        self.schedule, self.networks, self.counter, self.clock = schedule, networks, counter, clock
        self.max_seconds, self.out_of_time = max_seconds, False

    def on_train_batch_begin(self, batch, logs=None):
        stage, self.alpha = self.schedule.at(int(self.counter.numpy()))
        self.resolution = stage.resolution
        for nets in self.networks:
            nets.set_alpha(stage.index, self.alpha)

    def on_train_batch_end(self, batch, logs=None):
        if logs is not None:
            logs.update(alpha=self.alpha, resolution=self.resolution)
        self.counter.assign_add(1)
        self.clock.store()
        if self.max_seconds and self.clock.seconds() >= self.max_seconds:
            self.out_of_time = self.model.stop_training = True


class _FIDCurve(keras.callbacks.Callback):
    """Every ``every`` steps (chief): FID of the sampler (upsampled to the final size) to the reference.

    ``net`` and ``real`` (the reference's features) are computed once per run and shared by every stage's curve.
    """

    def __init__(self, run, clock, *, every, total, net, real, real_shape, num_samples, seed, curve):
        super().__init__()
        self.run, self.clock, self.every, self.total = run, clock, int(every), int(total)
        self.num_samples, self.seed, self.curve = num_samples, seed, curve
        self.net, self.real, self.real_shape = net, real, real_shape

    def on_train_batch_end(self, batch, logs=None):
        step = self.run.step(self.model)
        if not self.every or not self.run.chief or not due(step, self.every, self.total):
            return
        began = time.perf_counter()
        z = np.random.default_rng(self.seed).standard_normal((self.num_samples, self.model.latent_dim))
        fake = (generate_from(self.model.sampler, z.astype(np.float32)) + 1.0) / 2.0
        factor = self.real_shape[1] // fake.shape[1]  # a sampler at the stage's size: nearest upsampling
        fake = np.repeat(np.repeat(fake, factor, axis=1), factor, axis=2)
        fid = metrics.fid(self.real, metrics.FeatureAccumulator(self.net).update_all(np.clip(fake, 0.0, 1.0)))
        self.curve.append({"step": step, "seconds": round(self.clock.seconds(), 3),
                           "resolution": int(self.model.generator.output.shape[1]), "fid": float(fid)})
        files.write_json(self.run.output_dir / FID_CURVE_FILE, self.curve)
        self.clock.paused += time.perf_counter() - began


class _StageEnd(keras.callbacks.Callback):
    """At the stage's last step: its generator and stages.png (chief), then a checkpoint if none is due there."""

    def __init__(self, run, stage, checkpoints, write, *, every, total):
        super().__init__()
        self.run, self.stage, self.checkpoints, self.write = run, stage, checkpoints, write
        self.every, self.total = every, total

    def on_train_batch_end(self, batch, logs=None):
        step = self.run.step(self.model)
        if step != self.stage.end:
            return
        if self.run.chief:
            self.write()
        if not due(step, self.every, self.total):
            self.checkpoints.save(step)  # a stage boundary is always a resume point


def _stream(examples, stage, *, final, seed, start_step, k=1):
    """The stage's real images: average-pooled from ``final`` px, shuffled, grouped ``[B, k, R, R, C]``."""
    factor = final // stage.resolution
    ds = examples.map(lambda e: {"image": tf.nn.avg_pool2d(e["image"][None], factor, factor, "VALID")[0]}
                      if factor > 1 else {"image": e["image"]})
    # Shuffled after repeat(), once: every iterator of it (the one device's, or each replica's clone under
    # tf.distribute) sees one order. shuffle-then-repeat reshuffles per iteration from a seed resource that
    # the distributed clone does not share, so 1 and 2 replicas got different minibatches.
    ds = ds.cache().repeat().shuffle(4096, seed=seed + start_step, reshuffle_each_iteration=False)
    ds = inputs.group_minibatches(ds, batch_size=stage.batch_size, k=k)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def _check_data_size(config, info):
    """A resolution larger than the data's own images is refused (upsampled data is not more data)."""
    side = min(info.source_shape[:2]) if getattr(info, "source_shape", None) else None
    folder = pathlib.Path(str(config.data.dataset))
    if folder.is_dir():
        from PIL import Image

        first = next((p for p in sorted(folder.rglob("*")) if p.suffix.lower() in inputs._IMAGE_SUFFIXES), None)
        if first is not None:
            with Image.open(first) as image:
                side = min(image.size)
    if side and config.data.image_size > side:
        raise InputError(f"expected a resolution <= the data's {side} px; received: image_size="
                         f"{config.data.image_size} (from {info.source})")


def _stage_gan(config, nets, ema, stage, counter, final):
    """The GAN of one stage: its views, fresh optimizers, the faded real images (in the scope)."""
    generator = nets.generator(stage.index)
    sampler = ema.generator(stage.index, output_resolution=final) if ema is not None else None
    gan = GAN(generator, nets.discriminator(stage.index), k_d_steps=config.train.k_d_steps, ema_decay=config.model.ema_decay or None,
              seed=config.train.seed + stage.index, ema_generator=sampler, ema_step=counter,
              real_transform=nets.real_fade(stage.index))
    d_terms, g_terms = zoo.get(config.model.name).terms(config)
    d_optimizer, g_optimizer = make_optimizers(config)
    gan.compile(d_optimizer, g_optimizer, d_terms=d_terms, g_terms=g_terms)
    return gan


def _write_stage(output_dir, ema_or_nets, stage, z, final):
    """Saves the finished stage's generator and redraws ``stages.png`` from every saved stage."""
    folder = output_dir / STAGES_DIR
    io.save_generator(ema_or_nets.generator(stage.index, fade=False), folder / f"generator_{stage.resolution}px.keras")
    rows, labels = [], []
    for path in sorted(folder.glob("generator_*px.keras"), key=lambda p: int(p.stem.split("_")[1][:-2])):
        generator, _ = io.load_generator(path)
        images = generate_from(generator, z)
        factor = final // images.shape[1]
        rows.append(np.repeat(np.repeat(images, factor, axis=1), factor, axis=2))
        labels += [f"{images.shape[1]} px"] + [""] * (len(z) - 1)
    save_grid(output_dir / "stages.png", from_tanh(np.concatenate(rows)), labels=labels,
              ncols=len(z), scale=2)


def train(config, output_dir, *, dataset=None, strategy=None, overwrite=False, quiet=False, callbacks=(),
          max_seconds=None):
    """Trains (or resumes) a progressive GAN run; see the module doc for what it writes.

    Args:
        config: a :class:`~tfopt.gan.config.GANConfig` with ``model="progressive"``.
        output_dir: the run directory (resumed in place when it holds the same config).
        dataset: a ``tf.data.Dataset`` of images replacing ``config.data.dataset``.
        strategy: a ``tf.distribute.Strategy`` (None: the default one).
        overwrite: discard an existing run directory and start afresh.
        quiet: no progress bar.
        callbacks: more ``keras.callbacks.Callback`` s, given to every stage's ``fit``.
        max_seconds: stop after this many training seconds (a wall-clock budget; None: none).

    Returns:
        The summary dict (also ``summary.json``), as :func:`tfopt.gan.trainer.train` plus
        ``stages`` (resolution, batch, steps of each) and ``fid_curve``.

    Raises:
        InputError: bad config or schedule, unavailable data, a resolution above the data's,
            or a directory holding another run.
    """
    strategy = strategy or tf.distribute.get_strategy()
    output_dir = pathlib.Path(output_dir)
    if dataset is not None:
        config = config.replace(dataset=_DATASET)
    config = config.resolved()
    schedule = schedule_of(config, replicas=strategy.num_replicas_in_sync)
    examples, info = inputs.training_examples(config.data, dataset=dataset)
    config = config.resolved(channels=int(info.image_shape[-1]))
    _check_data_size(config, info)
    final, t = config.data.image_size, config.train
    resuming = prepare_run_dir(output_dir, config.identity(), overwrite=overwrite, saved_identity=saved_identity)
    with strategy.scope():  # before anything is written: bad network arguments leave no run directory
        keras.utils.set_random_seed(t.seed)
        nets = zoo.get(config.model.name).networks(config)
        ema = None
        if config.model.ema_decay:
            ema = ProgressiveNetworks(resolution=final, latent_dim=config.model.latent_dim, channels=config.data.channels,
                                      filters=config.model.filters, generator_only=True)
            ema.copy_generator_from(nets)
        counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="seconds")
        saved_stage = tf.Variable(-1, dtype=tf.int64, trainable=False, name="stage")
    start_run_dir(output_dir, config, strategy=strategy, overwrite=overwrite)
    run = _Run(output_dir, strategy=strategy, counter=counter)
    sampler_nets = ema or nets
    layers = {"generator": nets.generator_layers, "discriminator": nets.discriminator_layers, "step": counter,
              "seconds": seconds, "stage": saved_stage}
    if ema is not None:
        layers["ema"] = ema.generator_layers
    latest = tf.train.latest_checkpoint(str(output_dir / "ckpt")) if resuming else None
    if latest:  # the layers and the step first: they say which stage's optimizers the checkpoint holds
        tf.train.Checkpoint(**layers).restore(latest).expect_partial()
    start = int(counter.numpy())
    run.load_history(start)
    curve = [c for c in _read_curve(output_dir) if c["step"] <= start] if resuming else []
    reference = None
    if config.eval.eval_samples or config.eval.fid_every:
        reference = inputs.reference_examples(config.data, dataset=dataset)
    z = np.random.default_rng(t.seed + 1).standard_normal((64, config.model.latent_dim)).astype(np.float32)
    fid_features = None
    if config.eval.fid_every and run.chief:
        net = metrics.get_feature_network(config.eval.feature_network)
        fid_features = dict(net=net, real=metrics.FeatureAccumulator(net).update_all(reference["image"]),
                            real_shape=reference["image"].shape)
    clock = _Clock(seconds)
    growth = _Growth(schedule, [n for n in (nets, ema) if n is not None], counter, clock, max_seconds)
    total = schedule.total_steps
    with progress(total, quiet=quiet, desc="Progressive GAN") as bar:
        bar.update(start)
        while int(counter.numpy()) < total and not growth.out_of_time:
            step = int(counter.numpy())
            stage = schedule.stage_at(step)
            with strategy.scope():
                gan = _stage_gan(config, nets, ema, stage, counter, final)
            saved_stage.assign(stage.index)
            sampler = gan.sampler
            checkpoints = Checkpoints(
                run, gan, every=t.checkpoint_every, total=total,
                objects={**layers, "gan": gan, "d_optimizer": gan.d_optimizer, "g_optimizer": gan.g_optimizer},
                export=lambda sampler=sampler: io.save_generator(sampler, output_dir / io.GENERATOR_FILE))
            if latest and step == start and _stage_in(latest) == stage.index:
                checkpoints.checkpoint.restore(latest).assert_existing_objects_matched()
            fid = []
            if fid_features:
                fid = [_FIDCurve(run, clock, every=config.eval.fid_every, total=total, **fid_features,
                                 num_samples=min(config.eval.eval_samples or 1000, 1000), seed=t.seed + 3, curve=curve)]
            grids = cb.SampleGrids(run, every=t.sample_every, total=total, z=z)
            clock.start()
            end = _StageEnd(run, stage, checkpoints, lambda stage=stage: _write_stage(
                output_dir, sampler_nets, stage, z[:8], final), every=t.checkpoint_every, total=total)
            gan.fit(_stream(examples, stage, final=final, seed=t.seed, start_step=step, k=t.k_d_steps), steps_per_epoch=stage.end - step,
                    epochs=1, verbose=0, shuffle=False,
                    callbacks=[growth, cb.ProgressBar(bar), cb.MetricsLog(run, every=t.log_every, total=total), grids,
                               *fid, end, checkpoints, *callbacks])
            if gan.stop_training:  # out of time, or a callback asked: a resume continues from here
                if not due(int(counter.numpy()), t.checkpoint_every, total):
                    checkpoints.save(int(counter.numpy()))
                break
    if run.write_dir != output_dir:
        shutil.rmtree(run.write_dir, ignore_errors=True)
    done = int(counter.numpy())
    summary = {
        "model": {"name": config.model.name, **zoo.describe(config)},
        "steps": done,
        "resumed_from_step": start,
        "seconds": float(seconds.numpy()),
        "stopped_early": done < total,
        "replicas": strategy.num_replicas_in_sync,
        "data": dataclasses.asdict(info),
        "stages": [dataclasses.asdict(s) for s in schedule.stages],
        "stage_reached": {"resolution": schedule.stage_at(max(done - 1, 0)).resolution,
                          "alpha": schedule.at(max(done - 1, 0))[1]},
        "num_parameters": {"generator": sum(int(np.prod(v.shape)) for l in nets.generator_layers for v in l.weights),
                           "discriminator": sum(int(np.prod(v.shape)) for l in nets.discriminator_layers
                                                for v in l.weights)},
        "fid_curve": curve,
    }
    if not run.chief:
        return summary
    last = schedule.stage_at(max(done - 1, 0))
    sampler = sampler_nets.generator(last.index, output_resolution=final, fade=done < last.start + last.fade_steps)
    io.save_generator(sampler, output_dir / io.GENERATOR_FILE)
    save_grid(output_dir / "samples.png", from_tanh(generate_from(sampler, z)), ncols=8,
              scale=2)
    if run.history:
        summary["final_losses"] = {k: v for k, v in run.history[-1].items() if k != "step"}
        cb.write_loss_curves(run, config, summary["model"]["title"])
    if curve:
        report.plot_curves(output_dir / "fid_curve.png", {"FID": [c["fid"] for c in curve]},
                           x=[c["seconds"] for c in curve], title="FID against training time", xlabel="seconds",
                           ylabel="FID (digits features)", logy=True)
    if config.eval.eval_samples:
        summary.update(evaluate(sampler, reference, num_samples=config.eval.eval_samples, seed=t.seed + 2,
                                feature_network=config.eval.feature_network))
    summary["config"] = config
    files.write_summary(output_dir, summary)
    return summary


def _read_curve(output_dir):
    path = pathlib.Path(output_dir) / FID_CURVE_FILE
    return json.loads(path.read_text()) if path.is_file() else []


def _stage_in(checkpoint_path):
    """The stage whose optimizers a checkpoint holds (its ``stage`` variable)."""
    return int(tf.train.load_variable(checkpoint_path, "stage/.ATTRIBUTES/VARIABLE_VALUE"))
