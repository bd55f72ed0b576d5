"""One call that exports a model in several formats and measures each against Keras.

:func:`export_model` writes, into one version directory::

    <dir>/saved_model.pb, variables/, assets.extra/    SavedModel for TF Serving
    <dir>/tflite/model_<quantization>.tflite            TFLite files
    <dir>/summary.json                                  per format: path, size, diff, PSNR, latency;
                                                        whether the warm-up file was written
    <dir>/comparison.png                                Keras vs each format, same inputs

Every format is run on the same inputs as the Keras model (z ~ N(0, 1) for
generators, photos for image networks, captions and z for text-to-image models)
and compared on images in [0, 1]: max
absolute difference and PSNR (dB, peak 1.0). Latency is the mean wall time of one
call on the whole comparison batch after one warm-up call.

A text-to-image model's TFLite files hold its image part only (text features,
z -> images; see :mod:`tfopt.export.image_part`): their inputs are the Keras text
part's features of the same captions, and they are compared on the same images.
"""
import dataclasses
import os
import pathlib
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt import images as tfimages
from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.export import saved_model as sm
from tfopt.export import signatures as sigs
from tfopt.export import text2image as t2i
from tfopt.export.image_part import split_model
from tfopt.export import tflite

__all__ = ["FORMATS", "export_model", "load_for_export", "photo_batch", "psnr"]

FORMATS = ("saved_model",) + tuple(f"tflite_{q}" for q in tflite.QUANTIZATIONS)


def psnr(reference, other, *, peak=1.0):
    """Peak signal-to-noise ratio in dB (inf when identical).

    Args:
        reference, other: arrays of the same shape.
        peak: the value range (1.0 for images in [0, 1]).

    Returns:
        A float.
    """
    mse = float(np.mean((np.asarray(reference, np.float64) - np.asarray(other, np.float64)) ** 2))
    return float("inf") if mse == 0.0 else 10.0 * np.log10(peak * peak / mse)


def _mean_latency_ms(call, runs):
    call()  # warm-up: tracing, allocation
    start = time.perf_counter()
    for _ in range(runs):
        call()
    return 1000.0 * (time.perf_counter() - start) / runs


def photo_batch(names, size, *, channels=3):
    """Loads photos (paths or sample names) as one ``[N, size, size, channels]`` float32 batch.

    Each photo is resized so its shorter side is ``size`` and centre-cropped.

    Args:
        names: paths or :data:`tfopt.images.SAMPLE_NAMES`.
        size: side in pixels.
        channels: 3 (RGB) or 1 (grey).

    Returns:
        A float32 numpy array in [0, 1].
    """
    out = []
    for name in names:
        image = tfimages.load_image(name, channels=channels)
        h, w = int(image.shape[0]), int(image.shape[1])
        scale = size / min(h, w)
        image = tf.image.resize(image, (max(size, round(h * scale)), max(size, round(w * scale))), antialias=True)
        out.append(tf.clip_by_value(tf.image.resize_with_crop_or_pad(image, size, size), 0.0, 1.0).numpy())
    return np.stack(out).astype(np.float32)


def load_for_export(*, checkpoint=None, model=None):
    """Loads the model to export: a tfopt run directory or a ``.keras`` file.

    Args:
        checkpoint: a run directory: a GAN run (``bin/train_gan.py --output``, holding
            ``generator.keras`` and ``config.json``; loaded with
            ``tfopt.gan.load_generator``), a style-network run
            (``bin/train_stylenet.py --output``, holding ``stylenet.keras``) or a pix2pix
            run (``bin/train_pix2pix.py --output``; its generator takes and gives [-1, 1]
            images of any size, padded in the graph to its multiple).
        model: a ``.keras`` file, loaded with ``safe_mode=True`` (tfopt's own layers
            are registered first).

    Returns:
        ``(keras.Model, config dict)``; the config is the GAN run's (``latent_dim``,
        ...), a pix2pix run's serving facts (``kind``, ``input_range``, ``output_range``,
        ``multiple``, ``image_size``) or empty.

    Raises:
        InputError: neither or both given, or nothing loadable at the path.
    """
    if (checkpoint is None) == (model is None):
        raise InputError("expected exactly one of checkpoint (a run directory) or model (a .keras file); "
                         f"received: checkpoint={checkpoint!r}, model={model!r}")
    _register_tfopt_layers()
    if checkpoint is not None:
        path = pathlib.Path(checkpoint)
        if not path.exists():
            raise InputError(f"expected a run directory or a .keras file; received: {str(checkpoint)!r} "
                             "(no such path)")
        from tfopt.pix2pix import translator

        if translator.is_run(path):
            generator, config = translator.load_translator(path)
            return generator, {"kind": "image", "input_range": "tanh", "output_range": "tanh",
                               "multiple": translator.multiple_of(generator), "image_size": config.image_size}
        from tfopt.style import fast

        if path.name == fast.MODEL_FILE or (path / fast.MODEL_FILE).is_file():
            return fast.load_stylenet(path), {}
        from tfopt.gan import load_generator

        loaded, config = load_generator(path)
        return loaded, dict(config or {})
    if not os.path.isfile(model) or not str(model).endswith(".keras"):
        raise InputError(f"expected an existing .keras model file; received: {model!r}")
    try:
        return keras.saving.load_model(model, safe_mode=True, compile=False), {}
    except (ValueError, OSError, TypeError) as err:
        reason = " ".join(str(err).split())[:150]
        raise InputError(f"expected a Keras model file; received: {str(model)!r} ({reason})") from None


