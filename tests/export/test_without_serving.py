"""Export without the `serving` extra: the warm-up file is skipped with one line, everything else works.

tensorflow-serving-api is hidden by putting None in ``sys.modules`` (in-process with
monkeypatch, in a fresh process before bin/export.py runs), which makes its import
raise ImportError exactly as when the package is not installed.
"""
import json
import sys

import numpy as np
import pytest

from tfopt import export
from tfopt.core.errors import InputError
from tfopt.export import saved_model as sm

FAST = ["--num_samples=4", "--timing_runs=2", "--quiet"]
# Runs bin/export.py as __main__ with tensorflow_serving unimportable; argv follows.
BLOCKED_RUNNER = ("import runpy, sys; sys.modules['tensorflow_serving'] = None; "
                  "sys.argv = ['bin/export.py', *sys.argv[1:]]; runpy.run_path('bin/export.py', run_name='__main__')")


def _warmup_lines(stderr):
    return [line for line in stderr.splitlines() if "warm-up" in line]


@pytest.fixture()
def no_serving(monkeypatch):
    for name in [n for n in sys.modules if n.startswith("tensorflow_serving.")] + ["tensorflow_serving"]:
        monkeypatch.setitem(sys.modules, name, None)
    assert sm.warmup_unavailable() is not None


def test_export_saved_model_skips_the_warmup_file_with_one_line(no_serving, generator, tmp_path, capsys):
    directory = tmp_path / "gen" / "1"
    sm.export_saved_model(generator, export.describe_model(generator), directory, model_name="gen")
    lines = _warmup_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "pip install -e '.[serving]'" in lines[0] and "tensorflow-serving-api" in lines[0]
    assert not (directory / sm.WARMUP_FILE).exists()
    assert json.loads((directory / sm.METADATA_FILE).read_text())["warmup_requests"] is None
    z = np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32)
    got = sm.load_saved_model(directory)["serving_default"](z=z)["images"]
    np.testing.assert_allclose(got, (generator(z, training=False).numpy() + 1) / 2, atol=1e-5)
    with pytest.raises(InputError) as err:  # asked for explicitly, it is an error
        sm.write_warmup(directory, export.describe_model(generator))
    assert "\n" not in str(err.value) and str(err.value).startswith("expected tensorflow-serving-api")


def test_bin_export_without_tensorflow_serving(generator, run, python, tmp_path):
    gen_file = tmp_path / "tiny_gen.keras"
    generator.save(gen_file)
    out = tmp_path / "served"
    result = run([python, "-c", BLOCKED_RUNNER, f"--model={gen_file}", f"--output={out}",
                  "--formats=saved_model,tflite_fp32", *FAST])
    assert result.returncode == 0, result.stderr[-3000:]
    lines = _warmup_lines(result.stderr)
    assert len(lines) == 1, result.stderr[-3000:]
    assert "skipped" in lines[0] and "pip install -e '.[serving]'" in lines[0]
    version = out / "tiny_gen" / "1"
    assert (version / "saved_model.pb").is_file() and (version / "tflite" / "model_fp32.tflite").is_file()
    assert not (version / sm.WARMUP_FILE).exists()
    summary = json.loads((version / "summary.json").read_text())
    assert summary["warmup_requests"]["written"] is False and summary["warmup_requests"]["path"] is None
    assert "tensorflow-serving-api" in summary["warmup_requests"]["skipped_because"]
    assert summary["formats"]["saved_model"]["max_abs_diff"] <= 1e-5
    z = np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32)
    got = sm.load_saved_model(version)["serving_default"](z=z)["images"]
    np.testing.assert_allclose(got, (generator(z, training=False).numpy() + 1) / 2, atol=1e-5)


def test_summary_says_the_warmup_file_was_written_or_not_requested(generator, tmp_path):
    pytest.importorskip("tensorflow_serving.apis.prediction_log_pb2")
    written = export.export_model(generator, tmp_path / "a", formats=["saved_model"], num_samples=2,
                                  timing_runs=1, quiet=True)
    assert written["warmup_requests"] == {"written": True, "path": sm.WARMUP_FILE, "skipped_because": None}
    assert (tmp_path / "a" / sm.WARMUP_FILE).is_file()
    off = export.export_model(generator, tmp_path / "b", formats=["saved_model"], num_samples=2, timing_runs=1,
                              warmup=False, quiet=True)
    assert off["warmup_requests"] == {"written": False, "path": None, "skipped_because": "not requested"}
    assert not (tmp_path / "b" / sm.WARMUP_FILE).exists()
