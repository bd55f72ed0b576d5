"""Text-to-image export in fresh processes: a REST body of raw sentences, bin/export.py end to end, bad input."""
import importlib.util
import json
import pathlib

import numpy as np
import pytest

from tfopt import export

FAST = ["--num_samples=4", "--timing_runs=2", "--representative_count=16"]
# A fresh process: loads the SavedModel, answers request.json with LocalServer, writes response.json.
ANSWER = ("import json, sys; from tfopt.export import LocalServer; "
          "request = json.load(open(sys.argv[2])); "
          "json.dump([LocalServer(sys.argv[1]).predict(body) for body in request], open(sys.argv[3], 'w'))")


def _module():
    """test_text2image.py (the stand-in model and its Keras reference), imported by path."""
    path = pathlib.Path(__file__).with_name("test_text2image.py")
    spec = importlib.util.spec_from_file_location("t2i_export_stand_in", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


T2I = _module()


@pytest.fixture(scope="module")
def model():
    return T2I.stand_in(seed=1)


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("t2i_models") / "tiny_t2i.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def exported(model_file, run, python, tmp_path_factory):
    """bin/export.py on the .keras file: (output dir, CompletedProcess)."""
    out = tmp_path_factory.mktemp("served")
    result = run([python, "bin/export.py", f"--model={model_file}", f"--output={out}", *FAST,
                  "--captions=a thick red seven on blue; a crimson three"])
    return out, result


def test_bin_export_writes_every_format(exported):
    out, result = exported
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert sum("TextVectorization) are not TFLite built-ins" in line for line in lines) == 1
    assert "unknown words (read as [UNK]): crimson" in lines
    version = out / "tiny_t2i" / "1"
    for name in ("saved_model.pb", "variables", "summary.json", "comparison.png", "assets.extra/tfopt_export.json",
                 *(f"tflite/model_{q}.tflite" for q in export.QUANTIZATIONS)):
        assert (version / name).exists(), name
    summary = json.loads((version / "summary.json").read_text())
    assert summary["spec"]["kind"] == "text2image"
    assert sorted(summary["signatures"]) == ["png", "seeded", "serving_default"]
    assert summary["text2image"]["captions"] == ["a thick red seven on blue", "a crimson three"] * 2
    assert summary["text2image"]["unknown_words"] == ["crimson"]
    formats = summary["formats"]
    assert formats["saved_model"]["max_abs_diff"] <= 1e-6
    assert formats["tflite_fp32"]["max_abs_diff"] <= 1e-5
    assert formats["tflite_fp16"]["max_abs_diff"] <= 1e-2
    assert formats["tflite_int8"]["psnr_db"] >= 30.0


def test_fresh_process_answers_raw_sentences(exported, model, run, python, tmp_path):
    out, result = exported
    assert result.returncode == 0, result.stderr[-3000:]
    z = np.random.default_rng(5).standard_normal((2, T2I.LATENT)).astype(np.float32)
    sentences = ["a red seven on blue", "thin green three, on a blue background"]
    bodies = [
        {"instances": [{"captions": c, "z": row.tolist()} for c, row in zip(sentences, z)]},
        {"inputs": {"captions": sentences, "z": z.tolist()}},
        {"signature_name": "seeded", "instances": [{"captions": sentences[0], "seed": 11}]},
    ]
    (tmp_path / "request.json").write_text(json.dumps(bodies))
    answered = run([python, "-c", ANSWER, out / "tiny_t2i" / "1", tmp_path / "request.json",
                    tmp_path / "response.json"])
    assert answered.returncode == 0, answered.stderr[-3000:]
    rows, columns, seeded = json.loads((tmp_path / "response.json").read_text())
    expected = T2I.keras_images(model, sentences, z)
    got = np.array(rows["predictions"], np.float32)
    assert got.shape == (2, 8, 8, 3) and np.abs(got - expected).max() <= 1e-6
    np.testing.assert_array_equal(got, np.array(columns["outputs"], np.float32))
    from_seed = T2I.keras_images(model, sentences[:1], export.seeded_z([11], T2I.LATENT).numpy())
    assert np.abs(np.array(seeded["predictions"], np.float32) - from_seed).max() <= 1e-6


def test_bin_export_refuses_an_empty_caption(model_file, run, python, tmp_path):
    result = run([python, "bin/export.py", f"--model={model_file}", f"--output={tmp_path / 'out'}",
                  "--captions=a red seven;;", *FAST])
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr[-2000:]
    assert "expected non-empty captions separated by ';'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_client_sends_sentences_and_writes_their_images(exported, model, run, python, tmp_path, client):
    out, result = exported
    assert result.returncode == 0, result.stderr[-3000:]
    sentences = ["a red seven on blue", "thin green three, on a blue background"]
    done = run([python, "export/client.py", "--mode=local", f"--model_dir={out / 'tiny_t2i' / '1'}", "--seed=4",
                f"--captions={';'.join(sentences)}", f"--output={tmp_path / 'row.png'}",
                f"--save_request={tmp_path / 'request.json'}"])
    assert done.returncode == 0, done.stderr[-2000:]
    request = json.loads((tmp_path / "request.json").read_text())
    assert [row["captions"] for row in request["instances"]] == sentences  # plain JSON strings, one per sample
    z = client.generator_inputs(T2I.LATENT, seed=4, captions=sentences)["z"]
    from PIL import Image

    with Image.open(tmp_path / "row.png") as png:  # the two images side by side, as the Keras model draws them
        row = np.asarray(png.convert("RGB"))
    expected = np.round(T2I.keras_images(model, sentences, z) * 255.0)
    assert row.shape == (8, 8 + 2 + 8, 3)
    assert np.abs(row[:, :8].astype(float) - expected[0]).max() <= 1.0
    assert np.abs(row[:, 10:].astype(float) - expected[1]).max() <= 1.0
    empty = run([python, "export/client.py", "--mode=local", f"--model_dir={out / 'tiny_t2i' / '1'}",
                 "--captions=a red seven;", f"--output={tmp_path / 'none.png'}"])
    assert empty.returncode == 2 and "non-empty captions" in empty.stderr and not (tmp_path / "none.png").exists()
