"""Reading and writing GAN runs: config.json, the generator file, the checkpoint.

A run directory (written by :func:`tfopt.gan.trainer.train`) holds::

    config.json        the GANConfig as JSON
    ckpt/              tf.train.CheckpointManager checkpoints (resume point)
    generator.keras    the latest generator (EMA weights if enabled), replaced atomically
    samples.png, summary.json, losses.png, samples/, logs/ (TensorBoard)

Example:
    generator, config = load_generator("runs/dcgan")       # or ".../generator.keras"
    images = generator(keras.random.normal((16, config["latent_dim"])))     # [16, H, W, C] in [-1, 1]
"""
import pathlib

import keras

from tfopt.core.errors import InputError
from tfopt.core.files import atomic_path
from tfopt.gan.feeds import latent_dim_of
from tfopt.training.rundir import CONFIG_FILE, read_config, write_config

__all__ = ["GENERATOR_FILE", "STAGES_DIR", "CONFIG_FILE", "save_generator", "load_generator", "read_config", "write_config"]

GENERATOR_FILE = "generator.keras"
STAGES_DIR = "stages"
"""Where a progressive run keeps each finished stage's generator, ``generator_<px>px.keras``."""
# CONFIG_FILE, read_config and write_config are the run directory's (tfopt.training.rundir), kept here by name.


def save_generator(generator, path):
    """Saves a generator as a ``.keras`` file atomically (temp name, then rename).

    Args:
        generator: ``keras.Model``.
        path: destination ``.keras`` path.

    Returns:
        The path written (``pathlib.Path``).
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        generator.save(tmp)
    return path


def load_generator(path, *, stage=None):
    """Loads a trained generator and its run config.

    Args:
        path: a run directory (containing ``generator.keras``) or a ``.keras`` file;
            ``config.json`` is read from the same directory when present.
        stage: a progressive run's stage, by its side in px: that stage's generator
            (``stages/generator_<px>px.keras``) instead of the final one.

    Returns:
        ``(generator, config)``: a ``keras.Model`` mapping ``z [B, latent_dim]`` (and
        any condition inputs) to images in [-1, 1], and the run's config dict, with
        ``latent_dim`` (0 for a generator without ``z``) at its top level.

    Raises:
        InputError: no generator file at ``path``, or it is not a loadable model.
    """
    path = pathlib.Path(path)
    file = path / GENERATOR_FILE if path.is_dir() else path
    if stage is not None:
        saved = sorted(p.name for p in (path / STAGES_DIR).glob("generator_*px.keras")) if path.is_dir() else []
        file = path / STAGES_DIR / f"generator_{stage}px.keras"
        if not file.is_file():
            raise InputError(f"expected a progressive run directory with stage {stage} px finished (it has "
                             f"{saved or 'no stages'}); received: {str(path)!r}, stage={stage}")
        config = read_config(path) or {}
        generator = _load(file)
        config["latent_dim"] = latent_dim_of(generator)
        return generator, config
    if not file.is_file():
        raise InputError(
            f"expected a run directory with {GENERATOR_FILE} or a .keras file; received: {str(path)!r} (not found)"
        )
    generator = _load(file)
    config = read_config(file.parent) or {}
    config["latent_dim"] = latent_dim_of(generator)
    return generator, config


def _load(file):
    try:
        # Registers tfopt's layers before deserializing.
        import tfopt.layers  # noqa: F401

        return keras.saving.load_model(file, safe_mode=True, compile=False)
    except (ValueError, OSError, TypeError) as err:
        reason = " ".join(str(err).split())[:150]
        raise InputError(f"expected a saved Keras generator; received: {str(file)!r} ({reason})") from None
