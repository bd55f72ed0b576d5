"""bin/visualize.py: one short run per mode, numbers that match the saved files, bad input exits 2."""
import json

import numpy as np
import pytest

from tfopt.visualize.common import pairwise_rms, total_variation

import binaries  # tests/binaries.py


def _run(*args, cwd, cache):
    return binaries.run(binaries.command("visualize", *args, "--quiet"), cwd=cwd, cache=cache)


def _load(out):
    return json.loads((out / "summary.json").read_text()), np.load(out / "images.npz")


def test_class_mode_writes_both_runs_and_their_tv(tmp_path, digits_cache):
    out = tmp_path / "class"
    done = _run(f"--output={out}", "--mode=class", "--steps=5", "--classes=1,7", cwd=tmp_path, cache=digits_cache)
    assert done.returncode == 0, done.stderr[-2000:]
    summary, arrays = _load(out)
    for name in ("class_models.png", "with_tv.png", "without_tv.png"):
        assert (out / name).stat().st_size > 0
    assert arrays["classes"].tolist() == [1, 7] and arrays["with_tv"].shape == (2, 32, 32, 1)
    assert summary["tv_with"] == pytest.approx(total_variation(arrays["with_tv"]).mean(), rel=1e-4)
    assert summary["tv_without"] == pytest.approx(total_variation(arrays["without_tv"]).mean(), rel=1e-4)
    assert summary["weights"].startswith("digits")


def test_fooling_mode_confidence_is_what_the_model_says(tmp_path, digits_cache, digits_model):
    out = tmp_path / "fool"
    done = _run(f"--output={out}", "--mode=fooling", "--steps=60", "--classes=3,5", "--threshold=0.99",
                cwd=tmp_path, cache=digits_cache)
    assert done.returncode == 0, done.stderr[-2000:]
    summary, arrays = _load(out)
    assert (out / "fooling.png").is_file() and (out / "confidence.png").is_file()
    probs = digits_model.predict(arrays["images"], verbose=0)[np.arange(2), arrays["targets"]]
    assert [i["confidence"] for i in summary["images"]] == pytest.approx(probs.tolist(), abs=1e-5)
    assert summary["num_reached"] == int((probs >= 0.99).sum()) == 2


def test_invert_mode_reports_each_reconstruction(tmp_path, digits_cache):
    out = tmp_path / "inv"
    done = _run(f"--output={out}", "--mode=invert", "--steps=5", "--restarts=2", "--index=4",
                cwd=tmp_path, cache=digits_cache)
    assert done.returncode == 0, done.stderr[-2000:]
    summary, arrays = _load(out)
    assert summary["layers"] == ["penultimate"] and len(summary["per_layer"]["penultimate"]["errors"]) == 2
    assert arrays["reconstructions_penultimate"].shape == (2, 32, 32, 1)
    assert summary["per_layer"]["penultimate"]["mean_pairwise_rms"] == pytest.approx(
        pairwise_rms(arrays["reconstructions_penultimate"])[1], rel=1e-4)
    assert (out / "inversion.png").is_file()


@pytest.mark.parametrize("args, expected", [
    (["--mode=class", "--steps=-1"], "expected steps > 0"),
    (["--mode=invert", "--layers=nope", "--steps=1"], "expected a layer"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, digits_cache, args, expected):
    out = tmp_path / "run"
    done = _run(f"--output={out}", *args, cwd=tmp_path, cache=digits_cache)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("run")]


def test_class_names_are_resolved_and_an_unknown_one_exits_2(tmp_path):
    """--classes takes names; one the model lacks is one line, exit 2, nothing written (random weights: no training)."""
    out = tmp_path / "named"
    done = _run(f"--output={out}", "--mode=class", "--weights=random", "--steps=2", "--classes=3,ostrich",
                cwd=tmp_path, cache=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "expected a class name" in lines[0] and "received: 'ostrich'" in lines[0], done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("named")]


def test_invert_mode_on_vgg16_features_inverts_each_layer_of_a_small_photo(tmp_path):
    """--model=vgg16 is a feature network (HED's real VGG16 convolutions here); a 20 px photo is upscaled to --size."""
    from tfopt.images import save_image

    save_image(tmp_path / "small.png", np.random.default_rng(0).random((20, 20, 3)))
    out = tmp_path / "vgg"
    done = _run(f"--output={out}", "--mode=invert", "--model=vgg16", "--weights=hed", f"--image={tmp_path}/small.png",
                "--size=32", "--layers=block1_conv2,block2_conv2", "--restarts=1", "--steps=2", cwd=tmp_path,
                cache=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    summary, arrays = _load(out)
    assert summary["layers"] == ["block1_conv2", "block2_conv2"] and summary["weights"].startswith("hed (VGG16")
    assert arrays["reconstructions_block2_conv2"].shape == (1, 32, 32, 3) and arrays["original"].shape == (32, 32, 3)
    assert summary["resized"] == [f"{tmp_path}/small.png is 20x20 px, smaller than the 32x32 the network takes: "
                                  "upscaled 1.6x (blurry to the network)"]
