"""Training a GAN run end to end: data, strategy scope, checkpoints that resume, samples, metrics.

:func:`train` is what ``bin/train_gan.py`` calls. It resumes in place: a run
directory that already holds the same configuration continues from its latest
checkpoint (so a run killed with SIGKILL loses at most ``checkpoint_every`` steps);
a directory holding a *different* configuration is refused unless ``overwrite``.
Data order after a resume is reshuffled with ``seed + step``.

Example:
    from tfopt import distribute
    summary = train(GANConfig(steps=2000), "runs/dcgan", strategy=distribute.get_strategy("mirrored"))
    summary["fid"], summary["class_share"]
"""
import json
import pathlib
import shutil
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt import distribute, report
from tfopt.core import files
from tfopt.core.progress import progress
from tfopt.data import load_dataset
from tfopt.core.errors import InputError
from tfopt.gan import io, metrics
from tfopt.gan.config import make_optimizer
from tfopt.gan.models import GAN, generate_from, group_minibatches
from tfopt.gan.networks import build_networks
from tfopt.images import save_grid

__all__ = ["train", "build_gan", "make_dataset", "real_images", "evaluate"]

_HISTORY = "history.json"
# Fields added to GANConfig after runs were written, with the value those runs had.
_ADDED_FIELDS = {"categorical_codes": 0, "info_weight": 1.0}
_GRID = 64


def build_gan(config):
    """Builds and compiles the GAN of a resolved config (call inside ``strategy.scope()``).

    Args:
        config: a resolved :class:`~tfopt.gan.config.GANConfig` with ``channels`` set.

    Returns:
        A compiled :class:`~tfopt.gan.models.GAN`.
    """
    keras.utils.set_random_seed(config.seed)
    generator, discriminator = build_networks(
        config.model, latent_dim=config.latent_dim, image_size=config.image_size, channels=config.channels,
        filters=config.filters, norm=config.d_norm, sync_batch_norm=config.sync_batch_norm,
        categorical_codes=config.categorical_codes,
    )
    gan = GAN(generator, discriminator, k_d_steps=config.k_d_steps, ema_decay=config.ema_decay, seed=config.seed,
              augment=config.augment, categorical_codes=config.categorical_codes)
    gan.compile(make_optimizer(config), make_optimizer(config), loss=config.loss, gp_weight=config.gp_weight,
                info_weight=config.info_weight)
    return gan


def make_dataset(config, *, start_step=0):
    """The training stream: images in [-1, 1] grouped as ``[B, k, H, W, C]``, repeated forever.

    Args:
        config: a :class:`GANConfig`.
        start_step: the step training resumes from (varies the shuffle seed).

    Returns:
        ``(dataset, info)`` with ``info`` a :class:`tfopt.data.DatasetInfo`.
    """
    ds, info = _load(config, "train")
    size = config.image_size

    def to_tanh_range(image, label):
        del label
        if tuple(image.shape[:2]) != (size, size):
            image = tf.image.resize(image, (size, size), method="bilinear")
        return image * 2.0 - 1.0

    ds = ds.unbatch().map(to_tanh_range, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.shuffle(min(info.num_examples, 4096), seed=config.seed + start_step).repeat()
    ds = group_minibatches(ds, batch_size=config.batch_size, k=config.k_d_steps)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options), info


def _load(config, split):
    # Resizing here (only when needed) rather than in load_dataset keeps native sizes untouched.
    return load_dataset(config.dataset, split=split, batch_size=256, data_dir=config.data_dir, seed=config.seed,
                        shuffle=False, repeat=False)


def real_images(config, split="test"):
    """All images of a split as a numpy array ``[N, S, S, C]`` in [0, 1] (the FID/KID reference set)."""
    ds, _ = _load(config, split)
    images = np.concatenate([x.numpy() for x, _ in ds], axis=0)
    if images.shape[1:3] != (config.image_size, config.image_size):
        images = tf.image.resize(images, (config.image_size, config.image_size), method="bilinear").numpy()
    return images


