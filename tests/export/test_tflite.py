"""TFLite: each quantization against the Keras model, run with ai_edge_litert; Select-op refusal."""
import keras
import numpy as np
import pytest

from tfopt import export
from tfopt.core.errors import InputError
from tfopt.export import signatures as sigs
from tfopt.export import tflite


def _tensor_types(model_bytes):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_bytes)
    return {np.dtype(d["dtype"]).name for d in interpreter.get_tensor_details()}


@pytest.fixture(scope="module")
def gen_lite(exported, generator):
    """{quantization: bytes} of the trained generator, plus its comparison inputs and reference."""
    spec = sigs.describe_model(generator)
    rep = [{"z": z[None]} for z in np.random.default_rng(21).standard_normal((32, 8)).astype(np.float32)]
    converted = {q: tflite.convert_saved_model(exported["gen"], q, representative=rep) for q in tflite.QUANTIZATIONS}
    feeds = sigs.sample_inputs(spec, batch=8, seed=0)
    return converted, feeds, sigs.reference_images(generator, spec, feeds)


@pytest.mark.parametrize("quant, max_diff, min_psnr", [
    ("fp32", 1e-4, 60.0), ("fp16", 1e-2, 40.0), ("dynamic", 0.1, 30.0), ("int8", 0.5, 25.0)])
def test_generator_quantizations_match_keras(gen_lite, quant, max_diff, min_psnr):
    converted, feeds, reference = gen_lite
    assert reference.std() > 0.15  # real contrast, so PSNR means something
    got = tflite.TFLiteModel(converted[quant])(**feeds)["images"]
    assert got.shape == reference.shape
    assert np.abs(got - reference).max() <= max_diff
    assert export.psnr(reference, got) >= min_psnr


def test_quantized_files_hold_quantized_tensors(gen_lite):
    converted, _, _ = gen_lite
    assert "float16" in _tensor_types(converted["fp16"]) and "float16" not in _tensor_types(converted["fp32"])
    assert "int8" in _tensor_types(converted["dynamic"])
    assert "int8" in _tensor_types(converted["int8"])
    assert len(converted["int8"]) < 0.75 * len(converted["fp32"])  # tiny model: format overhead dominates
    assert len(converted["fp16"]) < 0.75 * len(converted["fp32"])


def test_named_inputs_and_batch_resizing(exported, cond_generator):
    spec = sigs.describe_model(cond_generator)
    lite = tflite.TFLiteModel(tflite.convert_saved_model(exported["cgen"], "fp32"))
    assert lite.input_names == ["labels", "z"] and list(lite.output_details) == ["images"]
    for batch in (1, 5):
        feeds = sigs.sample_inputs(spec, batch=batch, seed=batch)
        got = lite(**feeds)["images"]
        assert np.abs(got - sigs.reference_images(cond_generator, spec, feeds)).max() <= 1e-4
    with pytest.raises(InputError, match="expected inputs labels, z"):
        lite(z=feeds["z"])


def test_image_network_any_size_and_int8_on_photos(exported, style_net, photos32):
    spec = sigs.describe_model(style_net)
    fp32 = tflite.TFLiteModel(tflite.convert_saved_model(exported["style"], "fp32"))
    wide = export.photo_batch(["hubble", "china"], 24)[:, :, :20]  # a different, non-square size
    for batch in (photos32, wide):
        ref = sigs.reference_images(style_net, spec, {"image": batch})
        assert np.abs(fp32(image=batch)["images"] - ref).max() <= 1e-4
    rep = [{"image": p[None]} for p in export.photo_batch(["ihc", "china", "flower", "hubble"], 32)]
    int8 = tflite.TFLiteModel(tflite.convert_saved_model(exported["style"], "int8", representative=rep))
    ref = sigs.reference_images(style_net, spec, {"image": photos32})
    assert ref.std() > 0.15
    assert export.psnr(ref, int8(image=photos32)["images"]) >= 25.0


class _CumProd(keras.layers.Layer):
    def call(self, x):
        return keras.ops.cumprod(x, axis=-1)


def test_select_tf_ops_are_refused_with_the_op_name(tmp_path):
    inp = keras.Input((6,), name="z")
    h = keras.layers.Dense(4 * 4 * 3)(_CumProd()(inp))
    model = keras.Model(inp, keras.layers.Reshape((4, 4, 3))(h))
    spec = sigs.describe_model(model, output_range="unit")
    export.export_saved_model(model, spec, tmp_path / "1", warmup=False)
    with pytest.raises(tflite.UnsupportedOpsError) as info:
        tflite.convert_saved_model(tmp_path / "1", "fp32")
    message = str(info.value)
    assert "Cumprod" in message and "Select TF ops" in message and "\n" not in message
    assert isinstance(info.value, InputError)  # binaries turn it into one line and exit 2


def test_int8_needs_representative_inputs(exported):
    with pytest.raises(InputError, match="representative"):
        tflite.convert_saved_model(exported["gen"], "int8")
    with pytest.raises(InputError, match="quantization='int4'"):
        tflite.convert_saved_model(exported["gen"], "int4")
