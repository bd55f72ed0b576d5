"""bin/train_text2image.py and bin/text2image.py end to end on a tiny run: files, scores with ceilings, SIGKILL and
resume, sentences in (unknown words named), bad input refused in one line with exit 2 and nothing written."""
import json
import sys

import numpy as np
import pytest

import binaries  # tests/binaries.py

TINY = ["--steps=6", "--batch_size=8", "--train_images=64", "--checkpoint_every=2", "--log_every=2", "--sample_every=100",
        "--eval_samples=120", "--encoder_epochs=0", "--filters=16", "--nojit_compile", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, t2i_cache, kill_after_checkpoint, run_bin):
    """A GAN-INT-CLS run killed with SIGKILL right after its checkpoint at step 4, then resumed to step 6."""
    run = tmp_path_factory.mktemp("int_cls") / "run"
    flags = [f"--output={run}", "--model=gan_int_cls", *TINY]
    program = kill_after_checkpoint("bin/train_text2image.py", "tfopt.training.callbacks")
    killed = binaries.run([sys.executable, "-c", program, "4", *flags], cache=t2i_cache, timeout=600)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert binaries.latest_step(run / "gan") == 4
    assert not (run / "summary.json").exists()
    resumed = run_bin("train_text2image.py", *flags)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return run


def test_a_killed_run_resumes_and_writes_scores_with_their_ceilings(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["phases"]["gan"]["resumed_from_step"] == 4 and summary["steps"] == 6
    history = json.loads((run_dir / "gan" / "history.json").read_text())
    assert [h["step"] for h in history] == [2, 4, 6]
    assert {"d_adversarial", "d_mismatch", "g_interpolation"} <= set(history[-1]) or \
        any(k.startswith("d_") and "mismatch" in k for k in history[-1]), sorted(history[-1])
    held = summary["held_out"]
    assert held["num_images"] == 120
    for scores in (held["attributes"], held["real_attributes"]):
        assert set(scores) >= {"digit", "stroke", "background", "thickness", "all"}
        assert all(0.0 <= v <= 1.0 for v in scores.values())
    # The real held-out images read right (the ceiling); 6 steps of training cannot match them.
    assert held["real_attributes"]["background"] > 0.9 and held["real_attributes"]["stroke"] > 0.9
    assert held["attributes"]["all"] < held["real_attributes"]["all"]
    assert 0.0 <= held["r_precision"] <= 1.0 and 0.0 <= held["real_r_precision"] <= 1.0
    assert held["fid"] > 0 and held["diversity"] >= 0
    for name in ("config.json", "text2image.keras", "captions.png", "gan/generator.keras", "gan/losses.png",
                 "gan/samples.png"):
        assert (run_dir / name).is_file(), name


def test_sentences_in_images_out_and_unknown_words_are_named(run_dir, tmp_path, run_bin):
    out = tmp_path / "drawn"
    done = run_bin("text2image.py", f"--checkpoint={run_dir}", f"--output={out}", "--num_per_caption=3",
                "--captions=a thick red seven on a blue background;a crimson seven on a blue background")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "crimson" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["unknown_words"] == ["crimson"]
    assert [c["caption"] for c in summary["captions"]][0] == "a thick red seven on a blue background"
    assert len(summary["captions"][0]["read"]["digit"]) == 3
    arrays = np.load(out / "images.npz", allow_pickle=False)
    assert arrays["images"].shape == (6, 32, 32, 3) and 0.0 <= arrays["images"].min() <= arrays["images"].max() <= 1.0
    assert (out / "samples.png").is_file()
    again = run_bin("text2image.py", f"--checkpoint={run_dir}", f"--output={out}", "--captions=a red seven")
    assert again.returncode == 2 and "overwrite" in again.stderr


@pytest.mark.parametrize("args, message", [
    (["--captions=a red seven;;a blue one"], "empty"),
    (["--captions= "], "empty"),
])
def test_an_empty_caption_exits_2_in_one_line_and_writes_nothing(run_dir, tmp_path, args, message, run_bin):
    out = tmp_path / "nothing"
    done = run_bin("text2image.py", f"--checkpoint={run_dir}", f"--output={out}", *args)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert not out.exists()


def test_a_changed_config_in_the_same_directory_is_refused(run_dir, run_bin):
    before = sorted(p.name for p in run_dir.iterdir())
    done = run_bin("train_text2image.py", f"--output={run_dir}", "--model=gan_int_cls", "--nocls", *TINY)
    assert done.returncode == 2 and "cls" in done.stderr
    assert sorted(p.name for p in run_dir.iterdir()) == before


def test_stackgan_trains_stage_two_on_a_frozen_stage_one_and_draws_at_full_size(tmp_path, run_bin):
    run = tmp_path / "stackgan"
    done = run_bin("train_text2image.py", f"--output={run}", "--model=stackgan", "--stage2_steps=2", *TINY,
                "--steps=2", "--eval_samples=100")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert [summary["phases"][p]["steps"] for p in ("stage1", "stage2")] == [2, 2]
    assert summary["options"]["conditioning_augmentation"] and summary["options"]["kl_weight"] == 1.0
    history = json.loads((run / "stage1" / "history.json").read_text())
    assert "g_kl" in history[-1]
    for name in ("stage1/generator.keras", "stage2/generator.keras", "text2image.keras", "captions.png"):
        assert (run / name).is_file(), name
    import keras

    import tfopt.layers  # noqa: F401  (registers the layers for safe_mode)
    import tfopt.text2image.encoders  # noqa: F401

    served = keras.saving.load_model(run / "text2image.keras", safe_mode=True)
    assert tuple(served.outputs[0].shape[1:]) == (32, 32, 3)


def test_bad_input_exits_2_in_one_line_and_writes_nothing(expect_refusals, tmp_path):
    from PIL import Image

    folder = tmp_path / "birds"
    (folder / "images").mkdir(parents=True)
    (folder / "text").mkdir()
    for name in ("a", "b"):
        Image.new("RGB", (8, 8), (200, 30, 30)).save(folder / "images" / f"{name}.png")
    (folder / "text" / "a.txt").write_text("a small red bird\n")  # b.png has no caption file
    lines = expect_refusals("train_text2image", {
        "captions not matching images": ([f"--data={folder}"], "b"),
        "size": (["--image_size=20"], "image_size"),
        "augmentation on GAN-INT-CLS": (["--model=gan_int_cls", "--conditioning_augmentation"], "stackgan"),
        "batch above the training images": (["--train_images=8", "--batch_size=16"], "train_images"),
    })
    assert "caption" in lines["captions not matching images"]
