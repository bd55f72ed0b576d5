"""Training a pix2pix run end to end: paired data, the GAN core, checkpoints that resume, held-out scores.

pix2pix is the GAN core (:class:`tfopt.gan.GAN`) with a generator that takes only an
image (``condition``; its noise is dropout), a PatchGAN that judges (input, image)
pairs, and the objective as weighted terms: the discriminator's cGAN loss halved (the
paper divides it by 2 "to slow down the rate at which D learns"), the generator's cGAN
loss plus ``lambda * L1`` (or either alone). Nothing here is a training loop of its own.

A run directory holds config.json (``kind: pix2pix``), ckpt/, generator.keras,
samples.png and samples/ (held-out input | output | target), history.json, losses.png,
logs/ (TensorBoard), comparison.png and summary.json. It resumes in place like every
tfopt trainer (a SIGKILL loses at most ``checkpoint_every`` steps).

Example:
    summary = train(Pix2PixConfig(data="labels2photo"), "runs/labels2photo")
    summary["heldout"]["l1"], summary["heldout"]["fcn"]["per_pixel_accuracy"]
"""
import pathlib
import shutil
import time

import keras
import numpy as np

from tfopt import nets, report
from tfopt.core import files
from tfopt.core.progress import progress
from tfopt.data import paired, paired_sets
from tfopt.gan import callbacks as cb
from tfopt.gan import terms as T
from tfopt.gan.models import GAN
from tfopt.images import image_grid, save_image
from tfopt.models.pretrained import hed_model
from tfopt.pix2pix import evaluate as evaluation
from tfopt.pix2pix.config import KIND, Pix2PixConfig, title
from tfopt.training.rundir import prepare_run_dir, write_config

__all__ = ["train", "build_networks", "build_gan", "load_data", "training_stream", "title"]

_GRID = 8


def _saved_identity(saved):
    """What a saved config.json is, comparable with ``config.identity()``: a pix2pix run saved
    before a field existed had that field's default (``from_json`` fills it in); a run of
    another kind never matches."""
    if saved.get("kind") != KIND:
        return {"kind": saved.get("kind")}
    return Pix2PixConfig.from_json(saved).identity()


def build_networks(config, *, channels_in=3, channels_out=3):
    """``(generator, discriminator)`` of a config; the generator takes any multiple of ``2 ** depth``."""
    generator = nets.build(config.generator, image_size=None, depth=config.depth, channels_in=channels_in,
                           channels_out=channels_out, filters=config.filters, norm=config.norm,
                           dropout=config.dropout, upsample=config.upsample)
    patch = config.patch if config.patch == "image" else int(config.patch)
    discriminator = nets.build("patchgan", patch=patch, image_size=config.image_size, channels_in=channels_in,
                               channels=channels_out, filters=config.filters, norm=config.norm)
    nets.pix2pix.check_input_size(config.image_size, discriminator)
    return generator, discriminator


def build_gan(config, generator, discriminator):
    """The compiled :class:`~tfopt.gan.GAN` of a config: Adam for both, the objective's terms."""
    gan = GAN(generator, discriminator, k_d_steps=1, seed=config.seed)
    d_terms = [(0.5, T.d_adversarial(config.gan_loss))]
    adversarial = T.g_adversarial(config.gan_loss)
    g_terms = {
        "l1_cgan": [(1.0, adversarial), (config.l1_weight, T.l1())],
        # L1 alone: the cGAN term is still computed and logged (weight 0), so runs compare.
        "l1": [(0.0, adversarial), (config.l1_weight, T.l1())],
        "cgan": [(1.0, adversarial), (0.0, T.l1())],
    }[config.loss]

    def adam():
        return keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1, beta_2=0.999)

    gan.compile(adam(), adam(), d_terms=d_terms, g_terms=g_terms, jit_compile=config.jit_compile)
    return gan


def load_data(config):
    """``(source, train_pairs, heldout_pairs)`` of a config (see :mod:`tfopt.data.paired_sets`)."""
    direction = None if config.direction == "auto" else config.direction
    source = paired_sets.resolve_paired(config.data, image_size=config.image_size, direction=direction,
                                        num_classes=config.num_classes, edges=config.edges,
                                        layout=None if config.heldout == "auto" else config.heldout, hed=hed_model)
    train_pairs = paired.read_pairs(source.train_dir, direction=source.direction)
    heldout = paired.read_pairs(source.heldout_dir, direction=source.direction) if source.heldout_dir else []
    return source, train_pairs, heldout


def training_stream(config, train_pairs, start_step=0):
    """Jittered, mirrored, reshuffled training batches ``{"image", "condition"}``, repeated forever.

    A resumed run reseeds with ``seed + step``: its draws differ from the first run's.
    """
    ds = paired.paired_dataset(train_pairs, image_size=config.image_size, jitter=True, mirror=True,
                               seed=config.seed + start_step, shuffle=True, repeat=True)
    return ds.batch(config.batch_size, drop_remainder=True).prefetch(2)


