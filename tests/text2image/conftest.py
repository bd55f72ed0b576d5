"""Fixtures of the text-to-image binaries' tests: a per-module cache and a way to run a binary with it."""
import os
import sys
from pathlib import Path

import pytest

import forked  # tests/forked.py

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env(tmp_path_factory, digits_cache, seed_cache):
    """The environment of a module's runs. One cache for the module: the DAMSM encoders are trained once and shared
    by every run there; it starts with the session's trained digits CNN (the attribute readers' digit judge), which
    would otherwise be trained again."""
    cache = seed_cache(tmp_path_factory.mktemp("t2i_cache"), digits_cache, "digits_cnn")
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), "TFOPT_CACHE": str(cache)}


@pytest.fixture(scope="module")
def run_bin(env):
    """``run_bin(binary, *args, timeout=600)``: runs ``bin/<binary>`` in ``env``; the finished process."""

    def run(binary, *args, timeout=600):
        return forked.run([sys.executable, str(ROOT / "bin" / binary), *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)

    return run
