"""What the tests of the binaries share: the command of ``bin/<name>.py``, its environment, one run (through
tests/forked.py), and the latest checkpoint step of a run directory.

Example:
    done = binaries.run(binaries.command("train_gan", f"--output={run}", "--steps=2"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert binaries.latest_step(run) == 2
"""
import os
import pathlib
import re
import sys

import forked  # tests/forked.py

ROOT = pathlib.Path(__file__).resolve().parents[1]


def command(name, *args):
    """``[python, ROOT/bin/<name>.py, *args]`` (name with or without ``.py``; args turned into strings)."""
    script = name if name.endswith(".py") else f"{name}.py"
    return [sys.executable, str(ROOT / "bin" / script), *map(str, args)]


def environment(cache=None):
    """The binaries' environment: quiet TensorFlow C++ logs, this checkout first on the path, a private cache, and
    no TF_CONFIG (a program started by a test runs on its own, not as a worker of a cluster the caller was in)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    env.pop("TF_CONFIG", None)
    if cache is not None:
        env["TFOPT_CACHE"] = str(cache)
    return env


def run(args, *, cwd=ROOT, cache=None, timeout=300):
    """Runs ``args`` (a command line) to the end with :func:`environment`; a CompletedProcess with text output."""
    return forked.run(args, capture_output=True, text=True, env=environment(cache), cwd=cwd, timeout=timeout)


def latest_step(run_dir, ckpt="ckpt"):
    """The step of a run's latest checkpoint (``<run_dir>/<ckpt>/checkpoint``), 0 when there is none."""
    index = pathlib.Path(run_dir) / ckpt / "checkpoint"
    found = re.search(r'model_checkpoint_path: "ckpt-(\d+)"', index.read_text()) if index.is_file() else None
    return int(found.group(1)) if found else 0
