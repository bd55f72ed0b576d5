"""Tests for tfopt.cli: validators, output_dir, flag errors, and a bin-like script's exit status."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
from absl import flags

from tfopt import cli
from tfopt.core.errors import InputError

REPO = pathlib.Path(__file__).resolve().parents[2]

# A binary in the shape bin/ files have: flags -> checks -> one library call in output_dir.
_SCRIPT = textwrap.dedent(
    """
    from absl import flags
    from tfopt import cli
    from tfopt.core import files

    flags.DEFINE_integer("steps", 3, "Steps.")
    flags.DEFINE_string("input", None, "An input file.")
    cli.define_common_flags()
    cli.define_common_flags()  # a second call is a no-op
    FLAGS = flags.FLAGS


    def main(argv):
        cli.check_positive("steps", FLAGS.steps)
        if FLAGS.input:
            open(FLAGS.input).close()
        with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
            files.write_summary(outdir, {"steps": FLAGS.steps, "seed": FLAGS.seed})


    if __name__ == "__main__":
        cli.run(main)
    """
)


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("bin") / "tiny_bin.py"
    path.write_text(_SCRIPT)
    return path


def _run(script, *args):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_bad_flag_value_exits_2_with_one_line_and_writes_nothing(script, tmp_path):
    out = tmp_path / "out"
    proc = _run(script, f"--output={out}", "--steps=abc")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0] == "tiny_bin.py: error: expected --steps to be an integer; received: --steps=abc"
    assert os.listdir(tmp_path) == []


def test_good_run_writes_summary_then_refuses_to_overwrite(script, tmp_path):
    out = tmp_path / "out"
    proc = _run(script, f"--output={out}", "--steps=5", "--seed=1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert '"steps": 5' in (out / "summary.json").read_text()
    again = _run(script, f"--output={out}", "--steps=6")
    assert again.returncode == 2
    assert again.stderr.startswith("tiny_bin.py: error: expected a new or empty output directory")
    assert len(again.stderr.splitlines()) == 1, again.stderr
    assert '"steps": 5' in (out / "summary.json").read_text()
    assert sorted(os.listdir(tmp_path)) == ["out"]


def _exit_line(capsys, call):
    with pytest.raises(SystemExit) as info:
        call()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["prog", "--steps=-3"], "expected --steps to be a positive integer; received: --steps=-3"),
        (["prog", "--steps=3.5"], "expected --steps to be an integer; received: --steps=3.5"),
        (["prog", "--stpes=3"], "expected a known flag (did you mean --"),
        (["prog", "--zzz=3"], "expected a known flag (see --helpfull); received: --zzz"),
        (["prog"], "expected --output=VALUE; received: no --output flag"),  # required flag
    ],
)
def test_flag_errors_become_one_line(capsys, argv, expected):
    values = flags.FlagValues()
    flags.DEFINE_integer("steps", 1, "Steps.", lower_bound=1, flag_values=values)
    flags.DEFINE_integer("stops", 1, "Similar name, so absl adds a suggestion line.", flag_values=values)
    flags.DEFINE_string("output", None, "Out.", flag_values=values)
    flags.mark_flag_as_required("output", flag_values=values)
    if argv != ["prog"]:
        argv = [*argv, "--output=x"]
    err = _exit_line(capsys, lambda: cli._parse_flags(argv, values))
    assert expected in err and err.startswith(f"{os.path.basename(sys.argv[0])}: error: ")


@pytest.mark.parametrize(
    "raised, argv, expected",
    [
        (InputError("expected steps > 0; received: steps=-3"), ["prog"], "expected steps > 0; received: steps=-3"),
        (FileNotFoundError(2, "No such file or directory", "/no/file.png"), ["prog"], "'/no/file.png' (no such file)"),
        (None, ["prog", "stray"], "unexpected argument(s) 'stray'"),
    ],
)
def test_guarded_main_turns_bad_input_into_one_line(capsys, raised, argv, expected):
    def main(argv):
        if raised is not None:
            raise raised

    err = _exit_line(capsys, lambda: cli._guard(main)(argv))
    assert expected in err


def test_guarded_main_keeps_bugs_as_exceptions():
    def main(argv):
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        cli._guard(main)(["prog"])
    assert cli._guard(lambda argv: 0)(["prog"]) == 0


def test_output_dir_moves_into_place_on_success(tmp_path):
    target = tmp_path / "run"
    with cli.output_dir(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith("run.tmp-")
        assert not target.exists()
        (tmp / "a.txt").write_text("a")
    assert (target / "a.txt").read_text() == "a"
    assert os.listdir(tmp_path) == ["run"]


def test_output_dir_accepts_existing_empty_dir(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    with cli.output_dir(target) as tmp:
        (tmp / "b.txt").write_text("b")
    assert os.listdir(target) == ["b.txt"]


def test_output_dir_refuses_non_empty_dir(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(InputError, match="exists and is not empty") as info:
        with cli.output_dir(target):
            pytest.fail("the block must not run")
    assert "\n" not in str(info.value)
    assert os.listdir(target) == ["old.txt"]
    assert os.listdir(tmp_path) == ["run"]


def test_output_dir_refuses_a_file(tmp_path):
    target = tmp_path / "run"
    target.write_text("x")
    with pytest.raises(InputError, match="an existing file"):
        with cli.output_dir(target, overwrite=True):
            pass


def test_output_dir_overwrite_replaces_old_contents(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with cli.output_dir(target, overwrite=True) as tmp:
        assert (target / "old.txt").exists()  # the old run stays until success
        (tmp / "new.txt").write_text("new")
    assert os.listdir(target) == ["new.txt"]
    assert os.listdir(tmp_path) == ["run"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_output_dir_leaves_nothing_on_exception(tmp_path, overwrite):
    target = tmp_path / "run"
    if overwrite:
        target.mkdir()
        (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with cli.output_dir(target, overwrite=overwrite) as tmp:
            (tmp / "partial.txt").write_text("partial")
            raise RuntimeError("boom")
    if overwrite:
        assert os.listdir(target) == ["old.txt"]
        assert os.listdir(tmp_path) == ["run"]
    else:
        assert os.listdir(tmp_path) == []


def test_validators_return_good_values():
    assert cli.check_positive("steps", 3) == 3
    assert cli.check_nonnegative("eps", 0.0) == 0.0
    assert cli.check_in_range("p", 1.0, 0.0, 1.0) == 1.0
    assert cli.check_choice("model", "vgg19", ["vgg16", "vgg19"]) == "vgg19"


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: cli.check_positive("steps", 0), "expected steps > 0; received: steps=0"),
        (lambda: cli.check_positive("steps", float("nan")), "received: steps=nan"),
        (lambda: cli.check_positive("steps", "3"), "expected steps to be a number; received: steps='3'"),
        (lambda: cli.check_positive("steps", True), "to be a number"),
        (lambda: cli.check_nonnegative("eps", -0.1), "expected eps >= 0; received: eps=-0.1"),
        (lambda: cli.check_in_range("p", 1.5, 0, 1), "expected 0 <= p <= 1; received: p=1.5"),
        (lambda: cli.check_choice("model", "vgg", ["vgg16", "vgg19"]), "one of vgg16, vgg19; received: model='vgg'"),
    ],
)
def test_validators_raise_one_line_input_error(call, expected):
    with pytest.raises(InputError) as info:
        call()
    assert expected in str(info.value)
    assert "\n" not in str(info.value)
