"""The run directory of a resumable trainer: config.json beside the checkpoints, and the resume rule.

A trainer writes in place in its output directory. Started again on the same directory
with the same configuration it resumes from the latest checkpoint; a directory holding a
*different* configuration is refused in one line (exit status 2 in a binary) unless
``overwrite``, which starts afresh.

Example:
    resuming = prepare_run_dir(out, config.identity(), overwrite=overwrite)
    write_config(out, config)
"""
import json
import pathlib
import shutil

from tfopt import distribute
from tfopt.core import files
from tfopt.core.errors import InputError

__all__ = ["CONFIG_FILE", "read_config", "write_config", "prepare_run_dir", "start_run_dir"]

CONFIG_FILE = "config.json"


def write_config(run_dir, config):
    """Writes ``config`` (a dict or dataclass) to ``run_dir/config.json`` atomically.

    Args:
        run_dir: the run directory (created if missing).
        config: a dataclass or a JSON-able dict.

    Returns:
        The path written.
    """
    run_dir = pathlib.Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return files.write_json(run_dir / CONFIG_FILE, config)


def read_config(run_dir):
    """Reads ``run_dir/config.json``; returns a dict, or None when there is none.

    Args:
        run_dir: the run directory.

    Returns:
        dict or None.

    Raises:
        InputError: the file exists but is not a JSON object.
    """
    path = pathlib.Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        config = json.loads(path.read_text())
    except ValueError as err:
        raise InputError(f"expected JSON in {str(path)!r}; received: unreadable ({err})") from None
    if not isinstance(config, dict):
        raise InputError(f"expected a JSON object in {str(path)!r}; received: {type(config).__name__}")
    return config


def _plain(values):
    return json.loads(json.dumps(files.to_jsonable(values)))


def prepare_run_dir(output_dir, identity, *, overwrite=False, saved_identity=None):
    """Checks a run directory against a configuration; says whether to resume.

    Args:
        output_dir: the run directory.
        identity: a flat dict of the settings that must match to resume (not the step count,
            nor how often to log or checkpoint).
        overwrite: start afresh whatever the directory holds (the caller deletes it: under
            multi-worker training, only the chief does).
        saved_identity: maps the saved config.json dict to a comparable identity
            (None: the fields of ``identity`` read from it).

    Returns:
        True when the directory holds the same configuration (resume), False for a new run.

    Raises:
        InputError: ``output_dir`` is a file, or a non-empty directory without config.json,
            or one holding a different configuration (the message names the differences).
    """
    output_dir = pathlib.Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError(f"expected an output directory; received: {str(output_dir)!r} (an existing file)")
    if not output_dir.is_dir() or not any(output_dir.iterdir()) or overwrite:
        return False
    saved = read_config(output_dir)
    if saved is None:
        raise InputError(f"expected a new, empty or resumable run directory (or --overwrite); received: "
                         f"{str(output_dir)!r} (not empty, no {CONFIG_FILE})")
    mine = _plain(identity)
    theirs = _plain(saved_identity(saved) if saved_identity else {k: saved.get(k) for k in mine})
    if theirs != mine:
        diff = ", ".join(f"{k}={theirs.get(k)!r}->{mine[k]!r}" for k in mine if theirs.get(k) != mine[k])
        raise InputError(f"expected the same config to resume (or --overwrite); received: {str(output_dir)!r} "
                         f"holds a different run ({diff})")
    return True


def start_run_dir(output_dir, config, *, strategy=None, overwrite=False):
    """Creates the run directory: emptied first when ``overwrite``; config.json written (chief only).

    Args:
        output_dir: the run directory (``pathlib.Path``).
        config: a dataclass or a JSON-able dict.
        strategy: the ``tf.distribute.Strategy`` (only its chief writes; None: the default one).
        overwrite: discard what the directory holds.
    """
    chief = distribute.is_chief(strategy) if strategy is not None else True
    if overwrite and output_dir.is_dir() and chief:
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if chief:
        write_config(output_dir, config)
