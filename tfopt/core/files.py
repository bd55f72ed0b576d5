"""Files that are never half-written: atomic paths, JSON conversion, summary.json.

Every write here is atomic: the bytes go to a temporary file in the destination's
directory, which is then renamed over the destination with ``os.replace``. A crash
never leaves a half-written file under the final name.

Example:
    write_summary(outdir, {"test_accuracy": np.float32(0.985), "weights": pathlib.Path("m.keras")})
    with atomic_path(outdir / "images.npz") as tmp:
        np.savez(tmp, images=images)
"""
import contextlib
import dataclasses
import datetime
import enum
import json
import math
import os
import pathlib
import tempfile

import numpy as np

__all__ = ["atomic_path", "locked", "to_jsonable", "write_json", "write_summary", "cache_dir"]


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside ``path``; on success renames it to ``path``.

    On any exception the temporary file is removed and the exception propagates, so
    ``path`` is either untouched or complete.

    Args:
        path: the final destination (its directory must exist).

    Yields:
        A ``pathlib.Path`` to write to (same directory and suffix as ``path``).
    """
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = pathlib.Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def to_jsonable(obj):
    """Converts ``obj`` to plain JSON types (dict, list, str, int, float, bool, None).

    Handles numpy scalars and arrays, TensorFlow/Keras tensors and variables (anything
    with ``.numpy()``), ``pathlib`` paths, dataclasses, enums, sets, bytes and dates.
    Non-finite floats (nan, inf) become ``None`` so the file stays valid JSON.

    Args:
        obj: the value to convert.

    Returns:
        An equivalent value made only of JSON types.

    Raises:
        TypeError: for a value of no known conversion (names its type).
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(to_jsonable(k)) if not isinstance(k, str) else k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((to_jsonable(v) for v in obj), key=repr)
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", errors="replace")
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    if callable(getattr(obj, "numpy", None)):  # tf.Tensor, tf.Variable, keras.Variable
        return to_jsonable(np.asarray(obj.numpy()))
    raise TypeError(f"expected a JSON-convertible value; received: {type(obj).__module__}.{type(obj).__name__}")


def write_json(path, obj):
    """Writes ``to_jsonable(obj)`` as indented JSON to ``path``, atomically.

    Args:
        path: destination file; parent directories are created.
        obj: anything :func:`to_jsonable` accepts.

    Returns:
        The path written, as a ``pathlib.Path``.
    """
    path = pathlib.Path(path)
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_summary(outdir, obj):
    """Writes ``outdir/summary.json`` (the numbers a person would ask for).

    Args:
        outdir: the run's output directory.
        obj: a dict (or dataclass) of results.

    Returns:
        The path of summary.json.
    """
    return write_json(pathlib.Path(outdir) / "summary.json", obj)


@contextlib.contextmanager
def locked(path):
    """Holds an exclusive lock on the file ``path`` for the block (waiting for it first).

    For what is built on first use and cached: two processes that would build the same
    thing at once (two test workers, two runs started together) take turns, and the second,
    once it holds the lock, finds the file the first wrote instead of building it again.
    The writes stay atomic (:func:`atomic_path`), so a reader that takes no lock never sees
    half a file either. The lock file (and its directory) is created if missing and left
    in place (removing it would let a third process lock a different file). An advisory
    ``fcntl.flock`` lock: where there is no fcntl (Windows) the block just runs unlocked.

    Args:
        path: the lock file, e.g. ``<cache>/.digits_cnn.lock``.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover (not POSIX)
        yield
        return
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def cache_dir(override=None):
    """The tfopt cache directory: ``override`` if given, else $TFOPT_CACHE, else ~/.cache/tfopt.

    Trained models (the digits CNN, the pix2pix segmenter), converted weights and the
    offline paired sets live there.
    """
    if override:
        return os.fspath(override)
    return os.environ.get("TFOPT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "tfopt")
