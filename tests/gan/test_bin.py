"""bin/train_gan.py and bin/generate.py: resume after SIGKILL, outputs, samples, conditions, bad input."""
import json
import sys

import numpy as np
import pytest
from PIL import Image

import binaries  # tests/binaries.py

ROOT = binaries.ROOT
TINY = ["--filters=4", "--latent_dim=8", "--categorical_codes=3", "--batch_size=8", "--log_every=2",
        "--sample_every=4", "--quiet"]


def _client():
    """export/client.py imported as a module (it is a script, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tfopt_serving_client", ROOT / "export" / "client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, digits_cache, kill_after_checkpoint):
    """A run killed with SIGKILL just after its checkpoint at step 4, then resumed to 40 steps."""
    run = tmp_path_factory.mktemp("gan") / "run"
    flags = [f"--output={run}", "--steps=40", "--checkpoint_every=2", "--eval_samples=0", *TINY]
    program = kill_after_checkpoint("bin/train_gan.py", "tfopt.gan.callbacks")
    killed = binaries.run([sys.executable, "-c", program, "4", *flags])
    assert killed.returncode == -9, killed.stderr[-2000:]  # SIGKILL: no clean-up ran
    killed_at = binaries.latest_step(run)
    assert killed_at == 4, killed.stderr[-2000:]
    assert not (run / "summary.json").exists()
    resumed = binaries.run(binaries.command("train_gan", *flags[:-1], "--eval_samples=100"))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return run, killed_at


def test_sigkilled_run_resumes_from_its_last_checkpoint(run_dir):
    run, killed_at = run_dir
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 40 and summary["resumed_from_step"] == killed_at
    history = json.loads((run / "history.json").read_text())
    assert [h["step"] for h in history] == list(range(2, 41, 2))  # no step logged twice or lost


def test_run_directory_holds_every_output(run_dir):
    run, _ = run_dir
    for name in ("config.json", "generator.keras", "samples.png", "losses.png", "summary.json",
                 "samples/step_000040.png"):
        assert (run / name).is_file(), name
    assert list((run / "logs").glob("events.out.tfevents.*"))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["config"]["train"]["k_d_steps"] == 1 and summary["steps_per_second"] > 0
    # The model is named as its paper names it, plus every extra the run had on.
    assert summary["model"]["title"] == "DCGAN + InfoGAN code (3) + DiffAugment (translation) + EMA (0.999)"
    assert summary["model"]["changed"]["filters"] == [4, 64]
    assert summary["fid"] > 0 and summary["kid"] > -1 and len(summary["class_share"]) == 10
    assert sum(summary["class_share"]) == pytest.approx(1.0)
    assert 0 < summary["mean_confidence"] <= 1
    assert json.loads((run / "config.json").read_text())["model"]["filters"] == 4


def test_generate_writes_npz_and_png(run_dir, tmp_path):
    run, _ = run_dir
    out = tmp_path / "samples"
    done = binaries.run(binaries.command("generate", f"--checkpoint={run}", "--num=12", "--seed=3", f"--output={out}",
                                         "--quiet"))
    assert done.returncode == 0, done.stderr[-2000:]
    data = np.load(out / "images.npz")
    assert data["images"].shape == (12, 32, 32, 1) and data["z"].shape == (12, 8)
    assert 0.0 <= data["images"].min() and data["images"].max() <= 1.0 and data["images"].std() > 0
    assert Image.open(out / "samples.png").size[0] > 64
    assert json.loads((out / "summary.json").read_text())["num"] == 12


def test_bad_input_exits_2_with_one_line_and_leaves_runs_alone(run_dir, tmp_path):
    run, _ = run_dir
    before = (run / "summary.json").stat().st_mtime_ns
    other = binaries.run(binaries.command("train_gan", f"--output={run}", "--loss=hinge", *TINY))
    assert other.returncode == 2
    lines = other.stderr.strip().splitlines()
    assert len(lines) == 1 and "expected the same config" in lines[0] and "loss='non_saturating'->'hinge'" in lines[0]
    assert (run / "summary.json").stat().st_mtime_ns == before
    fresh = tmp_path / "fresh"
    bad = binaries.run(binaries.command("train_gan", f"--output={fresh}", "--k_d_steps=0"))
    assert bad.returncode == 2 and "k_d_steps" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    # The default 40 categorical codes need latent_dim > 40.
    codes = binaries.run(binaries.command("train_gan", f"--output={fresh}", "--latent_dim=8"))
    assert codes.returncode == 2 and "categorical_codes=40" in codes.stderr
    assert len(codes.stderr.strip().splitlines()) == 1
    assert not fresh.exists()


def test_class_conditional_run_draws_the_classes_asked_for(tmp_path, digits_cache):
    run, out = tmp_path / "cdcgan", tmp_path / "sevens"
    done = binaries.run(binaries.command("train_gan", f"--output={run}", "--model=cdcgan", "--steps=4", "--filters=4",
                                         "--latent_dim=6", "--batch_size=8", "--eval_samples=100", "--quiet"))
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["model"]["title"].startswith("class-conditional DCGAN") and 0 <= summary["class_accuracy"] <= 1
    assert summary["data"]["num_classes"] == 10
    done = binaries.run(binaries.command("generate", f"--checkpoint={run}", "--num=6", "--labels=7",
                                         "--truncation=0.5", f"--output={out}", "--quiet"))
    assert done.returncode == 0, done.stderr[-2000:]
    data = np.load(out / "images.npz")
    assert data["images"].shape == (6, 32, 32, 1) and data["labels"].tolist() == [7] * 6
    assert np.abs(data["z"]).max() <= 0.5 and len(np.unique(data["z"])) == data["z"].size  # resampled, not clipped
    for bad_flags, message in ((["--labels=12"], "0..9"), (["--truncation=-1"], "truncation=-1")):
        bad = binaries.run(binaries.command("generate", f"--checkpoint={run}", *bad_flags,
                                            f"--output={tmp_path / 'x'}"))
        assert bad.returncode == 2 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_biggan_run_sweeps_truncations_and_its_export_refuses_bad_labels(tmp_path, digits_cache, capsys):
    run = tmp_path / "biggan"
    done = binaries.run(binaries.command("train_gan", f"--output={run}", "--model=biggan", "--steps=2", "--filters=4",
                                         "--image_size=8", "--latent_dim=8", "--embed_dim=4", "--batch_size=8",
                                         "--eval_samples=60", "--truncations=1,0.5", "--quiet"))
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["model"]["title"] == "BigGAN" and summary["config"]["train"]["k_d_steps"] == 2
    assert [row["truncation"] for row in summary["truncation_sweep"]] == [1.0, 0.5]
    assert {"class_accuracy", "precision", "recall", "intra_class_fid", "fid"} <= set(summary["truncation_sweep"][0])
    assert (run / "truncation.png").is_file() and (run / "truncation_fid.png").is_file()
    assert "g_ortho" in summary["final_losses"]
    out = tmp_path / "served"
    done = binaries.run(binaries.command("export", f"--checkpoint={run}", f"--output={out}",
                                         "--formats=saved_model,tflite_fp32", "--nowarmup", "--quiet"))
    assert done.returncode == 0, done.stderr[-3000:]
    exported = json.loads((out / "biggan" / "1" / "summary.json").read_text())
    assert exported["formats"]["tflite_fp32"]["max_abs_diff"] <= 1e-4
    # A fresh process answers a REST payload that asks for classes 3 and 7 at truncation 0.5, and refuses class 10.
    version = out / "biggan" / "1"
    request, response = tmp_path / "request.json", tmp_path / "response.json"
    asked = binaries.run([sys.executable, str(ROOT / "export" / "client.py"), "--mode=local",
                          f"--model_dir={version}", "--labels=3,7", "--signature=truncated", "--truncation=0.5",
                          f"--save_request={request}", f"--save_response={response}",
                          f"--output={tmp_path / 'asked.png'}"])
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert [row["labels"] for row in json.loads(request.read_text())["instances"]] == [3, 7]
    assert np.asarray(json.loads(response.read_text())["predictions"]).shape == (2, 8, 8, 1)
    # The same client refuses class 10 (in-process: the fresh-process path is the request above).
    client = _client()
    with pytest.raises(SystemExit) as refused:
        client.main(["--mode=local", f"--model_dir={version}", "--labels=3,10", f"--output={tmp_path / 'no.png'}"])
    assert refused.value.code == 1 and "labels in 0..9" in capsys.readouterr().err
    assert not (tmp_path / "no.png").exists()
    import tensorflow as tf

    served = tf.saved_model.load(str(version)).signatures["truncated"]
    z = tf.zeros((2, 8))
    images = served(z=z, labels=tf.constant([3, 9]), truncation=tf.constant([0.5, 0.0]))["images"]
    assert images.shape == (2, 8, 8, 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels in 0..9"):
        served(z=z, labels=tf.constant([3, 10]), truncation=tf.constant([0.5, 0.5]))


def test_bad_network_arguments_leave_no_run_directory(tmp_path):
    out = tmp_path / "never"
    done = binaries.run(binaries.command("train_gan", f"--output={out}", "--model=biggan", "--image_size=16",
                                         "--latent_dim=32", "--quiet"))
    assert done.returncode == 2 and "latent_dim divisible by 3" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not out.exists()
