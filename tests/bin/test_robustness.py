"""bin/robustness.py: the suite's table, its worst case judged again from the files, and bad input."""
import json

import keras
import numpy as np
import pytest


def test_worst_case_is_no_better_than_any_attack_and_repredicts(digits_model_file, run_binary, tmp_path):
    model_file = digits_model_file
    out = tmp_path / "run"
    done = run_binary("robustness", f"--output={out}", f"--model={model_file}", "--num_images=16", "--eps=0.08",
                      "--attacks=fgsm,pgd40,apgd_ce", "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("summary.json", "table.md", "worst_case.png", "worst_case.npz"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["attacks"]
    assert list(rows) == ["fgsm", "pgd40", "apgd_ce"]
    worst = summary["worst_case"]["accuracy"]
    assert worst <= min(r["accuracy"] for r in rows.values()) + 1e-9
    assert rows["pgd40"]["accuracy"] <= rows["fgsm"]["accuracy"] + 1e-9  # iterating beats one step here
    assert all(r["linf_max"] <= 0.08 + 1e-6 for r in rows.values())
    model = keras.saving.load_model(model_file)
    with np.load(out / "worst_case.npz") as f:
        x, x_worst, y = f["x"], f["x_worst"], f["y"]
    assert np.abs(x_worst - x).max() <= 0.08 + 1e-6
    assert np.mean(model.predict(x_worst, verbose=0).argmax(-1) == y) == pytest.approx(worst)
    assert summary["clean_accuracy"] == pytest.approx(np.mean(model.predict(x, verbose=0).argmax(-1) == y))
    assert "worst case" in (out / "table.md").read_text()


BAD = {"--eps=1.5": "eps", "--attacks=pgd40,deepfool": "deepfool", "--num_images=0": "num_images"}


def test_bad_input_is_one_line_exit_2_and_writes_nothing(expect_refusals, tmp_path):
    expect_refusals("robustness", {flag: (["--model=digits_cnn", flag], word) for flag, word in BAD.items()})
    assert not (tmp_path / "cache").exists()  # refused before any model was built or trained
