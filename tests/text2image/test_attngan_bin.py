"""bin/train_text2image.py --model=attngan and bin/text2image.py --attention_maps end to end on a tiny run: files,
scores, one attention map per word, and attention maps refused in one line for a model without them. (The binary's
resume after SIGKILL is tested on GAN-INT-CLS in test_run_bin.py: the same phase code saves and restores every
model.)"""
import json

import numpy as np
import pytest

TINY = ["--model=attngan", "--batch_size=8", "--train_images=64", "--checkpoint_every=2", "--log_every=2",
        "--sample_every=100", "--eval_samples=120", "--encoder_epochs=0", "--filters=8", "--nojit_compile", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, run_bin):
    """An AttnGAN run of 4 steps."""
    run = tmp_path_factory.mktemp("attngan") / "run"
    done = run_bin("train_text2image.py", f"--output={run}", "--steps=4", *TINY)
    assert done.returncode == 0, done.stderr[-3000:]
    return run


def test_attngan_trains_and_writes_scores(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["model"] == "attngan" and summary["steps"] == 4
    assert summary["phases"]["gan"]["resumed_from_step"] == 0
    assert summary["options"]["damsm_weight"] == 5.0
    history = json.loads((run_dir / "gan" / "history.json").read_text())
    assert [h["step"] for h in history] == [2, 4]
    assert {"d_cond_wrong", "d_cond_real", "g_cond_adversarial", "g_damsm", "g_kl"} <= set(history[-1])
    held = summary["held_out"]
    assert held["num_images"] == 120 and set(held["attributes"]) >= {"digit", "stroke", "background", "all"}
    assert 0.0 <= held["r_precision"] <= 1.0 and held["fid"] > 0 and held["diversity"] >= 0
    check = held["attention_check"]  # 4 steps draw flat images with no stroke to attend to: then nothing counts
    for word in ("stroke_word", "background_word"):
        assert set(check[word]) == {"mass_on_stroke", "stroke_area", "mean_on_stroke", "mean_on_background",
                                    "num_captions"}
        assert 0 <= check[word]["num_captions"] <= 120
        if check[word]["num_captions"]:
            assert 0.0 < check[word]["stroke_area"] < 1.0 and 0.0 <= check[word]["mass_on_stroke"] <= 1.0
    for name in ("config.json", "text2image.keras", "captions.png", "gan/generator.keras", "gan/samples.png"):
        assert (run_dir / name).is_file(), name


def test_attention_maps_one_per_word(run_dir, tmp_path, run_bin):
    out = tmp_path / "drawn"
    done = run_bin("text2image.py", f"--checkpoint={run_dir}", f"--output={out}", "--num_per_caption=2",
                "--attention_maps", "--captions=a thick red seven on a blue background;a crimson three")
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    maps = summary["attention_maps"]
    assert [m["words"] for m in maps] == [["a", "thick", "red", "seven", "on", "a", "blue", "background"],
                                          ["a", "[UNK]", "three"]]
    assert all(m["grid"] == [16, 16] for m in maps)
    from PIL import Image

    for m in maps:
        with Image.open(out / m["file"]) as png:  # the image, then one tile per word, in one row
            width, height = png.size
        assert width > (len(m["words"]) + 1) * 4 * 32 > height
    assert np.load(out / "images.npz")["images"].shape == (4, 32, 32, 3)


def test_attention_maps_of_chosen_words_only(run_dir, tmp_path, run_bin):
    out = tmp_path / "chosen"
    done = run_bin("text2image.py", f"--checkpoint={run_dir}", f"--output={out}", "--num_per_caption=1",
                "--attention_maps", "--attention_words=red,seven,blue", "--noread",
                "--captions=a thick red seven on a blue background")
    assert done.returncode == 0, done.stderr[-2000:]
    (entry,) = json.loads((out / "summary.json").read_text())["attention_maps"]
    assert entry["words"] == ["red", "seven", "blue"]
    from PIL import Image

    with Image.open(out / entry["file"]) as png:  # the image and three maps: narrower than the 9 tiles of every word
        assert 4 * 4 * 32 <= png.size[0] < 5 * 4 * 32


def test_attention_maps_of_a_model_without_attention_exit_2_in_one_line(tmp_path, run_bin):
    """A GAN-INT-CLS text2image.keras (built here, untrained: what matters is that it has no attention)."""
    import keras

    from tfopt.nets.text2image import gan_int_cls_generator
    from tfopt.text2image.encoders import text_encoder
    from tfopt.text2image.train import combined_model

    generator = gan_int_cls_generator(latent_dim=4, embedding_dim=8, image_size=16, filters=4, projection_dim=4)
    model = combined_model(text_encoder(embedding_dim=8, word_dim=4), generator)
    path = tmp_path / "int_cls.keras"
    model.save(path)
    out = tmp_path / "nothing"
    done = run_bin("text2image.py", f"--checkpoint={path}", f"--output={out}", "--attention_maps",
                "--captions=a red seven")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "AttnGAN" in lines[0] and "attention" in lines[0], done.stderr
    assert not out.exists()
    keras.saving.load_model(path, safe_mode=True)  # the model itself is fine: only attention maps are refused
    plain = run_bin("text2image.py", f"--checkpoint={path}", f"--output={out}", "--captions=a red seven",
                 "--noread")
    assert plain.returncode == 0, plain.stderr[-2000:]


def test_bin_export_serves_the_run_with_raw_captions(run_dir, tmp_path, run_bin):
    """bin/export.py on the run's text2image.keras: the text encoder's layers load, and TFLite takes the image part."""
    out = tmp_path / "served"
    done = run_bin("export.py", f"--model={run_dir / 'text2image.keras'}", f"--output={out}", "--num_samples=4",
                "--timing_runs=1", "--representative_count=8", "--captions=a thick red seven on a blue background")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(next(out.rglob("summary.json")).read_text())
    assert summary["spec"]["kind"] == "text2image"
    assert summary["formats"]["saved_model"]["max_abs_diff"] <= 1e-5
    assert summary["formats"]["tflite_fp32"]["max_abs_diff"] <= 1e-4
