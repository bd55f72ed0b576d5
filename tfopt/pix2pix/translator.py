"""Running a trained pix2pix generator: loading a run, test-time modes, any image size.

The generator is fully convolutional (built for any size that is a multiple of
``2 ** depth``); :func:`translate` pads an image of any size up to that multiple
(:func:`tfopt.nets.pix2pix.pad_to_multiple`: the border reflected) and crops the result back.

Test-time batch statistics are a choice (``test_mode``):

* ``"inference"`` (the default): batch norm uses its moving statistics, dropout is off,
  and nothing stored changes. A translation depends only on its own input.
* ``"batch"``: the paper's choice (Isola et al. 2017, sec. 3.3): the test batch's own
  statistics and dropout at test time. The TF tutorial gets it by calling the generator
  with ``training=True``, which also overwrites the moving statistics with the test
  batch's (tensorflow #29478); here the call is ``stateless_call``, whose updated
  statistics are thrown away, so the stored model is left as it was.

Example:
    generator, config = load_translator("runs/labels2photo")
    photos = translate(generator, label_maps, test_mode="inference")    # [N, H, W, 3] in [0, 1]
"""
import pathlib

import time

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.core.progress import progress
from tfopt.gan import io as gan_io
from tfopt.images import from_tanh
from tfopt.nets.pix2pix import crop_back, pad_to_multiple
from tfopt.pix2pix.config import KIND, TEST_MODES, Pix2PixConfig, title
from tfopt.training.rundir import read_config

__all__ = ["GENERATOR_FILE", "is_run", "load_translator", "translate_files", "translate", "run_generator", "multiple_of"]

GENERATOR_FILE = gan_io.GENERATOR_FILE
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def is_run(path):
    """Whether ``path`` is a pix2pix run directory (or a file in one)."""
    path = pathlib.Path(path)
    run_dir = path if path.is_dir() else path.parent
    try:
        saved = read_config(run_dir) if run_dir.is_dir() else None
    except InputError:
        return False
    return bool(saved) and saved.get("kind") == KIND


def load_translator(path):
    """Loads the generator of a pix2pix run and its config.

    Args:
        path: a run directory of ``bin/train_pix2pix.py`` (or its ``generator.keras``).

    Returns:
        ``(keras.Model, Pix2PixConfig)``: the generator maps ``condition [B, H, W, C]``
        in [-1, 1] to images in [-1, 1].

    Raises:
        InputError: no run there, or a run of another kind (a GAN, a style network).
    """
    path = pathlib.Path(path)
    run_dir = path if path.is_dir() else path.parent
    saved = read_config(run_dir) if run_dir.is_dir() else None
    if saved is None or saved.get("kind") != KIND:
        model = (saved or {}).get("model")
        kind = saved and (saved.get("kind") or (model.get("name") if isinstance(model, dict) else model))
        what = "no config.json" if saved is None else f"a {kind or 'other'} run"
        raise InputError(f"expected a pix2pix run directory (bin/train_pix2pix.py --output); received: "
                         f"{str(path)!r} ({what})")
    generator, _ = gan_io.load_generator(run_dir)
    return generator, Pix2PixConfig.from_json(saved)


def multiple_of(generator):
    """The side multiple a fully convolutional generator needs: 2 to the power of its stride-2 layers."""
    strides = [layer for layer in generator._flatten_layers(include_self=False)
               if isinstance(layer, keras.layers.Conv2D) and not isinstance(layer, keras.layers.Conv2DTranspose)
               and tuple(layer.strides) == (2, 2)]
    return 2 ** len(strides)


def run_generator(generator, inputs, *, test_mode="inference"):
    """The generator's output for a batch in [-1, 1], in a test mode (see the module doc).

    Args:
        generator: the pix2pix generator.
        inputs: ``[B, H, W, C]`` in [-1, 1] with H, W multiples of :func:`multiple_of`.
        test_mode: ``"inference"`` or ``"batch"``.

    Returns:
        ``[B, H, W, C]`` tensor in [-1, 1].
    """
    if test_mode not in TEST_MODES:
        raise InputError(f"expected test_mode in {', '.join(TEST_MODES)}; received: test_mode={test_mode!r}")
    inputs = tf.convert_to_tensor(inputs, tf.float32)
    if test_mode == "inference":
        return generator(inputs, training=False)
    # The paper's test-time statistics without the tutorial's side effect: stateless_call
    # returns the updated moving statistics instead of assigning them, and they are dropped.
    outputs, _ = generator.stateless_call([v.value for v in generator.trainable_variables],
                                          [v.value for v in generator.non_trainable_variables], inputs, training=True)
    return outputs


