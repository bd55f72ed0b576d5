"""bin/export.py end to end: TF Serving layout, summary numbers, overwrite refusal, bad input."""
import json

import numpy as np
import pytest
from PIL import Image

from tfopt import export
from tfopt.core.errors import InputError

FAST = ["--num_samples=4", "--timing_runs=2", "--representative_count=16", "--quiet"]


@pytest.fixture(scope="module")
def gen_file(tmp_path_factory, generator):
    path = tmp_path_factory.mktemp("models") / "tiny_gen.keras"
    generator.save(path)
    return path


@pytest.fixture(scope="module")
def first_export(tmp_path_factory, gen_file, run, python):
    out = tmp_path_factory.mktemp("served")
    result = run([python, "bin/export.py", f"--model={gen_file}", f"--output={out}", "--version=3", *FAST])
    return out, result


def test_writes_the_serving_layout_and_summary(first_export):
    out, result = first_export
    assert result.returncode == 0, result.stderr[-3000:]
    version = out / "tiny_gen" / "3"
    assert sorted(p.name for p in out.iterdir()) == ["tiny_gen"]
    assert sorted(p.name for p in (out / "tiny_gen").iterdir()) == ["3"]  # no temp directories left
    for name in ("saved_model.pb", "variables", "summary.json", "comparison.png", "tflite/model_fp32.tflite",
                 "tflite/model_int8.tflite"):
        assert (version / name).exists(), name
    summary = json.loads((version / "summary.json").read_text())
    serving = export.warmup_unavailable() is None  # the `serving` extra (else see test_without_serving.py)
    assert (version / "assets.extra/tf_serving_warmup_requests").exists() == serving
    assert summary["warmup_requests"]["written"] == serving
    formats = summary["formats"]
    assert sorted(formats) == sorted(export.FORMATS)
    for name, row in formats.items():
        path = version / row["path"]
        assert path.exists()
        if path.is_file():
            assert row["size_bytes"] == path.stat().st_size
        assert row["mean_latency_ms"] > 0
    assert formats["saved_model"]["max_abs_diff"] <= 1e-5
    assert formats["tflite_fp32"]["max_abs_diff"] <= 1e-4
    assert formats["tflite_fp16"]["max_abs_diff"] <= 1e-2
    assert formats["tflite_int8"]["psnr_db"] >= 25.0
    assert summary["spec"]["latent_dim"] == 8 and summary["comparison"]["num_samples"] == 4
    grid = Image.open(version / "comparison.png")
    assert grid.size[0] >= 4 * 96 and grid.size[1] >= 6 * 96  # 4 samples x (keras + 5 formats), 96-px tiles
    assert len(np.unique(np.asarray(grid))) > 50


def test_refuses_an_existing_version_then_overwrites(first_export, gen_file, run, python):
    out, _ = first_export
    version = out / "tiny_gen" / "3"
    before = (version / "summary.json").read_bytes()
    refused = run([python, "bin/export.py", f"--model={gen_file}", f"--output={out}", "--version=3", *FAST])
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "--overwrite" in refused.stderr
    assert (version / "summary.json").read_bytes() == before
    replaced = run([python, "bin/export.py", f"--model={gen_file}", f"--output={out}", "--version=3",
                    "--formats=saved_model", "--overwrite", *FAST])
    assert replaced.returncode == 0, replaced.stderr[-3000:]
    assert sorted(p.name for p in (out / "tiny_gen").iterdir()) == ["3"]
    assert not (version / "tflite").exists()
    assert list(json.loads((version / "summary.json").read_text())["formats"]) == ["saved_model"]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(gen_file, run, python, tmp_path):
    result = run([python, "bin/export.py", f"--output={tmp_path / 'out'}", f"--model={gen_file}",
                  "--formats=saved_model,onnx"])
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "expected formats to be one of saved_model" in result.stderr and "received: formats='onnx'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_load_for_export_refuses_bad_sources(tmp_path, gen_file):
    with pytest.raises(InputError, match="expected an existing .keras model file"):
        export.load_for_export(model=str(tmp_path / "missing.keras"))
    with pytest.raises(InputError, match="expected exactly one of checkpoint"):
        export.load_for_export(model=str(gen_file), checkpoint=str(tmp_path))
    with pytest.raises(InputError, match="no such path"):
        export.load_for_export(checkpoint=str(tmp_path / "no_run"))
    model, config = export.load_for_export(model=str(gen_file))
    assert config == {} and model.inputs[0].shape == (None, 8)


def test_export_model_on_an_image_network(style_net, photos32, tmp_path):
    summary = export.export_model(style_net, tmp_path / "style" / "1", formats=["tflite_fp32", "tflite_fp16"],
                                  images=photos32, timing_runs=1, warmup=False, quiet=True)
    assert sorted(summary["formats"]) == ["tflite_fp16", "tflite_fp32"]
    assert not (tmp_path / "style" / "1" / "saved_model.pb").exists()  # a scratch SavedModel only
    assert summary["formats"]["tflite_fp32"]["max_abs_diff"] <= 1e-4
    assert summary["spec"]["kind"] == "image"
