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

__all__ = ["GENERATOR_FILE", "CONFIG_FILE", "save_generator", "load_generator", "read_config", "write_config"]

GENERATOR_FILE = "generator.keras"
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


def load_generator(path):
    """Loads a trained generator and its run config.

    Args:
        path: a run directory (containing ``generator.keras``) or a ``.keras`` file;
            ``config.json`` is read from the same directory when present.

    Returns:
        ``(generator, config)``: a ``keras.Model`` mapping ``z [B, latent_dim]`` (and
        any condition inputs) to images in [-1, 1], and the run's config dict, with
        ``latent_dim`` (0 for a generator without ``z``) at its top level.

    Raises:
        InputError: no generator file at ``path``, or it is not a loadable model.
    """
    path = pathlib.Path(path)
    file = path / GENERATOR_FILE if path.is_dir() else path
    if not file.is_file():
        raise InputError(
            f"expected a run directory with {GENERATOR_FILE} or a .keras file; received: {str(path)!r} (not found)"
        )
    try:
        # Registers tfopt's layers before deserializing.
        import tfopt.layers  # noqa: F401

        generator = keras.saving.load_model(file, safe_mode=True, compile=False)
    except (ValueError, OSError, TypeError) as err:
        reason = " ".join(str(err).split())[:150]
        raise InputError(f"expected a saved Keras generator; received: {str(file)!r} ({reason})") from None
    config = read_config(file.parent) or {}
    config["latent_dim"] = latent_dim_of(generator)
    return generator, config
