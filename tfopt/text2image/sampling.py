"""Sentences in, images out: what ``bin/text2image.py`` does with a trained run's ``text2image.keras``.

The served model takes raw captions (its ``TextVectorization`` is inside), so a sentence
needs no preprocessing here; words the vocabulary lacks become the unknown token, and
:func:`tfopt.export.text2image.unknown_words` says which, so a user learns why "a crimson seven" draws no crimson.

Example:
    model = load_text2image("runs/int_cls")
    summary = draw(model, ["a thick red seven on a blue background"], "out/sevens", num_per_caption=8)
    summary["unknown_words"], summary["captions"][0]["read"]
"""
import pathlib

import keras
import numpy as np
import tensorflow as tf

from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.export.text2image import unknown_words
from tfopt.images import from_tanh, save_grid

__all__ = ["read_captions", "load_text2image", "draw"]



def read_captions(captions=None, captions_file=None):
    """The sentences of ``captions`` (';'-separated) or of ``captions_file`` (one per line).

    Raises:
        InputError: neither or both given, a missing file, or an empty caption.
    """
    if (captions is None) == (captions_file is None):
        raise InputError("expected one of --captions or --captions_file; received: "
                         f"{'both' if captions is not None else 'neither'}")
    if captions_file is not None:
        path = pathlib.Path(captions_file)
        if not path.is_file():
            raise InputError(f"expected a caption file; received: {str(path)!r} (not found)")
        parts = path.read_text(encoding="utf-8").splitlines()
        while parts and not parts[-1].strip():
            parts.pop()  # a trailing newline is not an empty caption
    else:
        parts = str(captions).split(";")
    for k, part in enumerate(parts):
        if not part.strip():
            raise InputError(f"expected non-empty captions; received: caption {k + 1} of {len(parts)} is empty")
    return [p.strip() for p in parts]


def load_text2image(path):
    """The served model of a run directory (its ``text2image.keras``) or of a ``.keras`` file, safe_mode on.

    Raises:
        InputError: no such file, or a model that does not take ``captions`` and ``z``.
    """
    import tfopt.layers  # noqa: F401  (registers tfopt's layers for safe_mode loading)
    import tfopt.text2image.encoders  # noqa: F401
    from tfopt.text2image.train import MODEL_FILE

    path = pathlib.Path(path)
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.is_file():
        raise InputError(f"expected a text-to-image run directory with {MODEL_FILE} or a .keras file; received: "
                         f"{str(path)!r} (not found)")
    model = keras.saving.load_model(file, safe_mode=True)
    names = sorted(t.name for t in model.inputs)
    if names != ["captions", "z"]:
        raise InputError(f"expected a text-to-image model with inputs captions and z; received: {str(file)!r} "
                         f"with inputs {', '.join(names)}")
    return model


def draw(model, captions, outdir, *, num_per_caption=8, seed=0, scale=3, read=True):
    """Draws ``num_per_caption`` images per caption into ``outdir``; returns (and writes) the summary.

    Writes samples.png (a row per caption), images.npz and summary.json. With ``read``
    and a 3-channel model, each image is judged by the captioned digits' readers.
    """
    repeated = np.repeat(np.asarray(captions, dtype=object), num_per_caption)
    latent = int(model.inputs[[t.name for t in model.inputs].index("z")].shape[-1])
    z = np.random.default_rng(seed).standard_normal((num_per_caption, latent)).astype(np.float32)
    z = np.tile(z, (len(captions), 1))  # the same noise in every row: what the sentence changes
    raw = model({"captions": tf.constant([str(c) for c in repeated]), "z": tf.constant(z)}, training=False)
    images = from_tanh(keras.ops.convert_to_numpy(raw))
    unknown = unknown_words(model, captions)
    per_caption = [{"caption": c} for c in captions]
    labels = None
    if read and images.shape[-1] == 3:
        from tfopt.data.captioned_digits import COLOUR_NAMES, THICKNESSES
        from tfopt.text2image.readers import read_attributes

        seen = read_attributes(images, value_range=(0.0, 1.0))
        names = {"digit": [str(d) for d in range(10)], "stroke": COLOUR_NAMES, "background": COLOUR_NAMES,
                 "thickness": THICKNESSES}
        labels = [f"{seen['digit'][i]} {COLOUR_NAMES[seen['stroke'][i]]}/{COLOUR_NAMES[seen['background'][i]]}"
                  for i in range(len(images))]
        for k, entry in enumerate(per_caption):
            rows = slice(k * num_per_caption, (k + 1) * num_per_caption)
            entry["read"] = {a: [names[a][int(v)] for v in seen[a][rows]] for a in names}
    with files.atomic_path(pathlib.Path(outdir) / "images.npz") as tmp:
        np.savez_compressed(tmp, images=images, z=z, captions=np.asarray(repeated, dtype=str))
    save_grid(pathlib.Path(outdir) / "samples.png", images, labels=labels, ncols=num_per_caption, scale=scale)
    summary = {"captions": per_caption, "num_per_caption": num_per_caption, "seed": seed,
               "unknown_words": unknown, "image_shape": list(images.shape[1:]),
               "files": ["samples.png", "images.npz"]}
    files.write_summary(outdir, summary)
    return summary
