"""tfopt.cli defers TensorFlow: bad flags are refused before it loads, and its first import (from anywhere) is
quiet. A fake ``tensorflow`` package that fails on import proves a refusal never reached it."""
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

# Each: a binary and flags it refuses in main before importing what needs TensorFlow.
REFUSED_EARLY = [
    ("attack", ["--eps=2"], "expected 0.0 <= eps <= 1.0"),
    ("robustness", ["--num_images=0"], "expected num_images > 0"),
    ("visualize", ["--steps=-1"], "expected steps > 0"),
    ("dream", ["--octaves=0"], "expected octaves > 0"),
    ("style", ["--steps=0"], "expected steps > 0"),
    ("train_stylenet", ["--batch_size=0"], "expected batch_size > 0"),
    ("text2image", ["--checkpoint=run", "--captions=a red seven", "--scale=0"], "expected scale > 0"),
    ("train_classifier", ["--epochs=0"], "expected epochs > 0"),
    ("tour", ["--workers=0"], "expected workers > 0"),
    ("generate", ["--checkpoint=run", "--num=0"], "expected num > 0"),
    ("train_pix2pix", ["--image_size=3"], "expected image_size a power of two >= 8"),
    ("train_pix2pix", ["--upsample=bilinear"], "expected --upsample to be one of"),
    ("train_gan", ["--loss=foo"], "expected loss to be one of minimax"),
    ("train_gan", ["--augment=color"], "expected augment names in translation, cutout"),
    ("train_gan", ["--model=progressive", "--resolution=12"], "expected resolution to be a power of two >= 4"),
]


def _run(args, tmp_path, fake_tf=None, *, default_logging=False):
    """``python *args`` with the repository (after ``fake_tf``, if given) on the path; ``default_logging`` drops
    the TensorFlow logging settings the test run sets, as a user's shell would not have them."""
    path = os.pathsep.join(filter(None, [str(fake_tf) if fake_tf else None, str(REPO)]))
    dropped = ("TF_CPP_MIN_LOG_LEVEL", "TFOPT_VERBOSE_TF") if default_logging else ()
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**env, "PYTHONPATH": path})


@pytest.fixture
def fake_tf(tmp_path):
    """A directory holding a ``tensorflow`` package whose import fails loudly."""
    pkg = tmp_path / "fake" / "tensorflow"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('TENSORFLOW WAS IMPORTED')\n")
    return pkg.parent


@pytest.mark.parametrize("name,args,message", REFUSED_EARLY, ids=[f"{r[0]}:{r[1][-1]}" for r in REFUSED_EARLY])
def test_bad_flags_are_refused_before_tensorflow_loads(name, args, message, tmp_path, fake_tf):
    done = _run([str(REPO / "bin" / f"{name}.py"), f"--output={tmp_path / 'out'}", *args], tmp_path, fake_tf)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert "TENSORFLOW WAS IMPORTED" not in done.stderr and not (tmp_path / "out").exists()


def test_the_fake_tensorflow_does_fail_an_import_that_reaches_it(tmp_path, fake_tf):
    """The check above is not vacuous: a binary that gets past its flag checks does import it, and fails."""
    done = _run([str(REPO / "bin" / "attack.py"), f"--output={tmp_path / 'out'}", "--eps=0.1"], tmp_path, fake_tf)
    assert done.returncode != 0 and "TENSORFLOW WAS IMPORTED" in done.stderr


_FIRST_IMPORT = """
import sys
from tfopt import cli
assert "tensorflow" not in sys.modules, "tfopt.cli imported TensorFlow"
import keras                                   # imports TensorFlow: through cli's hook, quietly
import tensorflow as tf
assert type(tf.__loader__).__name__ == "SourceFileLoader", tf.__loader__   # its own loader kept
assert tf.__spec__.loader is tf.__loader__
print(float(tf.reduce_sum(tf.ones([3]))), keras.__name__)
"""


def test_first_import_of_tensorflow_from_anywhere_is_quiet(tmp_path):
    done = _run(["-c", _FIRST_IMPORT], tmp_path, default_logging=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["3.0", "keras"]
    assert done.stderr == "", done.stderr[-3000:]


def test_without_the_hook_the_same_import_is_noisy(tmp_path):
    """What the hook removes: TensorFlow's C++ start-up lines on stderr (so the test above can fail)."""
    done = _run(["-c", "import keras"], tmp_path, default_logging=True)
    assert done.returncode == 0 and done.stderr.strip(), done.stderr[-3000:]
