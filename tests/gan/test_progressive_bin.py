"""bin/train_gan.py --model=progressive end to end: SIGKILL mid-fade and resume, draws per stage, export, bad input;
and one device vs two replicas inside a fade-in."""
import json
import sys
import textwrap

import numpy as np
import pytest

import binaries  # tests/binaries.py

TINY = ["--model=progressive", "--resolution=8", "--filters=8", "--latent_dim=8", "--batch_size=8", "--stage_batch=",
        "--fade_images=32", "--stable_images=32", "--checkpoint_every=2", "--log_every=2", "--sample_every=100",
        "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, digits_cache, kill_after_checkpoint):
    """A 4 -> 8 px run killed with SIGKILL right after its checkpoint at step 6 (mid-fade), then resumed to 12."""
    run = tmp_path_factory.mktemp("pggan") / "run"
    flags = [f"--output={run}", "--eval_samples=100", "--fid_every=4", *TINY]
    program = kill_after_checkpoint("bin/train_gan.py", "tfopt.training.callbacks")
    killed = binaries.run([sys.executable, "-c", program, "6", *flags])
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert binaries.latest_step(run) == 6
    assert not (run / "summary.json").exists()
    resumed = binaries.run(binaries.command("train_gan", *flags))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return run


def test_a_sigkilled_run_resumes_mid_fade_in_the_same_stage_at_the_same_alpha(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["resumed_from_step"] == 6 and summary["steps"] == 12
    assert summary["model"]["title"] == "Progressive GAN"
    assert [(s["resolution"], s["start"], s["fade_steps"], s["end"]) for s in summary["stages"]] == [
        (4, 0, 0, 4), (8, 4, 4, 12)]
    history = json.loads((run_dir / "history.json").read_text())
    assert [(h["step"], h["resolution"], h["alpha"]) for h in history] == [
        (2, 4, 1.0), (4, 4, 1.0), (6, 8, 0.25), (8, 8, 0.75), (10, 8, 1.0), (12, 8, 1.0)]
    curve = json.loads((run_dir / "fid_curve.json").read_text())
    assert [c["step"] for c in curve] == [4, 8, 12]  # the point before the kill kept, none twice
    assert all(c["fid"] > 0 for c in curve) and curve[0]["seconds"] < curve[-1]["seconds"]
    assert summary["fid"] > 0 and summary["fid_curve"] == curve
    for name in ("stages.png", "samples.png", "fid_curve.png", "losses.png", "generator.keras",
                 "stages/generator_4px.keras", "stages/generator_8px.keras"):
        assert (run_dir / name).is_file(), name


def test_generate_draws_at_the_final_size_or_at_a_finished_stage(run_dir, run_binary, tmp_path):
    for stage, side in ((None, 8), (4, 4)):
        out = tmp_path / f"gen{stage}"
        args = [f"--checkpoint={run_dir}", f"--output={out}", "--num=6", "--quiet"]
        done = run_binary("generate", *args, *([f"--stage={stage}"] if stage else []))
        assert done.returncode == 0, done.stderr[-2000:]
        images = np.load(out / "images.npz")["images"]
        assert images.shape == (6, side, side, 1) and images.std() > 0.01
    refused = run_binary("generate", f"--checkpoint={run_dir}", f"--output={tmp_path / 'gen16'}", "--stage=16")
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0
    assert "stage 16 px finished" in refused.stderr and not (tmp_path / "gen16").exists()


def test_the_final_generator_exports_for_serving_and_tflite(run_dir, run_binary, tmp_path):
    out = tmp_path / "served"
    done = run_binary("export", f"--model={run_dir / 'generator.keras'}", f"--output={out}",
                      "--formats=saved_model,tflite_fp32", "--num_samples=4", "--timing_runs=1", "--quiet")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(next(out.glob("*/1/summary.json")).read_text())
    assert summary["formats"]["saved_model"]["max_abs_diff"] <= 1e-5
    assert summary["formats"]["tflite_fp32"]["max_abs_diff"] <= 1e-4


def test_bad_input_exits_2_with_one_line_and_writes_nothing(run_dir, expect_refusals, run_binary):
    expect_refusals("train_gan", {
        "not a power of two": (["--model=progressive", "--resolution=24"], "power of two"),
        "above the data": (["--model=progressive", "--resolution=64"], "resolution <= the data's 32 px"),
        "no such stage": (["--model=progressive", "--stage_batch=64:8"], "stages among [4, 8, 16, 32]"),
        "too short": (["--model=progressive", "--steps=10"], "expected steps >="),
        "not progressive": (["--model=dcgan", "--fade_images=100"], "expected model progressive for fade_images"),
    })
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")}
    changed = run_binary("train_gan", f"--output={run_dir}", *[f for f in TINY if "fade" not in f],
                         "--fade_images=64")
    assert changed.returncode == 2 and changed.stderr.strip().count("\n") == 0, changed.stderr[-2000:]
    assert "fade_images" in changed.stderr
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")} == before


_REPLICAS = textwrap.dedent("""
    import json, sys
    import numpy as np
    from tfopt import distribute
    distribute.use_logical_cpus(2)
    import keras, tensorflow as tf
    from tfopt.gan import GANConfig, progressive

    class Stop(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.steps = 0
        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            self.model.stop_training = self.steps == 7     # 3 steps into the 8 px fade-in (alpha 0.5)

    config = GANConfig.from_flat(model="progressive", image_size=8, latent_dim=8, filters=8, batch_size=8,
                                 stage_batch="4:16", fade_images=32, stable_images=64, checkpoint_every=7,
                                 sample_every=100, log_every=7, eval_samples=0)
    x = np.random.default_rng(0).uniform(0, 1, (64, 8, 8, 1)).astype("float32")
    out = {}
    for name, strategy in (("one", distribute.get_strategy("default")),
                           ("two", distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"]))):
        summary = progressive.train(config, sys.argv[1] + "/" + name, dataset=tf.data.Dataset.from_tensor_slices(x),
                                    strategy=strategy, quiet=True, callbacks=[Stop()])
        reader = tf.train.load_checkpoint(sys.argv[1] + "/" + name + "/ckpt")
        out[name] = {"steps": summary["steps"], "replicas": summary["replicas"],
                     "values": {k: reader.get_tensor(k).tolist() for k in reader.get_variable_to_shape_map()
                                if k.startswith(("generator/", "discriminator/", "ema/", "g_optimizer/", "d_optimizer/"))}}
    print("RESULT " + json.dumps(out))
""")


def test_one_device_and_two_replicas_end_equal_inside_a_fade_in(tmp_path, run_program):
    out = run_program(_REPLICAS, tmp_path)
    one, two = out["one"], out["two"]
    assert (one["steps"], one["replicas"], two["steps"], two["replicas"]) == (7, 1, 7, 2)
    assert one["values"].keys() == two["values"].keys() and len(one["values"]) > 40
    assert any(k.startswith("ema/") for k in one["values"]) and any("optimizer" in k for k in one["values"])
    diff = max(float(np.abs(np.asarray(one["values"][k]) - np.asarray(two["values"][k])).max()) for k in one["values"])
    assert diff < 1e-4
