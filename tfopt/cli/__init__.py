"""Support for the absl binaries in bin/: running, flags, output directories, checks.

This package is the one part of tfopt that touches absl flags; library modules never
import it. Flag groups that several binaries share live beside it (:mod:`.style_flags`).
A binary is wiring only::

    from absl import flags
    from tfopt import cli

    flags.DEFINE_integer("steps", 100, "Optimization steps.")
    cli.define_common_flags()          # --output (required), --seed, --quiet, --overwrite
    FLAGS = flags.FLAGS

    def main(argv):
        cli.check_positive("steps", FLAGS.steps)
        cli.set_seed(FLAGS.seed)
        with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
            result = tfopt.something(..., steps=FLAGS.steps, quiet=FLAGS.quiet)
            files.write_summary(outdir, result.summary)

    if __name__ == "__main__":
        cli.run(main)

Bad input (a flag that does not parse, an :class:`~tfopt.core.errors.InputError` or a
missing user file) prints one line ``<binary>: error: <message>`` to stderr and exits
with status 2; :func:`output_dir` guarantees nothing partial is left behind.
"""
import contextlib
import importlib.abc
import importlib.util
import math
import numbers
import os
import pathlib
import re
import shutil
import sys
import tempfile

from absl import app, flags

from tfopt.core.errors import InputError
from tfopt.core.progress import progress
from tfopt.core.seeding import set_seed

__all__ = [
    "EXIT_BAD_INPUT",
    "run",
    "fail",
    "output_dir",
    "check_positive",
    "check_nonnegative",
    "check_in_range",
    "check_choice",
    "set_seed",
    "define_common_flags",
    "progress",
    "import_tensorflow_quietly",
]

EXIT_BAD_INPUT = 2
"""Exit status of a binary given bad input (flags, files, values)."""


@contextlib.contextmanager
def _stderr_silenced():
    """Points file descriptor 2 at /dev/null for the block (C++ writes bypass sys.stderr)."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def import_tensorflow_quietly():
    """Imports TensorFlow with file descriptor 2 silenced, so binaries keep a clean stderr.

    TensorFlow's C++ runtime writes several lines to stderr while loading (oneDNN notes,
    "Could not find cuda drivers", cuInit errors) before any logging setting applies;
    they would bury the one-line error of a binary. This sets ``TF_CPP_MIN_LOG_LEVEL=2``
    unless already set, and imports TensorFlow and lists devices with stderr pointed at
    /dev/null, then restores it. A failing import still raises with its traceback.
    If TensorFlow is already imported or ``TFOPT_VERBOSE_TF`` is set, it is a plain
    ``import tensorflow``.

    Binaries need not call it: importing this module arranges for the first import of
    TensorFlow, by any module (``import keras`` too), to be quiet in this way. Nothing
    imports TensorFlow before that, so a binary that checks its flags before importing
    the modules that need TensorFlow refuses bad flags in a fraction of a second rather
    than after TensorFlow's ~5 s import.

    Returns:
        The ``tensorflow`` module.
    """
    _QuietTensorFlow.install()
    import tensorflow as tf

    return tf


class _QuietLoader(importlib.abc.Loader):
    """Runs TensorFlow's own loader with stderr silenced, and lists devices (the cuInit
    error comes then) before giving stderr back."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # TensorFlow keeps its own loader
        with _stderr_silenced():
            self.loader.exec_module(module)
            module.config.list_physical_devices()


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """A finder that answers only for ``tensorflow``: the usual finders locate it, and its
    loader runs inside :class:`_QuietLoader`. Hand-written because a meta-path finder is
    Python's only hook that runs when a given module is first imported, wherever from."""

    @classmethod
    def install(cls):
        """Puts the finder first, unless TensorFlow is already imported or ``TFOPT_VERBOSE_TF`` is set."""
        if "tensorflow" in sys.modules or os.environ.get("TFOPT_VERBOSE_TF"):
            return
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if not any(isinstance(f, cls) for f in sys.meta_path):
            sys.meta_path.insert(0, cls())

    @classmethod
    def uninstall(cls):
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, cls)]

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        self.uninstall()
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


