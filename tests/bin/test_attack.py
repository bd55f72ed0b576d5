"""bin/attack.py: a small run judged again here from its files, and bad input (exit 2, one line, nothing written)."""
import json
import pathlib

import keras
import numpy as np
import pytest


@pytest.fixture(scope="module")
def model_file(digits_cache):
    """The session's digits CNN file (tests/conftest.py)."""
    path = pathlib.Path(digits_cache) / "digits_cnn" / "model.keras"
    assert path.exists()
    return path


def test_targeted_run_writes_files_whose_numbers_repredict(model_file, tmp_path, run_binary):
    out = tmp_path / "run"
    done = run_binary("attack", f"--output={out}", f"--model={model_file}", "--num_images=12", "--steps=8",
                      "--step_size=0.05", "--eps=0.25", "--target=3", "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("adversarial.npz", "adversarial.png", "summary.json"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    # Judge again, independently: the saved arrays and the saved model file.
    model = keras.saving.load_model(model_file)
    with np.load(out / "adversarial.npz") as f:
        x, x_adv, y_true, y_target, pred_adv = (f[k] for k in ("x", "x_adv", "y_true", "y_target", "pred_adv"))
    pred = model.predict(x_adv, verbose=0).argmax(-1)
    np.testing.assert_array_equal(pred, pred_adv)
    np.testing.assert_array_equal(y_target, 3)
    assert summary["success_rate"] == pytest.approx(np.mean(pred == 3))
    assert summary["adv_accuracy"] == pytest.approx(np.mean(pred == y_true))
    assert summary["clean_accuracy"] == pytest.approx(np.mean(model.predict(x, verbose=0).argmax(-1) == y_true))
    assert summary["linf_max"] == pytest.approx(np.abs(x_adv - x).max(), abs=1e-6) and summary["linf_max"] <= 0.25
    assert summary["l2_mean"] == pytest.approx(np.linalg.norm((x_adv - x).reshape(12, -1), axis=1).mean(), rel=1e-5)
    assert summary["success_rate"] >= 0.8 and summary["target_index"] == 3 and summary["steps"] == 8
    assert summary["model_path"] == str(model_file.resolve())
    assert summary["seconds"] > 0 and summary["images_steps_per_second"] > 0
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(model_file, tmp_path, run_binary):
    out = tmp_path / "run"
    done = run_binary("attack", f"--output={out}", "--eps=-0.1")
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "expected eps > 0" in lines[0] and "-0.1" in lines[0], done.stderr
    assert not out.exists()

    done = run_binary("attack", f"--output={out}", f"--model={model_file}", "--target=ostrich", "--num_images=2")
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "ostrich" in lines[0] and "expected" in lines[0], done.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("run")]


@pytest.mark.parametrize("bad", ["tampered_pth", "foreign_pth"])
def test_a_bad_efficientnet_weights_file_exits_2_in_one_line(bad, request, tmp_path, run_binary):
    """A checksum mismatch or a pickle naming a foreign class: refused, one line, exit 2, nothing written."""
    out = tmp_path / "run"
    path = request.getfixturevalue(bad)
    done = run_binary("attack", f"--output={out}", "--model=efficientnet_lite0", f"--weights={path}",
                      "--images=chelsea", "--steps=1", "--quiet")
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    expected = "with SHA-256" if bad == "tampered_pth" else "expected a state dict pickle naming only"
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert not out.exists() and not (tmp_path / "pwned").exists()


def test_ostrich_on_a_photo_is_judged_from_its_pngs_inside_eps(tmp_path, efficientnet_lite0_cache, seed_cache,
                                                                run_binary):
    """EfficientNet-Lite0, offline: chelsea -> ostrich at eps 4/255, judged from the saved 8-bit PNGs by a freshly
    loaded model; a photo far smaller than 224 px is upscaled and the run says so in one line and in summary.json.
    The run's cache starts with the session's converted model (tests/models/test_pretrained.py tests conversion)."""
    from tfopt.attacks.output import load_pngs
    from tfopt.images import save_image

    seed_cache(tmp_path / "cache", efficientnet_lite0_cache, "efficientnet_lite0")

    save_image(tmp_path / "tiny.png", np.random.default_rng(0).random((20, 30, 3)))
    out = tmp_path / "run"
    done = run_binary("attack", f"--output={out}", f"--images=chelsea,{tmp_path / 'tiny.png'}", "--target=ostrich",
                      f"--eps={4 / 255}", "--steps=4", "--step_size=0.004", "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    notes = [line for line in done.stderr.splitlines() if line.startswith("tfopt: ") and "tiny.png" in line]
    # cropped to the network's square first: 20x20, upscaled 224 / 20 = 11.2 times
    assert len(notes) == 1 and "tiny.png is 20x20 px, smaller than the 224x224 the network takes: upscaled 11.2x" \
        in notes[0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resized"] == [notes[0][len("tfopt: "):]] and summary["model"] == "efficientnet_lite0"
    clean = load_pngs(sorted((out / "clean").iterdir()))
    adv = load_pngs(sorted((out / "adversarial").iterdir()))
    levels = int(np.abs(np.round(adv * 255) - np.round(clean * 255)).max())  # in 8-bit levels: exact
    assert levels == summary["linf_max_levels"] <= summary["eps_levels"] == 4
    assert summary["linf_max"] == levels / 255 <= 4 / 255
    from tfopt.models import zoo

    model = zoo.get_model(summary["model_path"])  # the cached .keras file, loaded afresh with safe_mode=True
    pred = model.predict(adv, verbose=0).argmax(-1)
    with np.load(out / "adversarial.npz") as f:
        np.testing.assert_array_equal(f["x_adv"], adv)
        np.testing.assert_array_equal(f["pred_adv"], pred)
    assert pred[0] == 9 and summary["success_rate"] == pytest.approx(np.mean(pred == 9))
