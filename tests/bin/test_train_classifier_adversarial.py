"""bin/train_classifier.py --adversarial=pgd: a one-epoch PGD-1 run, and bad input (exit 2, one line, nothing written)."""
import json

import pytest


def test_pgd_training_writes_files_and_robust_accuracy(run_binary, tmp_path):
    out = tmp_path / "run"
    done = run_binary("train_classifier", f"--output={out}", "--adversarial=pgd", "--eps=0.3", "--steps=1",
                      "--step_size=0.3", "--epochs=1", "--ramp_epochs=0", "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("model.keras", "summary.json", "confusion.png", "predictions.png"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["adversarial_training"] == {"method": "pgd", "eps": 0.3, "steps": 1, "step_size": 0.3,
                                               "ramp_epochs": 0, "clean_weight": 0.5}
    robust = summary["robustness"]
    assert (robust["eps"], robust["steps"], robust["step_size"], robust["restarts"]) == (0.3, 40, 0.01, 1)
    assert robust["num_images"] == 450 and robust["linf_max"] <= 0.3 + 1e-6
    assert robust["clean_accuracy"] == pytest.approx(summary["test_accuracy"], abs=1e-6)
    assert summary["pgd_test_accuracy"] == robust["adv_accuracy"] <= robust["clean_accuracy"]
    assert summary["train_seconds"] > 0
    assert "PGD-40 accuracy at eps 0.3" in done.stdout


BAD = {
    "--adversarial=fgsm": "expected adversarial to be one of none, pgd",
    "--eps=0": "expected eps > 0",
    "--eps=1.5": "expected 0.0 <= eps <= 1.0",
    "--steps=0": "expected steps > 0",
    "--step_size=-0.1": "expected step_size > 0",
}


def test_bad_adversarial_flags_exit_2_with_one_line_and_write_nothing(expect_refusals, tmp_path):
    expect_refusals("train_classifier", {flag: (["--adversarial=pgd", flag], message) for flag, message in BAD.items()})
    assert not (tmp_path / "cache").exists()