_QuietTensorFlow.install()


def _binary_name():
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "tfopt"


def _one_line(message):
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return "; ".join(lines) if lines else "bad input"


def fail(message, status=EXIT_BAD_INPUT):
    """Prints ``<binary>: error: <message>`` (one line) to stderr and exits.

    Args:
        message: what was expected and what was received.
        status: exit status, 2 by default.
    """
    sys.stderr.write(f"{_binary_name()}: error: {_one_line(message)}\n")
    sys.stderr.flush()
    sys.exit(status)


_REQUIRED = re.compile(r"Flag --(\w+) must have a value other than None")
_BAD_VALUE = re.compile(r"^flag --([\w-]+)=(.*?): (.*)$", re.S)
_UNKNOWN = re.compile(r"Unknown command line flag '([^']+)'(?:\. Did you mean: (.+?) \?)?")
_MISSING_VALUE = re.compile(r"^Missing value for flag --([\w-]+)")


def _flag_error_message(message):
    """Rewrites an absl flag error into the one-line ``expected ...; received: ...`` form."""
    message = _one_line(message)
    if match := _REQUIRED.search(message):
        return f"expected --{match.group(1)}=VALUE; received: no --{match.group(1)} flag"
    if match := _UNKNOWN.search(message):
        hint = f"did you mean --{match.group(2).split()[0]}?" if match.group(2) else "see --helpfull"
        return f"expected a known flag ({hint}); received: --{match.group(1)}"
    if match := _MISSING_VALUE.search(message):
        return f"expected a value for --{match.group(1)}; received: none"
    if match := _BAD_VALUE.match(message):
        name, value, reason = match.groups()
        if reason.startswith("invalid literal for int()"):
            wanted = "to be an integer"
        elif reason.startswith("could not convert string to float"):
            wanted = "to be a number"
        elif "Non-boolean argument" in reason:
            wanted = "to be true or false"
        elif is_not := re.match(r"^\S+ is not (an? .*)$", reason):
            wanted = f"to be {is_not.group(1)}"
        elif reason.startswith("value should be "):
            wanted = "to be " + reason[len("value should be ") :]
        else:
            wanted = f"to be valid ({reason})"
        return f"expected --{name} {wanted}; received: --{name}={value}"
    return message


def _parse_flags(argv, flag_values=None):
    """absl flags_parser: parses argv, turning any flag error into one line and exit 2."""
    flag_values = flags.FLAGS if flag_values is None else flag_values
    try:
        return flag_values(argv)
    except flags.Error as err:
        fail(_flag_error_message(str(err)))


def _file_not_found_message(err):
    if err.filename is not None:
        return f"expected an existing file; received: {os.fspath(err.filename)!r} (no such file)"
    return f"expected an existing file; received: {err}"


def _guard(main, *, allow_positional=False):
    """Wraps main so bad input (InputError, FileNotFoundError, stray arguments) exits 2 with one line."""

    def guarded(argv):
        if not allow_positional and len(argv) > 1:
            fail(f"expected only --flags; received: unexpected argument(s) {' '.join(argv[1:])!r}")
        try:
            return main(argv)
        except InputError as err:
            fail(str(err))
        except FileNotFoundError as err:
            fail(_file_not_found_message(err))

    return guarded


def run(main, *, argv=None, allow_positional=False):
    """Runs ``main(argv)`` like ``absl.app.run``, turning bad input into one line and exit 2.

    Caught as bad input: absl flag-parse errors (unknown flag, unparsable value,
    missing required flag, failed flag validator), :class:`InputError` and
    ``FileNotFoundError`` raised anywhere in ``main``, and (unless
    ``allow_positional``) stray positional arguments. Each prints
    ``<binary>: error: <message>`` on one stderr line and exits with status 2. Other
    exceptions keep their traceback: they are bugs, not bad input.

    Args:
        main: function taking ``argv`` (program name plus positional arguments).
        argv: command line to parse; ``sys.argv`` by default.
        allow_positional: accept arguments that are not flags.
    """
    app.run(_guard(main, allow_positional=allow_positional), argv=argv, flags_parser=_parse_flags)


