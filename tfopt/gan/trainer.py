"""Training a GAN run end to end: any data, strategy scope, checkpoints that resume, samples, scores.

:func:`train` is what ``bin/train_gan.py`` calls, and what a script calls with its own
``tf.data.Dataset``. It resumes in place: a run directory that already holds the same
configuration continues from its latest checkpoint (a run killed with SIGKILL loses at
most ``checkpoint_every`` steps); a directory holding a *different* configuration is
refused unless ``overwrite``. Data order after a resume is reshuffled with ``seed + step``.

Example:
    from tfopt import distribute, gan
    summary = gan.train(gan.GANConfig.from_flat(steps=2000), "runs/dcgan",
                        strategy=distribute.get_strategy("mirrored"))
    summary["fid"], summary["model"]["title"]
"""
import dataclasses
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
from tfopt.gan import inputs, io, zoo
from tfopt.gan.config import make_optimizers, parse_truncations, saved_identity
from tfopt.gan.evaluation import evaluate
from tfopt.gan.models import GAN
from tfopt.training.rundir import prepare_run_dir, start_run_dir

__all__ = ["train", "build_gan", "make_dataset"]

_GRID = 64
_DATASET = "<tf.data.Dataset>"


def build_gan(config, *, num_classes=0):
    """Builds and compiles the GAN of a resolved config (call inside ``strategy.scope()``).

    Args:
        config: a resolved :class:`~tfopt.gan.config.GANConfig` with ``channels`` set.
        num_classes: classes of the data (for a class-conditional model).

    Returns:
        A compiled :class:`~tfopt.gan.models.GAN`.
    """
    keras.utils.set_random_seed(config.train.seed)
    spec = zoo.get(config.model.name)
    generator, discriminator = spec.networks(config, num_classes=num_classes)
    gan = GAN(generator, discriminator, k_d_steps=config.train.k_d_steps, ema_decay=config.model.ema_decay or None,
              seed=config.train.seed, augment=config.model.augment, ema_statistics=spec.ema_statistics)
    d_terms, g_terms = spec.terms(config)
    d_optimizer, g_optimizer = make_optimizers(config)
    gan.compile(d_optimizer, g_optimizer, d_terms=d_terms, g_terms=g_terms)
    return gan


def make_dataset(config, *, dataset=None, start_step=0):
    """The training stream of a resolved config: dicts grouped as ``[B, k, ...]``, repeated forever.

    Args:
        config: a :class:`GANConfig`.
        dataset: a ``tf.data.Dataset`` replacing ``config.data.dataset``.
        start_step: the step training resumes from (varies the shuffle seed).

    Returns:
        ``(dataset, info)`` with ``info`` a :class:`tfopt.gan.inputs.DataInfo`.
    """
    conditional = zoo.get(config.model.name).conditional
    ds, info = inputs.training_examples(config.data, dataset=dataset, conditional=conditional)
    if info.source == "digits" or info.source.startswith("folder:"):
        ds = ds.cache()  # small sets: decode and resize once
    buffer = info.num_examples if 0 < info.num_examples < 4096 else 4096
    ds = ds.shuffle(buffer, seed=config.train.seed + start_step).repeat()
    ds = inputs.group_minibatches(ds, batch_size=config.train.batch_size, k=config.train.k_d_steps)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options), info


def _prepare_dir(output_dir, config, overwrite):
    """Checks the run directory against ``config``; returns True when resuming."""
    return prepare_run_dir(output_dir, config.identity(), overwrite=overwrite, saved_identity=saved_identity)