def _register_tfopt_layers():
    """Imports tfopt.layers, which registers every serializable tfopt layer."""
    import tfopt.layers  # noqa: F401


_SAVED_MODEL_PARTS = ("saved_model.pb", "fingerprint.pb", "variables", "assets", "assets.extra")


def _saved_model_size(directory):
    """Bytes of the SavedModel files only (not tflite/, summary.json, comparison.png)."""
    total = 0
    for part in _SAVED_MODEL_PARTS:
        path = pathlib.Path(directory) / part
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return total


def _representative(spec, *, count, seed, images, split=None, captions=None):
    if split is not None:
        return split.representative(captions, spec, count=count, seed=seed)
    if spec.kind == "image":
        if images is None or len(images) == 0:
            raise InputError("expected representative images for int8 of an image network; received none")
        return [{"image": np.asarray(img, np.float32)[None]} for img in images]
    feeds = sigs.sample_inputs(spec, batch=count, seed=seed)
    return [{k: v[i : i + 1] for k, v in feeds.items()} for i in range(count)]


def export_model(model, directory, *, spec=None, formats=FORMATS, model_name="model", num_samples=8, seed=0,
                 images=None, representative_images=None, representative_count=64, timing_runs=10,
                 warmup=True, captions=None, quiet=False):
    """Exports ``model`` in ``formats`` into ``directory`` and measures each against Keras.

    Args:
        model: a built Keras model (generator, image network or text-to-image model).
        directory: the version directory to fill (``<base>/<model_name>/<version>``);
            it should be new or empty. The caller makes it atomic (see
            :func:`tfopt.cli.output_dir`).
        spec: a :class:`~tfopt.export.signatures.ServingSpec` (default: read from the model).
        formats: subset of :data:`FORMATS`.
        model_name: the name TF Serving serves the model under.
        num_samples: batch of z used for comparisons (generators, text-to-image models).
        seed: seed of the comparison z and the int8 calibration z.
        images: comparison images ``[N, H, W, C]`` in [0, 1] (image networks; required).
        representative_images: int8 calibration images (image networks; default ``images``).
        representative_count: number of z samples for int8 calibration (generators,
            text-to-image models).
        timing_runs: calls averaged for each latency.
        warmup: write TF Serving's warm-up requests (with the SavedModel format only).
            Without tensorflow-serving-api they are skipped with one line on stderr
            (printed even when quiet); ``summary["warmup_requests"]`` says which.
        captions: text-to-image models: comparison sentences, cycled to ``num_samples``
            (default: drawn from the model's vocabulary); int8 calibration uses them
            and as many drawn ones. ``summary["text2image"]`` lists them, their
            unknown words and what TFLite holds.
        quiet: print no progress or results.

    Returns:
        The summary dict (also written to ``directory/summary.json``).

    Example:
        with cli.output_dir("models/dcgan/1") as d:
            summary = export_model(generator, d, model_name="dcgan")
    """
    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(f"expected formats from {', '.join(FORMATS)}; received: {', '.join(formats) or 'none'}")
    spec = spec or sigs.describe_model(model)
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    text = spec.kind == "text2image"
    if text:
        captions = t2i.comparison_captions(model, captions, count=num_samples, seed=seed)
    inputs = sigs.sample_inputs(spec, batch=num_samples, seed=seed, images=images, captions=captions)
    reference = sigs.reference_images(model, spec, inputs)
    tensors = {k: tf.constant(v) for k, v in inputs.items()}
    keras_ms = _mean_latency_ms(lambda: sigs.call_model(model, spec, **tensors), timing_runs)
    results = {}
    outputs = {"input": inputs["image"]} if spec.kind == "image" else {}
    outputs["keras"] = reference

    def record(name, path, size, images_out, latency_ms):
        outputs[name] = images_out
        results[name] = {
            "path": str(path), "size_bytes": int(size),
            "max_abs_diff": float(np.max(np.abs(images_out - reference))),
            "psnr_db": psnr(reference, images_out), "mean_latency_ms": latency_ms,
        }
        if not quiet:
            r = results[name]
            print(f"{name:15s} {r['size_bytes']:>10d} B  max|diff| {r['max_abs_diff']:.3g}  "
                  f"PSNR {r['psnr_db']:.1f} dB  {latency_ms:.2f} ms/call", flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        sm_dir = directory if "saved_model" in formats else pathlib.Path(scratch) / "saved_model"
        warm = bool(warmup) and "saved_model" in formats
        described = sm.export_saved_model(model, spec, sm_dir, model_name=model_name, warmup=warm)
        warm_written = warm and (sm_dir / sm.WARMUP_FILE).is_file()
        if "saved_model" in formats:
            serve = sm.load_saved_model(sm_dir)["serving_default"]
            got = serve(**inputs)["images"]
            ms = _mean_latency_ms(lambda: serve(**tensors), timing_runs)
            record("saved_model", ".", _saved_model_size(directory), got, ms)
        lite_dir, lite_inputs, split = sm_dir, inputs, None
        if text and any(f.startswith("tflite_") for f in formats):
            split = split_model(model)
            lite_dir = pathlib.Path(scratch) / "image_part"
            split.export(lite_dir, spec)
            lite_inputs = split.image_inputs(inputs)
            if not quiet:
                print(t2i.TFLITE_NOTE, flush=True)
        for fmt in formats:
            if not fmt.startswith("tflite_"):
                continue
            quant = fmt.removeprefix("tflite_")
            rep = None
            if quant == "int8":
                rep = _representative(spec, count=representative_count, seed=seed + 1,
                                      images=images if representative_images is None else representative_images,
                                      split=split, captions=captions)
            data = tflite.convert_saved_model(lite_dir, quant, representative=rep)
            path = directory / "tflite" / f"model_{quant}.tflite"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            lite = tflite.TFLiteModel(path)
            got = lite(**lite_inputs)["images"]
            ms = _mean_latency_ms(lambda: lite(**lite_inputs), timing_runs)
            record(fmt, path.relative_to(directory), len(data), got, ms)
    summary = {
        "model_name": model_name,
        "spec": dataclasses.asdict(spec),
        "signatures": described,
        "comparison": {"num_samples": int(next(iter(inputs.values())).shape[0]), "seed": seed,
                       "image_range": "[0, 1] float32", "keras_mean_latency_ms": keras_ms,
                       "timing_runs": timing_runs},
        "formats": results,
        "warmup_requests": {
            "written": warm_written, "path": sm.WARMUP_FILE if warm_written else None,
            "skipped_because": None if warm_written else sm.warmup_unavailable() if warm else "not requested"},
        "comparison_png": "comparison.png",
    }
    if text:
        summary["text2image"] = {
            "captions": captions, "unknown_words": t2i.unknown_words(model, captions),
            "tflite": t2i.TFLITE_NOTE if split else None,
            "tflite_inputs": split.input_signature() if split else None}
    _comparison_png(directory / "comparison.png", outputs, results)
    files.write_summary(directory, summary)
    return summary


def _comparison_png(path, outputs, results, max_columns=8):
    """One row per format (input photos first for image networks): name, PSNR, then images."""
    tiles, labels = [], []
    count = min(max_columns, next(iter(outputs.values())).shape[0])
    height = next(iter(outputs.values())).shape[1]
    for name, batch in outputs.items():
        short = name.removeprefix("tflite_").replace("saved_model", "SavedModel")
        if name in results:
            value = results[name]["psnr_db"]
            note = "identical" if value == float("inf") else f"{value:.1f} dB"
        else:
            note = ""
        for i in range(count):
            tiles.append(batch[i])
            labels.append(short if i == 0 else note if i == 1 else "")
    tfimages.save_grid(path, tiles, labels=labels, ncols=count, scale=max(1, 96 // height))
