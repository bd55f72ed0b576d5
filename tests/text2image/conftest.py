"""Fixtures of the text-to-image binaries' tests: a per-module cache and a way to run a binary with it."""
import pytest

import binaries  # tests/binaries.py


@pytest.fixture(scope="module")
def t2i_cache(tmp_path_factory, digits_cache, seed_cache):
    """One cache for the module: the DAMSM encoders are trained once and shared by every run there; it starts with
    the session's trained digits CNN (the attribute readers' digit judge), which would otherwise be trained again."""
    return seed_cache(tmp_path_factory.mktemp("t2i_cache"), digits_cache, "digits_cnn")


@pytest.fixture(scope="module")
def env(t2i_cache):
    """The environment of a module's runs (tests/binaries.py's, with the module's cache)."""
    return binaries.environment(t2i_cache)


@pytest.fixture(scope="module")
def run_bin(t2i_cache):
    """``run_bin(binary, *args, timeout=600)``: runs ``bin/<binary>`` with the module's cache; the finished
    process."""

    def run(binary, *args, timeout=600):
        return binaries.run(binaries.command(binary, *args), cache=t2i_cache, timeout=timeout)

    return run