def translate(generator, images, *, test_mode="inference", batch_size=16):
    """Translates images of any size (padded to the generator's multiple, cropped back).

    Args:
        generator: the pix2pix generator.
        images: a list of ``[H, W, C]`` arrays (sizes may differ) or one ``[N, H, W, C]``
            array, in [0, 1].
        test_mode: ``"inference"`` or ``"batch"`` (batch statistics are those of each batch
            of equal-sized images).
        batch_size: images per generator call.

    Returns:
        A list of ``[H, W, C]`` float32 arrays in [0, 1] (an ``[N, H, W, C]`` array when
        ``images`` was one).
    """
    stacked = isinstance(images, np.ndarray) and images.ndim == 4
    images = [np.asarray(x, np.float32) for x in images]
    if not images:
        raise InputError("expected at least one image to translate; received: none")
    multiple = multiple_of(generator)
    outputs = [None] * len(images)
    by_shape = {}
    for i, image in enumerate(images):
        by_shape.setdefault(image.shape, []).append(i)
    for indices in by_shape.values():
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            batch, box = pad_to_multiple(np.stack([images[i] for i in chunk]) * 2.0 - 1.0, multiple)
            out = crop_back(run_generator(generator, batch, test_mode=test_mode), box).numpy()
            for k, i in enumerate(chunk):
                outputs[i] = from_tanh(out[k])
    return np.stack(outputs) if stacked else outputs


def _input_files(inputs):
    """The image files named by ``inputs`` (files, folders of images, or sample photo names)."""
    found = []
    for item in inputs:
        path = pathlib.Path(item)
        if path.is_dir():
            entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            others = [p.name for p in entries if p.is_file() and p.suffix.lower() not in IMAGE_SUFFIXES]
            if others:
                raise InputError(f"expected only PNG/JPEG images in {str(path)!r}; received: "
                                 f"{', '.join(others[:3])}")
            found += [p for p in entries if p.is_file()]
        else:
            found.append(item)
    if not found:
        raise InputError(f"expected at least one input image; received: {', '.join(map(str, inputs)) or 'none'}")
    return found


def translate_files(run_dir, inputs, output_dir, *, test_mode=None, quiet=False):
    """Translates image files with a run's generator; writes one PNG each, a grid and summary.json.

    Args:
        run_dir: a pix2pix run directory.
        inputs: image files, folders of images, or sample photo names.
        output_dir: an existing (empty, temporary) directory to write into.
        test_mode: ``"inference"`` or ``"batch"`` (None: the run's own).
        quiet: no progress bar.

    Returns:
        The summary dict: the run's title, test mode, and per image its name, size and file.
    """
    from tfopt.images import load_image, save_image, side_by_side

    generator, config = load_translator(run_dir)
    test_mode = test_mode or config.test_mode
    files_in = _input_files(inputs)
    images = [load_image(f).numpy() for f in files_in]
    began = time.perf_counter()
    outputs = []
    with progress(len(images), quiet=quiet, desc="translate") as bar:
        for image in images:  # one at a time: sizes differ, and batch mode would mix statistics
            outputs.extend(translate(generator, [image], test_mode=test_mode))
            bar.update(1)
    seconds = time.perf_counter() - began
    output_dir = pathlib.Path(output_dir)
    written, names = [], set()
    for source, image in zip(files_in, outputs):
        stem = pathlib.Path(str(source)).stem
        name, k = f"{stem}.png", 1
        while name in names:
            k += 1
            name = f"{stem}_{k}.png"
        names.add(name)
        save_image(output_dir / name, image)
        written.append({"input": str(source), "output": name, "height": int(image.shape[0]),
                        "width": int(image.shape[1])})
    shown = list(zip(images, outputs))[:6]
    height = min(256, max(64, min(x.shape[0] for x, _ in shown)))
    save_image(output_dir / "translations.png", side_by_side(
        [im for pair in shown for im in pair], [c for _ in shown for c in ("input", "output")], height=height))
    return {"model": title(config), "run": str(run_dir), "test_mode": test_mode, "images": written,
            "seconds": seconds, "multiple": multiple_of(generator)}
