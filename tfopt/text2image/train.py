"""Training a text-to-image run end to end: captions, frozen encoders, the GAN core, scores on held-out captions.

The text encoder is DAMSM's (:func:`tfopt.text2image.damsm_training.load_damsm`, trained once on
first use and cached), frozen: every caption's sentence vector is computed once before
training, as Reed et al. precompute theirs, and the GAN core
(:mod:`tfopt.text2image.models`) trains on ``(image, one of its captions' vectors)``.
AttnGAN's stream carries the captions instead, and the frozen encoder gives each batch its
sentence vectors, word features and masks in the pipeline (see :func:`train`).
GAN-INT-CLS and AttnGAN are one phase; StackGAN is two, Stage I then Stage II with Stage I frozen,
each phase in its own sub-directory that resumes in place (a SIGKILL loses at most
``checkpoint_every`` steps; a run killed in Stage II resumes there with Stage I restored).

A run directory holds config.json (``kind: text2image``), ``<phase>/`` (ckpt/, samples/,
history.json, logs/ for TensorBoard, generator.keras: the generator of sentence vectors),
``text2image.keras`` (raw captions and ``z`` in, images out: what ``bin/text2image.py``
and ``bin/export.py`` read), ``captions.png`` (held-out captions, a row each, the
readers' verdict under every image), losses.png and summary.json.

Example:
    summary = train(Text2ImageConfig(model="gan_int_cls"), "runs/int_cls")
    summary["held_out"]["attributes"]["digit"], summary["held_out"]["r_precision"]
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
from tfopt.gan import feeds
from tfopt.images import save_grid
from tfopt.text2image import damsm_training, models, readers
from tfopt.text2image.config import Text2ImageConfig
from tfopt.text2image.evaluate import encode_captions, encode_conditions, evaluate
from tfopt.training.rundir import prepare_run_dir, write_config

__all__ = ["train", "load_data", "combined_model", "MODEL_FILE", "DataSplits", "SHOWN", "verdicts"]

MODEL_FILE = "text2image.keras"
"""The run's served model: ``{"captions": string [B], "z": [B, latent]}`` -> images in [-1, 1]."""

SHOWN = (
    # (digit, stroke, background, thickness): three held-out (digit, colour) pairs, then three seen in training.
    (7, "green", "black", "thick"),
    (0, "red", "white", "regular"),
    (4, "purple", "yellow", "thin"),
    (7, "red", "blue", "thick"),
    (3, "white", "purple", "regular"),
    (9, "blue", "yellow", "thin"),
)
"""The attributes of the sample rows (``captions.png``); rows whose names the data lacks are skipped."""

_PER_CAPTION = 8


@dataclasses.dataclass(frozen=True)
class DataSplits:
    """The data of a run: ``train`` (trained on), ``held_out`` (scored), named ``name``."""

    name: str
    train: object
    held_out: object


