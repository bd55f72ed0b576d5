"""bin/train_pix2pix.py, bin/translate.py and bin/export.py on a pix2pix run: resume, outputs, any size, bad input."""
import json
import sys

import numpy as np
import pytest
from PIL import Image

import binaries  # tests/binaries.py

ROOT = binaries.ROOT
# 16 px labels2photo (built in the session's private cache), tiny networks, eager steps (no XLA compile).
TINY = ["--data=labels2photo", "--image_size=16", "--filters=4", "--batch_size=4", "--patch=16", "--log_every=2",
        "--sample_every=4", "--eval_samples=12", "--nojit_compile", "--quiet"]


def _png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, kill_after_checkpoint):
    """A run killed with SIGKILL just after its checkpoint at step 4, then resumed to 8 steps."""
    run = tmp_path_factory.mktemp("pix2pix") / "run"
    flags = [f"--output={run}", "--steps=8", "--checkpoint_every=2", *TINY]
    program = kill_after_checkpoint("bin/train_pix2pix.py", "tfopt.gan.callbacks")
    killed = binaries.run([sys.executable, "-c", program, "4", *flags])
    assert killed.returncode == -9, killed.stderr[-2000:]  # SIGKILL: no clean-up ran
    assert binaries.latest_step(run) == 4 and not (run / "summary.json").exists()
    resumed = binaries.run(binaries.command("train_pix2pix", *flags))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return run


def test_sigkilled_run_resumes_and_writes_every_output(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] == 8 and summary["resumed_from_step"] == 4
    assert [h["step"] for h in json.loads((run_dir / "history.json").read_text())] == [2, 4, 6, 8]
    for name in ("config.json", "generator.keras", "samples.png", "comparison.png", "losses.png",
                 "samples/step_000008.png"):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "logs").glob("events.out.tfevents.*"))
    assert summary["title"] == "pix2pix: U-Net + 16x16 PatchGAN, L1 + cGAN"
    assert summary["receptive_field"] == 16 and summary["changed_from_paper"]["patch"] == ["16", "70"]
    losses = summary["final_losses"]
    assert losses["d_loss"] == pytest.approx(0.5 * losses["d_adversarial"], rel=1e-5)  # the paper halves D's loss
    assert losses["g_loss"] == pytest.approx(losses["g_adversarial"] + 100 * losses["g_l1"], rel=1e-4)