def _fixed_pairs(pairs, size, count):
    """Up to ``count`` pairs as ``(inputs, targets)`` in [0, 1] at ``size`` (no jitter)."""
    return evaluation.pair_arrays(pairs[:: max(1, len(pairs) // count)][:count], size)


def _comparison(path, inputs, outputs, targets, caption):
    tiles = np.stack([inputs, outputs, targets], axis=1).reshape((-1,) + inputs.shape[1:])
    labels = ["input", caption, "target"] + [""] * (len(tiles) - 3)
    save_image(path, image_grid(tiles, labels=labels, ncols=6, scale=2))


def train(config, output_dir, *, overwrite=False, quiet=False, callbacks=()):
    """Trains (or resumes) a pix2pix run and scores it on the held-out pairs.

    Args:
        config: a :class:`~tfopt.pix2pix.config.Pix2PixConfig`.
        output_dir: the run directory (resumed in place when it holds the same config).
        overwrite: discard an existing run directory and start afresh.
        quiet: no progress bar.
        callbacks: more ``keras.callbacks.Callback`` s.

    Returns:
        The summary dict (also summary.json): title, changed_from_paper, data, steps,
        seconds, receptive_field, final_losses and ``heldout`` scores (see
        :func:`tfopt.pix2pix.evaluate.evaluate`).

    Raises:
        InputError: bad config or data, or a directory holding another run; nothing is
            written then.
    """
    config = config.validated()
    output_dir = pathlib.Path(output_dir)
    source, train_pairs, heldout = load_data(config)  # fails early (nothing written) on bad data
    keras.utils.set_random_seed(config.seed)
    generator, discriminator = build_networks(config)
    receptive_field = nets.pix2pix.receptive_field(discriminator)
    resuming = prepare_run_dir(output_dir, config.identity(), overwrite=overwrite, saved_identity=_saved_identity)
    gan = build_gan(config, generator, discriminator)
    if overwrite and output_dir.is_dir():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    write_config(output_dir, config.to_json())
    run = cb.Run(output_dir)
    shown = heldout or train_pairs
    inputs, targets = _fixed_pairs(shown, config.image_size, _GRID)
    grids = cb.SampleGrids(run, every=config.sample_every, total=config.steps, condition=inputs * 2.0 - 1.0,
                           ncols=2, before=(inputs,), beside=(targets,))
    checkpoints = cb.Checkpoints(run, gan, every=config.checkpoint_every, total=config.steps)
    start = checkpoints.restore() if resuming else 0
    remaining = max(config.steps - start, 0)
    seconds = 0.0
    name = title(config)
    with progress(config.steps, quiet=quiet, desc=name) as bar:
        bar.update(start)
        if remaining:
            began = time.perf_counter()
            gan.fit(training_stream(config, train_pairs, start), steps_per_epoch=remaining, epochs=1, verbose=0, shuffle=False,
                    callbacks=[cb.ProgressBar(bar), cb.MetricsLog(run, every=config.log_every, total=config.steps),
                               grids, checkpoints, *callbacks])
            seconds = time.perf_counter() - began
    if not (output_dir / "samples.png").is_file():
        grids.set_model(gan)
        grids.write(int(gan.g_optimizer.iterations.numpy()))
    summary = {
        "title": name,
        "paper": "Isola et al. 2017",
        "changed_from_paper": config.changed_from_paper(),
        "data": {"name": source.name, "direction": source.direction, "train_pairs": len(train_pairs),
                 "heldout_pairs": len(heldout), "heldout": source.meta.get("heldout", "none"),
                 "train_dir": str(source.train_dir)},
        "steps": int(gan.g_optimizer.iterations.numpy()),
        "resumed_from_step": start,
        "seconds": seconds,
        "steps_per_second": remaining / seconds if seconds else None,
        "receptive_field": receptive_field,
        "num_parameters": {"generator": generator.count_params(), "discriminator": discriminator.count_params()},
        "test_mode": config.test_mode,
    }
    if run.history:
        summary["final_losses"] = {k: v for k, v in run.history[-1].items() if k != "step"}
        series = {k: [h.get(k, np.nan) for h in run.history] for k in summary["final_losses"]
                  if k not in ("d_real", "d_fake")}
        report.plot_curves(output_dir / "losses.png", series, title=name, xlabel=f"step / {config.log_every}",
                           ylabel="loss", logy=True)
    if heldout:
        scored = heldout[: config.eval_samples] if config.eval_samples else heldout
        scores, arrays = evaluation.evaluate(gan.generator, scored, config=config, source=source,
                                             train_pairs=train_pairs)
        summary["heldout"] = scores
        _comparison(output_dir / "comparison.png", arrays["inputs"][:12], arrays["outputs"][:12],
                    arrays["targets"][:12], "output")
    summary["config"] = config.to_json()
    files.write_summary(output_dir, summary)
    return summary