def _grid(gan, config, reference, info):
    """The fixed inputs of the sample grids: noise, conditions, columns, captions, images beside."""
    rng = np.random.default_rng(config.train.seed + 1)
    condition, labels, beside, ncols, count = None, None, (), 8, _GRID
    classes = reference.get("condition") if gan.conditional else None
    if classes is not None and np.asarray(classes).ndim == 1 and info.num_classes:
        # One column per class, one row per noise vector: what the class changes, and what z does.
        ncols = info.num_classes
        rows = max(1, _GRID // ncols)
        count = rows * ncols
        condition = np.tile(np.arange(ncols, dtype=np.int32), rows)
        names = list(info.class_names) or [str(k) for k in range(ncols)]
        labels = names + [""] * (count - ncols)
    elif gan.conditional:
        count = min(16, len(reference["image"]))
        entries = {k: v[:count] for k, v in reference.items() if k != "image"}
        condition = entries["condition"] if "condition" in entries else entries
        if not isinstance(condition, dict) and np.asarray(condition).ndim == 4:  # an image in [-1, 1]
            beside = ((np.asarray(condition) + 1.0) / 2.0, reference["image"][:count])
    z = None
    if gan.latent_dim:
        z = rng.standard_normal((count, gan.latent_dim)).astype(np.float32)
        if condition is not None and labels is not None:
            z = np.repeat(z[: count // ncols], ncols, axis=0)
    return dict(z=z, condition=condition, ncols=ncols, labels=labels, beside=beside)




_SWEPT = ("fid", "class_accuracy", "precision", "recall", "intra_class_fid")


def _truncation_sweep(gan, config, reference, output_dir):
    """The scores at each of the config's truncations, plotted as truncation.png (shares) and truncation_fid.png
    (FID, intra-class FID); an empty list when there are none."""
    thresholds = parse_truncations(config.eval.truncations)
    if not thresholds or not gan.latent_dim:
        return []
    rows = []
    for threshold in thresholds:
        scores = evaluate(gan.sampler, reference, num_samples=config.eval.eval_samples, seed=config.train.seed + 2,
                          feature_network=config.eval.feature_network, truncation=threshold)
        rows.append({"truncation": threshold, **{k: scores[k] for k in _SWEPT if k in scores}})
    rates = {k: [r[k] for r in rows] for k in ("class_accuracy", "precision", "recall") if k in rows[0]}
    report.plot_curves(output_dir / "truncation.png", rates, title="truncation: fidelity against variety", xlabel="truncation",
                       ylabel="share", x=thresholds, logx=True)
    distances = {k: [r[k] for r in rows] for k in ("fid", "intra_class_fid") if k in rows[0]}
    report.plot_curves(output_dir / "truncation_fid.png", distances, title="truncation: FID", xlabel="truncation",
                       ylabel="FID", x=thresholds, logx=True, logy=True)
    return rows


def train(config, output_dir, *, dataset=None, strategy=None, overwrite=False, quiet=False, callbacks=()):
    """Trains (or resumes) a GAN run and writes its outputs to ``output_dir``.

    Writes ``config.json``, ``ckpt/``, ``generator.keras``, ``samples.png`` and
    ``samples/step_*.png``, ``losses.png``, ``history.json``, ``logs/`` (TensorBoard)
    and ``summary.json``. Under multi-worker training only the chief writes them.

    Args:
        config: a :class:`~tfopt.gan.config.GANConfig`.
        output_dir: the run directory (resumed in place when it holds the same config).
        dataset: a ``tf.data.Dataset`` of images, ``(image, label)`` pairs or dicts
            (see :mod:`tfopt.gan.inputs`); None uses ``config.data.dataset`` (a name or
            a folder of images).
        strategy: a ``tf.distribute.Strategy`` (see :func:`tfopt.distribute.get_strategy`);
            None uses the default strategy.
        overwrite: discard an existing run directory and start afresh.
        quiet: no progress bar.
        callbacks: more ``keras.callbacks.Callback`` s, run after the run's own.

    Returns:
        The summary dict (also written to ``summary.json``): model (title, paper, extras,
        changed), steps, resumed_from_step, seconds, steps_per_second, replicas, data,
        and the :func:`~tfopt.gan.evaluation.evaluate` scores.

    Raises:
        InputError: bad config, unavailable data, or a directory holding another run.
    """
    if zoo.get(config.model.name).progressive:
        from tfopt.gan import progressive

        return progressive.train(config, output_dir, dataset=dataset, strategy=strategy, overwrite=overwrite,
                                 quiet=quiet, callbacks=callbacks)
    strategy = strategy or tf.distribute.get_strategy()
    output_dir = pathlib.Path(output_dir)
    if dataset is not None:
        config = config.replace(dataset=_DATASET)
    config = config.resolved()
    if config.train.batch_size % strategy.num_replicas_in_sync:
        raise InputError(f"expected batch_size divisible by {strategy.num_replicas_in_sync} replicas; "
                         f"received: batch_size={config.train.batch_size}")
    stream, info = make_dataset(config, dataset=dataset)  # fails early (nothing written) on bad data
    config = config.resolved(channels=int(info.image_shape[-1]))
    resuming = _prepare_dir(output_dir, config, overwrite)
    with strategy.scope():  # before anything is written: bad network arguments leave no run directory
        gan = build_gan(config, num_classes=info.num_classes)
    start_run_dir(output_dir, config, strategy=strategy, overwrite=overwrite)
    run = cb.Run(output_dir, strategy=strategy)  # its TensorBoard writer goes into the fresh directory
    described = zoo.describe(config)
    conditional = zoo.get(config.model.name).conditional
    reference = inputs.reference_examples(config.data, dataset=dataset, conditional=conditional)
    t = config.train
    checkpoints = cb.Checkpoints(run, gan, every=t.checkpoint_every, total=t.steps)
    grids = cb.SampleGrids(run, every=t.sample_every, total=t.steps, **_grid(gan, config, reference, info))
    start = checkpoints.restore() if resuming else 0
    remaining = max(t.steps - start, 0)
    seconds = 0.0
    with progress(t.steps, quiet=quiet, desc=described["title"]) as bar:
        bar.update(start)
        if remaining:
            stream, _ = make_dataset(config, dataset=dataset, start_step=start)
            began = time.perf_counter()
            gan.fit(stream, steps_per_epoch=remaining, epochs=1, verbose=0, shuffle=False, callbacks=[
                cb.ProgressBar(bar), cb.MetricsLog(run, every=t.log_every, total=t.steps), grids, checkpoints,
                *callbacks])
            seconds = time.perf_counter() - began
    if run.write_dir != output_dir:
        shutil.rmtree(run.write_dir, ignore_errors=True)
    summary = {
        "model": {"name": config.model.name, **described},
        "steps": int(gan.g_optimizer.iterations.numpy()),
        "resumed_from_step": start,
        "seconds": seconds,
        "steps_per_second": remaining / seconds if seconds else None,
        "replicas": strategy.num_replicas_in_sync,
        "data": dataclasses.asdict(info),
        "num_parameters": {"generator": gan.generator.count_params(),
                           "discriminator": gan.discriminator.count_params()},
    }
    if not run.chief:
        return summary
    if not (output_dir / io.GENERATOR_FILE).is_file():
        io.save_generator(gan.sampler, output_dir / io.GENERATOR_FILE)
    if not (output_dir / "samples.png").is_file():
        grids.set_model(gan)
        grids.write(summary["steps"])
    if run.history:
        summary["final_losses"] = {k: v for k, v in run.history[-1].items() if k != "step"}
        cb.write_loss_curves(run, config, described["title"])
    if config.eval.eval_samples:
        summary.update(evaluate(gan.sampler, reference, num_samples=config.eval.eval_samples,
                                seed=t.seed + 2, feature_network=config.eval.feature_network))
        sweep = _truncation_sweep(gan, config, reference, output_dir)
        if sweep:
            summary["truncation_sweep"] = sweep
    summary["config"] = config
    files.write_summary(output_dir, summary)
    return summary