def evaluate(generator, real, *, latent_dim, num_samples=1000, seed=0, feature_network="digits"):
    """FID, KID, Inception Score and class histogram of ``num_samples`` generated images.

    Args:
        generator: ``keras.Model`` ``z -> images in [-1, 1]``.
        real: reference images, numpy ``[N, H, W, C]`` in [0, 1].
        latent_dim: noise size.
        num_samples: generated images.
        seed: noise seed.
        feature_network: ``"digits"``, ``"inception"`` or a :class:`~tfopt.gan.metrics.FeatureNetwork`.

    Returns:
        dict: fid, kid, kid_std, inception_score, class_share, min_class_share,
        mean_confidence, feature_network, eval_samples, real_samples.
    """
    net = metrics.get_feature_network(feature_network) if isinstance(feature_network, str) else feature_network
    z = np.random.default_rng(seed).standard_normal((num_samples, latent_dim)).astype(np.float32)
    fake = (generate_from(generator, z) + 1.0) / 2.0
    fake_stats = metrics.FeatureAccumulator(net).update_all(fake)
    real_stats = metrics.FeatureAccumulator(net).update_all(real)
    kid_mean, kid_std = metrics.kid(real_stats, fake_stats, num_subsets=50, subset_size=min(1000, len(real)))
    hist = metrics.class_histogram(fake_stats)
    return {
        "fid": metrics.fid(real_stats, fake_stats),
        "kid": kid_mean,
        "kid_std": kid_std,
        "inception_score": metrics.inception_score(fake_stats)[0],
        "class_share": hist["share"],
        "min_class_share": hist["min_share"],
        "mean_confidence": hist["mean_confidence"],
        "feature_network": net.name,
        "eval_samples": int(num_samples),
        "real_samples": int(len(real)),
    }


def _prepare_dir(output_dir, config, overwrite):
    """Checks the run directory against ``config``; returns True when resuming."""
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError(f"expected an output directory; received: {str(output_dir)!r} (an existing file)")
    if not output_dir.is_dir() or not any(output_dir.iterdir()):
        return False
    if overwrite:
        return False
    saved = io.read_config(output_dir)
    if saved is None:
        raise InputError(f"expected a new, empty or resumable run directory (or --overwrite); received: "
                         f"{str(output_dir)!r} (not empty, no {io.CONFIG_FILE})")
    mine = json.loads(json.dumps(files.to_jsonable(config.identity())))
    theirs = {k: saved.get(k, _ADDED_FIELDS.get(k)) for k in mine}
    if theirs != mine:
        diff = ", ".join(f"{k}={theirs[k]!r}->{mine[k]!r}" for k in mine if theirs[k] != mine[k])
        raise InputError(f"expected the same config to resume (or --overwrite); received: {str(output_dir)!r} "
                         f"holds a different run ({diff})")
    return True


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


class _RunCallback(keras.callbacks.Callback):
    """Logging, sample grids, checkpoints and the progress bar, every N steps."""

    def __init__(self, run, start_step):
        super().__init__()
        self.run = run
        self.step = start_step

    def on_train_batch_end(self, batch, logs=None):
        run, config = self.run, self.run.config
        self.step += 1
        values = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in (logs or {}).items()}
        run.bar.update(1, **values)
        if self.step % config.log_every == 0 or self.step == config.steps:
            run.log(self.step, values)
            for tracker in self.model.metrics:
                tracker.reset_state()
        if self.step % config.sample_every == 0 or self.step == config.steps:
            run.samples(self.step)
        if self.step % config.checkpoint_every == 0 or self.step == config.steps:
            run.save(self.step)


class _Run:
    """The state of one training process: directories, writers, history."""

    def __init__(self, config, output_dir, strategy, gan, quiet):
        self.config, self.strategy, self.gan = config, strategy, gan
        self.output_dir = pathlib.Path(output_dir)
        self.chief = distribute.is_chief(strategy)
        self.write_dir = distribute.worker_dir(self.output_dir, strategy)
        self.checkpoint = tf.train.Checkpoint(gan=gan, d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer)
        self.manager = tf.train.CheckpointManager(self.checkpoint, self.write_dir / "ckpt", max_to_keep=2)
        self.writer = tf.summary.create_file_writer(str(self.output_dir / "logs")) if self.chief else None
        self.history = []
        self.z = np.random.default_rng(config.seed + 1).standard_normal((_GRID, config.latent_dim)).astype(np.float32)
        self.bar = None
        self.quiet = quiet

    def restore(self):
        """Restores the latest checkpoint; returns the step it holds (0 if none)."""
        # Every worker restores the chief's checkpoint (output_dir is shared storage).
        latest = tf.train.latest_checkpoint(str(self.output_dir / "ckpt"))
        if latest:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        step = int(self.gan.g_optimizer.iterations.numpy())
        path = self.output_dir / _HISTORY
        if step and path.is_file():
            self.history = [h for h in json.loads(path.read_text()) if h["step"] <= step]
        return step

    def log(self, step, values):
        self.history.append({"step": step, **values})
        if self.writer is not None:
            with self.writer.as_default(step=step):
                for name, value in values.items():
                    _tb_scalar(name, value, step)

    def samples(self, step):
        if not self.chief:
            return
        images = (generate_from(self.gan.sampler, self.z) + 1.0) / 2.0
        (self.output_dir / "samples").mkdir(exist_ok=True)
        save_grid(self.output_dir / "samples" / f"step_{step:06d}.png", images, ncols=8, scale=2)
        save_grid(self.output_dir / "samples.png", images, ncols=8, scale=2)
        with self.writer.as_default(step=step):
            _tb_images("samples", images[:16], step)

    def save(self, step):
        # History first: a kill between the two writes leaves entries past the checkpoint,
        # which restore() drops, rather than a checkpoint whose history is missing.
        if self.chief:
            files.write_json(self.output_dir / _HISTORY, self.history)
        self.manager.save(checkpoint_number=step)  # every worker takes part
        if self.chief:
            io.save_generator(self.gan.sampler, self.output_dir / io.GENERATOR_FILE)

    def curves(self):
        names = [k for k in ("d_loss", "g_loss", "gp", "info") if any(k in h for h in self.history)]
        series = {k: [h.get(k, np.nan) for h in self.history] for k in names}
        path = self.output_dir / "losses.png"
        report.plot_curves(path, series, title=f"{self.config.model} {self.config.loss}",
                           xlabel=f"step / {self.config.log_every}", ylabel="loss")
        return path


