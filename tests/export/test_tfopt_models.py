"""Exporting tfopt's own networks from their run directories: a DCGAN generator, a style network."""
import json

import keras
import numpy as np
import pytest

from tfopt import export, nets

gan = pytest.importorskip("tfopt.gan")
style = pytest.importorskip("tfopt.style")


def test_dcgan_run_directory(tmp_path):
    keras.utils.set_random_seed(0)
    run_dir = tmp_path / "runs" / "dcgan"
    generator = nets.build("dcgan_generator", latent_dim=12, image_size=16, channels=1, filters=8)
    gan.save_generator(generator, run_dir / "generator.keras")
    (run_dir / "config.json").write_text(json.dumps({"model": "dcgan", "latent_dim": 12}))
    model, config = export.load_for_export(checkpoint=str(run_dir))
    assert config["latent_dim"] == 12
    spec = export.describe_model(model, latent_dim=config["latent_dim"])
    summary = export.export_model(model, tmp_path / "served" / "dcgan" / "1", spec=spec, model_name="dcgan",
                                  formats=["saved_model", "tflite_fp32", "tflite_int8"], num_samples=4,
                                  representative_count=16, timing_runs=1, quiet=True)
    rows = summary["formats"]
    assert rows["saved_model"]["max_abs_diff"] <= 1e-5
    assert rows["tflite_fp32"]["max_abs_diff"] <= 1e-4
    assert rows["tflite_int8"]["psnr_db"] >= 25.0
    assert summary["signatures"]["serving_default"]["outputs"]["images"] == ["float32", [None, 16, 16, 1]]
    z = np.random.default_rng(0).standard_normal((2, 12)).astype(np.float32)
    served = export.load_saved_model(tmp_path / "served" / "dcgan" / "1")["serving_default"](z=z)["images"]
    assert np.abs(served - np.clip((generator(z, training=False).numpy() + 1) / 2, 0, 1)).max() <= 1e-5


@pytest.fixture()
def stylenet_run(tmp_path):
    keras.utils.set_random_seed(0)
    net = style.build_stylenet(filters=(4, 8, 8), residual_blocks=1)
    style.save_stylenet(net, tmp_path / "runs" / "net")
    return tmp_path / "runs" / "net"


def test_style_network_run_directory(stylenet_run, photos32, tmp_path):
    model, config = export.load_for_export(checkpoint=str(stylenet_run))
    assert config == {}
    summary = export.export_model(model, tmp_path / "served" / "style" / "1", model_name="style",
                                  formats=["saved_model"], images=photos32[:2], timing_runs=1, quiet=True)
    assert summary["spec"]["kind"] == "image" and list(summary["spec"]["image_shape"]) == [None, None, 3]
    assert summary["formats"]["saved_model"]["max_abs_diff"] <= 1e-5


def test_style_network_tflite(stylenet_run, photos32, tmp_path):
    model, _ = export.load_for_export(checkpoint=str(stylenet_run))
    summary = export.export_model(model, tmp_path / "style" / "1", formats=["tflite_fp32", "tflite_fp16"],
                                  images=photos32[:2], timing_runs=1, warmup=False, quiet=True)
    assert summary["formats"]["tflite_fp32"]["max_abs_diff"] <= 1e-4
    assert summary["formats"]["tflite_fp16"]["max_abs_diff"] <= 1e-2