def test_run_is_scored_on_held_out_pairs_with_the_fcn_score(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    held = summary["heldout"]
    assert held["pairs"] == 12 and summary["data"]["heldout_pairs"] > 12 and summary["data"]["train_pairs"] > 100
    assert 0 < held["l1"] < 1 and held["psnr"] > 0 and -1 <= held["ssim"] <= 1 and held["sharpness_ratio"] > 0
    for key in ("fcn", "fcn_real"):
        assert set(held[key]) == {"per_pixel_accuracy", "per_class_accuracy", "class_iou"}
    # The segmenter reads the real held-out photos far better than chance (8 classes).
    assert held["fcn_real"]["per_pixel_accuracy"] > 0.4


def test_translate_takes_any_size_and_a_folder(run_dir, tmp_path):
    rng = np.random.default_rng(0)
    inputs = tmp_path / "in"
    _png(inputs / "odd.png", rng.integers(0, 256, (23, 37, 3)))
    _png(inputs / "small.png", rng.integers(0, 256, (9, 12, 3)))
    out = tmp_path / "out"
    translate = binaries.command("translate", f"--checkpoint={run_dir}", f"--input={inputs}", f"--output={out}",
                                 "--quiet")
    done = binaries.run(translate)
    assert done.returncode == 0, done.stderr[-3000:]
    assert Image.open(out / "odd.png").size == (37, 23) and Image.open(out / "small.png").size == (12, 9)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test_mode"] == "inference" and summary["multiple"] == 16 and len(summary["images"]) == 2
    assert (out / "translations.png").is_file()
    again = binaries.run(translate)
    assert again.returncode == 2 and "--overwrite" in again.stderr  # a user's output is never replaced silently


def test_export_serves_any_size_and_tflite_matches(run_dir, tmp_path):
    out = tmp_path / "served"
    done = binaries.run(binaries.command("export", f"--checkpoint={run_dir}", f"--output={out}", "--model_name=p2p",
                                         "--formats=saved_model,tflite_fp32", "--image_size=24", "--nowarmup",
                                         "--quiet"))
    assert done.returncode == 0, done.stderr[-3000:]
    version = out / "p2p" / "1"
    exported = json.loads((version / "summary.json").read_text())
    assert exported["spec"]["kind"] == "image" and exported["spec"]["multiple"] == 16
    assert exported["spec"]["input_range"] == exported["spec"]["output_range"] == "tanh"
    assert exported["formats"]["tflite_fp32"]["max_abs_diff"] <= 1e-4  # 24 px: padded to 32 in the graph
    # A fresh process sends encoded bytes of a 23x37 image and gets a PNG of that size back.
    photo, result = tmp_path / "labels.png", tmp_path / "photo.png"
    _png(photo, np.random.default_rng(1).integers(0, 256, (23, 37, 3)))
    asked = binaries.run([sys.executable, str(ROOT / "export" / "client.py"), "--mode=local", f"--model_dir={version}",
                          "--signature=png", f"--image={photo}", f"--output={result}"])
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert Image.open(result).size == (37, 23)


def _sides(path, pairs, width):
    for k in range(pairs):
        _png(path / f"{k}.png", np.full((16, width, 3), 40 * k))


def _bad_data(data, case):
    if case == "mismatched":
        for side in ("A", "B"):
            for k in range(3):
                _png(data / side / f"{k if side == 'B' else k + 1}.png", np.zeros((16, 16, 3)))
    else:
        _sides(data, 3, 33 if case == "odd_width" else 32)
        if case == "non_image":
            (data / "notes.txt").write_text("not an image")


@pytest.mark.parametrize("case, changes, message", [
    ("mismatched", {}, "only in A/: ['3']"),
    ("odd_width", {}, "of even width; received: "),
    ("non_image", {}, "notes.txt"),
    ("patch_too_big", {"patch": "34"}, "at least 34 px for a 34x34 PatchGAN; received: 16 px"),
    ("layout_of_a_folder", {"heldout": "bands"}, "only with an offline set ['labels2photo', 'edges2photo']; "
                                                 "received: layout='bands' with data="),
])
def test_bad_training_input_is_one_line_and_writes_nothing(tmp_path, case, changes, message):
    from tfopt.core.errors import InputError
    from tfopt.pix2pix.config import Pix2PixConfig
    from tfopt.pix2pix.train import train

    _bad_data(tmp_path / "data", case)
    config = Pix2PixConfig(data=str(tmp_path / "data"), image_size=16, **{"patch": "16", **changes})
    with pytest.raises(InputError) as info:
        train(config, tmp_path / "run", quiet=True)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "run").exists()


def test_the_binary_exits_2_on_bad_data(tmp_path):
    _bad_data(tmp_path / "data", "non_image")
    out = tmp_path / "run"
    done = binaries.run(binaries.command("train_pix2pix", f"--output={out}", f"--data={tmp_path / 'data'}",
                                         "--image_size=16", "--patch=16", "--quiet"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr[-2000:]
    assert "notes.txt" in done.stderr and not out.exists()


def test_translate_and_export_refuse_a_run_of_another_kind(tmp_path):
    from tfopt.core.errors import InputError
    from tfopt.pix2pix.translator import is_run, translate_files

    gan_run = tmp_path / "dcgan"
    gan_run.mkdir()
    (gan_run / "config.json").write_text(json.dumps({"model": {"name": "dcgan"}}))
    _png(tmp_path / "in.png", np.zeros((16, 16, 3)))
    with pytest.raises(InputError, match="expected a pix2pix run directory .* \\(a dcgan run\\)"):
        translate_files(gan_run, [tmp_path / "in.png"], tmp_path, quiet=True)
    assert not is_run(gan_run) and not is_run(tmp_path / "nothing")  # export takes it for what it is
