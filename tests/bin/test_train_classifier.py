"""bin/train_classifier.py: a one-epoch smoke run and bad input (exit 2, one line, nothing written)."""
import json


def test_one_epoch_writes_model_summary_and_pngs(tmp_path, run_binary):
    out = tmp_path / "run"
    done = run_binary("train_classifier", f"--output={out}", "--epochs=1", "--quiet", "--seed=1")
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("model.keras", "summary.json", "confusion.png", "predictions.png"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs"] == 1 and summary["seed"] == 1 and summary["dataset"] == "digits"
    assert 0.0 < summary["test_accuracy"] <= 1.0 and summary["num_params"] > 0
    assert sum(map(sum, summary["confusion"])) == summary["test_examples"] == 450
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, run_binary):
    out = tmp_path / "run"
    done = run_binary("train_classifier", f"--output={out}", "--epochs=-1")
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "expected epochs > 0" in lines[0] and "-1" in lines[0], done.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("run")]
