"""bin/train_stylenet.py: resume after SIGKILL, a loss network from a file, a different config refused."""
import json
import sys

import pytest

import binaries  # tests/binaries.py

TINY = ["--style=ihc", "--batch_size=1", "--crop_size=32", "--style_size=48", "--filters=4,8,8",
        "--residual_blocks=1", "--checkpoint_every=2", "--log_every=1", "--preview=chelsea", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_vgg_file, kill_after_checkpoint):
    """A run on a tiny loss network from a file, killed just after its checkpoint at step 2, resumed to 4."""
    run = tmp_path_factory.mktemp("stylenet") / "run"
    flags = [f"--output={run}", f"--model={tiny_vgg_file}", "--steps=4", *TINY]
    program = kill_after_checkpoint("bin/train_stylenet.py", "tfopt.training.callbacks")
    killed = binaries.run([sys.executable, "-c", program, "2", *flags])
    assert killed.returncode == -9, killed.stderr[-2000:]  # SIGKILL: no clean-up ran
    assert binaries.latest_step(run) == 2 and (run / "stylenet.keras").is_file()
    assert not (run / "summary.json").exists()
    resumed = binaries.run(binaries.command("train_stylenet", *flags))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return run, flags


def test_sigkilled_run_resumes_from_its_last_checkpoint(run_dir):
    run, _ = run_dir
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["resumed_from_step"] == 2
    history = json.loads((run / "history.json").read_text())
    assert [h["step"] for h in history] == [1, 2, 3, 4]  # no step logged twice or lost
    assert summary["initial_loss"]["total"] == pytest.approx(history[0]["total"])
    assert summary["loss_network_weights"].startswith("file: ") and summary["model"].endswith("tiny_vgg.keras")
    for name in ("config.json", "stylenet.keras", "preview.png", "loss.png", "previews/step_000004.png"):
        assert (run / name).is_file(), name
    assert list((run / "logs").glob("events.out.tfevents.*"))
    assert json.loads((run / "config.json").read_text())["filters"] == [4, 8, 8]


def test_a_different_config_is_refused_in_one_line_and_overwrite_starts_afresh(run_dir):
    run, flags = run_dir
    before = (run / "summary.json").stat().st_mtime_ns
    other = binaries.run(binaries.command("train_stylenet", *flags, "--learning_rate=0.01"))
    assert other.returncode == 2
    lines = other.stderr.strip().splitlines()
    assert len(lines) == 1 and "expected the same config" in lines[0] and "learning_rate=0.002->0.01" in lines[0]
    assert (run / "summary.json").stat().st_mtime_ns == before
    fresh = binaries.run(binaries.command("train_stylenet", *flags, "--steps=2", "--learning_rate=0.01",
                                          "--overwrite"))
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["resumed_from_step"] == 0 and summary["steps"] == 2 and summary["learning_rate"] == 0.01
    assert binaries.latest_step(run) == 2 and not (run / "previews" / "step_000004.png").exists()