def load_data(config):
    """The :class:`DataSplits` of a config: the captioned digits' train / held-out splits, or a folder's.

    A folder set (``images/`` + ``text/``) keeps its last tenth, at most 1,000 images, as the held-out part.
    """
    if config.data == "captioned_digits":
        from tfopt.data.captioned_digits import captioned_digits

        return DataSplits("captioned_digits", captioned_digits("train", image_size=config.image_size),
                          captioned_digits("held_out", image_size=config.image_size))
    from tfopt.data.captioned_folder import load_captioned_folder

    data = load_captioned_folder(config.data, image_size=config.image_size)
    count = len(data.images)
    held = min(1000, count // 10)
    if held < 1:
        raise InputError(f"expected at least 10 captioned images in {config.data!r}; received: {count}")

    def part(rows):
        return dataclasses.replace(data, images=data.images[rows], captions=data.captions[rows], attributes={})

    return DataSplits(str(config.data), part(slice(0, count - held)), part(slice(count - held, count)))


def _first(captioned, count):
    """The first ``count`` images of a captioned set, with their captions and attributes."""
    return dataclasses.replace(captioned, images=captioned.images[:count], captions=captioned.captions[:count],
                               attributes={k: v[:count] for k, v in (captioned.attributes or {}).items()})


def combined_model(text_model, generator, name="text2image"):
    """One model, raw captions and noise in: ``{"captions": string [B], "z": [B, latent]}`` -> images [-1, 1].

    The generator gets the sentence vector as ``condition``, or (AttnGAN) the text encoder's outputs by name.
    """
    captions = keras.Input((), dtype="string", name="captions")
    z = keras.Input((feeds.latent_dim_of(generator),), name="z")
    text = text_model(captions)
    condition = text["sentence"] if feeds.condition_names(generator) == ["condition"] else text
    drawn = generator(feeds.feed(generator, z=z, condition=condition))
    image = drawn["image"] if isinstance(drawn, dict) else drawn
    return keras.Model({"captions": captions, "z": z}, image, name=name)


def verdicts(read, asked):
    """A short label per image: what the readers saw, and ``ok`` when all four match what was asked."""
    from tfopt.data.captioned_digits import COLOUR_NAMES, THICKNESSES

    labels = []
    for i in range(len(read["digit"])):
        right = all(int(read[k][i]) == int(asked[k][i]) for k in asked)
        labels.append(f"{read['digit'][i]} {COLOUR_NAMES[read['stroke'][i]]}/{COLOUR_NAMES[read['background'][i]]}"
                      f" {THICKNESSES[read['thickness'][i]][:5]}{' ok' if right else ''}")
    return labels


def _shown_rows():
    """``(captions, attributes)`` of the sample rows."""
    from tfopt.data.captioned_digits import COLOUR_NAMES, THICKNESSES, describe

    rows = [r for r in SHOWN if r[1] in COLOUR_NAMES and r[2] in COLOUR_NAMES]
    captions = [describe(*r) for r in rows]
    attributes = {"digit": [r[0] for r in rows], "stroke": [COLOUR_NAMES.index(r[1]) for r in rows],
                  "background": [COLOUR_NAMES.index(r[2]) for r in rows],
                  "thickness": [THICKNESSES.index(r[3]) for r in rows]}
    return captions, attributes


def _write_caption_grid(path, generator, text_model, config, captioned):
    """captions.png: a row per caption, ``_PER_CAPTION`` noises; labels are the readers' verdicts (digits only)."""
    if captioned:
        captions, asked = _shown_rows()
    else:
        captions, asked = [], None
    if not captions:
        return None
    repeated = np.repeat(np.asarray(captions), _PER_CAPTION)
    sentences = encode_conditions(text_model, repeated, generator)
    z = np.random.default_rng(config.seed + 3).standard_normal((_PER_CAPTION, feeds.latent_dim_of(generator)))
    z = np.tile(z, (len(captions), 1)).astype(np.float32)  # the same noise in every row
    images = feeds.generate_from(generator, z, condition=sentences)
    labels = None
    if asked is not None:
        read = readers.read_attributes(images)
        labels = verdicts(read, {k: np.repeat(v, _PER_CAPTION) for k, v in asked.items()})
    save_grid(path, (images + 1.0) / 2.0, labels=labels, ncols=_PER_CAPTION, scale=3)
    return captions


def _phase(config, run_dir, name, stage, steps, stream_args, embedding_dim, stage1, bar, quiet):
    """Trains (or restores) one phase in ``run_dir/name``; returns ``(gan, record)``."""
    phase_dir = run_dir / name
    gan = models.build_gan(config.model, stage=stage, image_size=config.image_size, embedding_dim=embedding_dim,
                           seed=config.seed + stage - 1, stage1=stage1, jit_compile=config.jit(),
                           ema_decay=config.ema() or None, image_encoder=stream_args["image_encoder"],
                           **config.model_options())
    run = cb.Run(phase_dir)
    grid_sentences, grid_captions = stream_args["grid"]
    z = np.random.default_rng(config.seed + 1).standard_normal((len(grid_captions), gan.latent_dim))
    grids = cb.SampleGrids(run, every=config.sample_every, total=steps, z=z.astype(np.float32),
                           condition=grid_sentences, ncols=8, labels=None)
    checkpoints = cb.Checkpoints(run, gan, every=config.checkpoint_every, total=steps)
    start = checkpoints.restore() if (phase_dir / "ckpt").is_dir() else 0
    remaining = max(steps - start, 0)
    bar.update(start)
    seconds = 0.0
    if remaining:
        stream = models.dataset(stream_args["images"], stream_args["embeddings"], batch_size=config.batch_size,
                                seed=config.seed + start + 7919 * stage, hard_wrong=stream_args["hard_wrong"],
                                hard_share=config.hard_mismatch, encode=stream_args["encode"])
        began = time.perf_counter()
        gan.fit(stream, steps_per_epoch=remaining, epochs=1, verbose=0, shuffle=False, callbacks=[
            cb.ProgressBar(bar), cb.MetricsLog(run, every=config.log_every, total=steps), grids, checkpoints])
        seconds = time.perf_counter() - began
    record = {"steps": int(gan.g_optimizer.iterations.numpy()), "resumed_from_step": start, "seconds": seconds,
              "steps_per_second": remaining / seconds if seconds else None,
              "num_parameters": {"generator": gan.generator.count_params(),
                                 "discriminator": gan.discriminator.count_params()}}
    if run.history:
        record["final_losses"] = {k: v for k, v in run.history[-1].items() if k != "step"}
        names = [k for k in run.history[-1] if k.startswith(("d_", "g_"))]
        report.plot_curves(phase_dir / "losses.png", {k: [h.get(k, np.nan) for h in run.history] for k in names},
                           title=f"{config.model} {name}", xlabel=f"step / {config.log_every}", ylabel="loss")
    return gan, record


def train(config, output_dir, *, overwrite=False, quiet=False):
    """Trains (or resumes) a text-to-image run and scores it on the held-out captions.

    Args:
        config: a :class:`~tfopt.text2image.config.Text2ImageConfig`.
        output_dir: the run directory (resumed in place when it holds the same config).
        overwrite: discard an existing run directory and start afresh.
        quiet: no progress bar.

    Returns:
        The summary dict (also summary.json): model, data, phases (steps, seconds, losses),
        encoders (the DAMSM ceilings), ``held_out`` scores (:func:`tfopt.text2image.evaluate.evaluate`)
        and the sample captions.

    Raises:
        InputError: bad config or data, or a directory holding another run; nothing is written then.
    """
    if not isinstance(config, Text2ImageConfig):
        raise InputError(f"expected a Text2ImageConfig; received: {type(config).__name__}")
    config = config.validated()
    output_dir = pathlib.Path(output_dir)
    data = load_data(config)  # fails early (nothing written) on bad data
    if config.train_images:
        if config.train_images < config.batch_size:
            raise InputError(f"expected train_images >= batch_size={config.batch_size} (or 0: all); received: "
                             f"train_images={config.train_images}")
        data = dataclasses.replace(data, train=_first(data.train, config.train_images))
    # The same config resumes in place (each phase restores its own latest checkpoint); another is refused.
    prepare_run_dir(output_dir, config.identity(), overwrite=overwrite)
    recipe = {} if config.encoder_epochs is None else {"epochs": config.encoder_epochs}
    text_model, image_model, encoder_metrics = damsm_training.load_damsm(image_size=config.image_size, quiet=quiet,
                                                                with_metrics=True, **recipe)
    # The text encoder is frozen: GAN-INT-CLS and StackGAN read each caption's sentence vector, computed once here
    # ([N, C, E]); AttnGAN also reads the word features, which would take 410 MB for the captioned digits, so its
    # stream carries the captions and the encoder runs on each batch in the pipeline (models.dataset's encode).
    attention = config.model == "attngan"
    encode = (lambda captions: text_model(captions, training=False)) if attention else None
    embeddings = np.asarray(data.train.captions) if attention else encode_captions(text_model, data.train.captions)
    grid_count = 16
    grid_captions = np.asarray(data.held_out.captions)[:grid_count, 0]
    grid = {k: v.numpy() for k, v in text_model(tf.constant(list(grid_captions)), training=False).items()}
    stream_args = {"images": data.train.images, "embeddings": embeddings, "hard_wrong": None, "encode": encode,
                   "image_encoder": image_model,
                   "grid": (grid if attention else grid["sentence"], list(grid_captions))}
    if config.hard_mismatch and data.train.attributes:
        from tfopt.data.captioned_digits import digit_swapped_captions

        hard = digit_swapped_captions(data.train.attributes, seed=config.seed)
        stream_args["hard_wrong"] = np.asarray(hard) if attention else encode_captions(text_model, hard)
    if overwrite and output_dir.is_dir():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    write_config(output_dir, config.to_json())
    phases, gan = {}, None
    total = sum(steps for _, _, steps in config.phases())
    with progress(total, quiet=quiet, desc=config.model) as bar:
        for name, stage, steps in config.phases():
            gan, phases[name] = _phase(config, output_dir, name, stage, steps, stream_args,
                                       grid["sentence"].shape[-1], gan, bar, quiet)
    generator = gan.sampler
    served = combined_model(text_model, generator)
    with files.atomic_path(output_dir / MODEL_FILE) as tmp:
        served.save(tmp)
    captioned = config.data == "captioned_digits"
    shown = _write_caption_grid(output_dir / "captions.png", generator, text_model, config, captioned)
    summary = {
        "model": config.model,
        "title": {"gan_int_cls": "GAN-INT-CLS (Reed et al. 2016)", "stackgan": "StackGAN (Zhang et al. 2017)",
                  "attngan": "AttnGAN (Xu et al. 2018)"}[config.model],
        "options": dataclasses.asdict(dataclasses.replace(models.DEFAULTS[config.model], **config.model_options())),
        "data": {"name": data.name, "train_images": len(data.train.images),
                 "held_out_images": len(data.held_out.images)},
        "phases": phases,
        "steps": sum(p["steps"] for p in phases.values()),
        "seconds": sum(p["seconds"] for p in phases.values()),
        "encoders": {k: v for k, v in encoder_metrics.items() if k != "history"},
        "sample_captions": shown,
    }
    summary["held_out"] = evaluate(generator, text_model, image_model, data.held_out, num=config.eval_samples,
                                   seed=config.seed)
    summary["config"] = config.to_json()
    files.write_summary(output_dir, summary)
    return summary