def train(config, output_dir, *, strategy=None, overwrite=False, quiet=False):
    """Trains (or resumes) a GAN run and writes its outputs to ``output_dir``.

    Writes ``config.json``, ``ckpt/``, ``generator.keras``, ``samples.png`` and
    ``samples/step_*.png``, ``losses.png``, ``history.json``, ``logs/`` (TensorBoard)
    and ``summary.json``. Under multi-worker training only the chief writes them.

    Args:
        config: a :class:`~tfopt.gan.config.GANConfig`.
        output_dir: the run directory (resumed in place when it holds the same config).
        strategy: a ``tf.distribute.Strategy`` (see :func:`tfopt.distribute.get_strategy`);
            None uses the default strategy.
        overwrite: discard an existing run directory and start afresh.
        quiet: no progress bar.

    Returns:
        The summary dict (also written to ``summary.json``): steps, resumed_from_step,
        seconds, steps_per_second, replicas, and the :func:`evaluate` numbers.

    Raises:
        InputError: bad config, unavailable dataset, or a directory holding another run.
    """
    strategy = strategy or tf.distribute.get_strategy()
    output_dir = pathlib.Path(output_dir)
    config = config.resolved()
    if config.batch_size % strategy.num_replicas_in_sync:
        raise InputError(f"expected batch_size divisible by {strategy.num_replicas_in_sync} replicas; "
                         f"received: batch_size={config.batch_size}")
    dataset, info = make_dataset(config)  # fails early (nothing written) on a bad dataset
    config = config.resolved(channels=int(info.image_shape[-1]))
    resuming = _prepare_dir(output_dir, config, overwrite)
    if overwrite and output_dir.is_dir() and distribute.is_chief(strategy):
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if distribute.is_chief(strategy):
        io.write_config(output_dir, config)
    with strategy.scope():
        gan = build_gan(config)
    run = _Run(config, output_dir, strategy, gan, quiet)
    start = run.restore() if resuming else 0
    remaining = max(config.steps - start, 0)
    seconds = 0.0
    with progress(config.steps, quiet=quiet, desc=f"{config.model} {config.loss}") as run.bar:
        run.bar.update(start)
        if remaining:
            dataset, _ = make_dataset(config, start_step=start)
            began = time.perf_counter()
            gan.fit(dataset, steps_per_epoch=remaining, epochs=1, verbose=0, shuffle=False,
                    callbacks=[_RunCallback(run, start)])
            seconds = time.perf_counter() - began
    if run.write_dir != output_dir:
        shutil.rmtree(run.write_dir, ignore_errors=True)
    summary = {
        "steps": int(gan.g_optimizer.iterations.numpy()),
        "resumed_from_step": start,
        "seconds": seconds,
        "steps_per_second": remaining / seconds if seconds else None,
        "replicas": strategy.num_replicas_in_sync,
        "dataset": config.dataset,
        "num_parameters": {"generator": gan.generator.count_params(),
                           "discriminator": gan.discriminator.count_params()},
    }
    if not distribute.is_chief(strategy):
        return summary
    if not (output_dir / io.GENERATOR_FILE).is_file():
        io.save_generator(gan.sampler, output_dir / io.GENERATOR_FILE)
    if not (output_dir / "samples.png").is_file():
        run.samples(summary["steps"])
    if run.history:
        summary["final_losses"] = {k: v for k, v in run.history[-1].items() if k != "step"}
        run.curves()
    if config.eval_samples:
        summary.update(evaluate(gan.sampler, real_images(config), latent_dim=config.latent_dim,
                                num_samples=config.eval_samples, seed=config.seed + 2,
                                feature_network=config.feature_network))
    summary["config"] = config
    files.write_summary(output_dir, summary)
    return summary
