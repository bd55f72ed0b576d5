"""bin/style.py, bin/train_stylenet.py, bin/stylize.py: tiny smoke runs in tmp dirs, and bad input (exit 2)."""
import json

import keras
import numpy as np
import pytest

import binaries  # tests/binaries.py


def _run(binary, *args, cwd):
    return binaries.run(binaries.command(binary, *args), cwd=cwd, cache=cwd / "cache")


def test_style_smoke_run_writes_images_and_summary(tmp_path):
    """--model=vgg16 with HED's real VGG16 features (the offline stand-in for ImageNet's)."""
    out = tmp_path / "run"
    done = _run("style.py", f"--output={out}", "--content=chelsea", "--style=ihc,hubble", "--style_blend=3,1",
                "--size=32", "--steps=3", "--polish_steps=2", "--model=vgg16", "--weights=hed", "--quiet",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("stylized.png", "side_by_side.png", "loss.png", "summary.json"):
        assert (out / name).is_file(), name
    s = json.loads((out / "summary.json").read_text())
    assert s["model"] == "vgg16" and s["loss_network_weights"].startswith("hed (VGG16 convolutions")
    assert s["final_loss"]["total"] < s["initial_loss"]["total"]
    assert set(s["initial_loss"]) == {"total", "content", "style", "tv"}
    assert s["steps"] >= 1 and s["seconds"] > 0 and s["blend"] == [3.0, 1.0]
    assert s["optimizer"] == "lbfgs" and s["param"] == "fft" and s["polish_steps"] == 2
    from tfopt.images import load_image
    assert max(load_image(str(out / "stylized.png")).shape[:2]) == 32


@pytest.mark.parametrize("args, expected", [
    (["--content=/no/such.png"], "no such file"),
    (["--param=wavelet"], "param"),
    (["--polish_steps=-1"], "polish_steps"),
    (["--polish_learning_rate=0"], "polish_learning_rate"),
    (["--model=alexnet"], "expected model vgg16, vgg19 or a .keras/.h5 file; received: model='alexnet'"),
])
def test_style_bad_input_exits_2_and_writes_nothing(tmp_path, args, expected):
    out = tmp_path / "bad"
    done = _run("style.py", f"--output={out}", "--steps=1", "--size=32", "--weights=random", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(done.stderr.strip().splitlines()) == 1 and expected in done.stderr
    assert not out.exists() and not any(p.name.startswith("bad") for p in tmp_path.iterdir())


def test_train_then_stylize(tmp_path):
    net_dir = tmp_path / "net"
    done = _run("train_stylenet.py", f"--output={net_dir}", "--style=ihc", "--steps=1", "--batch_size=1",
                "--crop_size=32", "--style_size=48", "--filters=4,8,8", "--residual_blocks=1", "--weights=random",
                "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("stylenet.keras", "preview.png", "loss.png", "summary.json"):
        assert (net_dir / name).is_file(), name
    from tfopt import layers  # registers the custom layers

    assert keras.saving.get_registered_object("tfopt>ReflectConv") is layers.ReflectConv
    net = keras.saving.load_model(net_dir / "stylenet.keras", safe_mode=True)
    y = np.asarray(net(np.random.RandomState(0).rand(1, 20, 28, 3).astype("float32")))
    assert y.shape == (1, 20, 28, 3) and 0 <= y.min() and y.max() <= 1
    out = tmp_path / "fast"
    done = _run("stylize.py", f"--output={out}", f"--model={net_dir}", "--image=astronaut", "--size=40", "--quiet",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    s = json.loads((out / "summary.json").read_text())
    assert s["shape"] == [40, 40, 3] and s["seconds"] > 0
    assert (out / "stylized.png").is_file() and (out / "side_by_side.png").is_file()
    bad = _run("stylize.py", f"--output={tmp_path / 'x'}", f"--model={tmp_path / 'none.keras'}", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "none.keras" in bad.stderr
    assert not (tmp_path / "x").exists()