@contextlib.contextmanager
def output_dir(path, *, overwrite=False):
    """Gives a fresh temporary directory that becomes ``path`` only when the block succeeds.

    Refuses (``InputError``) when ``path`` exists and is not empty, unless
    ``overwrite``. Yields ``<path>.tmp-<random>`` beside ``path``; on success moves it
    into place (only then removing an old ``path``); on any exception (including
    Ctrl-C) deletes it, so nothing partial is left and an old ``path`` is untouched.

    This is the rule for binaries that finish in one go. Long-running trainers that
    write checkpoints use a different rule: they write and resume in place in
    ``--output`` (a crash keeps the checkpoints), and ``--overwrite`` starts afresh.

    Args:
        path: the final output directory.
        overwrite: replace an existing non-empty ``path``.

    Yields:
        A ``pathlib.Path`` to the temporary directory to write into.

    Raises:
        InputError: ``path`` is a file, or a non-empty directory without ``overwrite``.
    """
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"expected an output directory; received: {str(path)!r} (an existing file)")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise InputError(
            f"expected a new or empty output directory (or --overwrite); received: {str(path)!r} "
            "(exists and is not empty)"
        )
    parent = path.parent if str(path.parent) else pathlib.Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f"{path.name}.tmp-", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if path.is_dir():
        old = pathlib.Path(tempfile.mkdtemp(prefix=f"{path.name}.old-", dir=parent))
        os.replace(path, old / "d")
    try:
        os.replace(tmp, path)
    except BaseException:
        if old is not None:
            os.replace(old / "d", path)
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _check_number(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise InputError(f"expected {name} to be a number; received: {name}={value!r}")


def check_positive(name, value):
    """Checks ``value > 0``; returns it. Raises InputError ``expected steps > 0; received: steps=-3``."""
    _check_number(name, value)
    if not value > 0:
        raise InputError(f"expected {name} > 0; received: {name}={value!r}")
    return value


def check_nonnegative(name, value):
    """Checks ``value >= 0``; returns it. Raises InputError naming the value otherwise."""
    _check_number(name, value)
    if not value >= 0:
        raise InputError(f"expected {name} >= 0; received: {name}={value!r}")
    return value


def check_in_range(name, value, lo, hi):
    """Checks ``lo <= value <= hi`` (inclusive); returns it. Raises InputError otherwise."""
    _check_number(name, value)
    if not lo <= value <= hi:
        raise InputError(f"expected {lo} <= {name} <= {hi}; received: {name}={value!r}")
    return value


def check_choice(name, value, choices):
    """Checks ``value in choices``; returns it. Raises InputError listing the choices otherwise."""
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(str(c) for c in choices)
        raise InputError(f"expected {name} to be one of {listed}; received: {name}={value!r}")
    return value


def define_common_flags(*, output_required=True):
    """Defines ``--output``, ``--seed`` (0), ``--quiet`` (False), ``--overwrite`` (False).

    Call once per binary at import time (a second call is a no-op).

    Args:
        output_required: mark ``--output`` as required.
    """
    if "output" in flags.FLAGS:
        return
    flags.DEFINE_string("output", None, "Output directory (written via a temp dir, then renamed).")
    flags.DEFINE_integer("seed", 0, "Random seed (Python, NumPy, TensorFlow).", lower_bound=0)
    flags.DEFINE_boolean("quiet", False, "No progress bars.")
    flags.DEFINE_boolean("overwrite", False, "Replace an existing non-empty --output directory.")
    if output_required:
        flags.mark_flag_as_required("output")
