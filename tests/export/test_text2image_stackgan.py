"""A StackGAN text2image.keras (Stage II on a frozen Stage I, raw captions in) converts to TFLite: its up blocks
repeat rows and columns, where UpSampling2D twice in a row left a convolution the converter refused."""
import keras
import numpy as np
import tensorflow as tf

from tfopt import export

VOCAB = ["a", "background", "blue", "green", "on", "red", "seven", "thick", "thin", "three"]
CAPTIONS = ["a thick red seven on blue", "thin green three", "a blue background", "seven on red"]
LATENT = 4 + 4 + 4  # noise, then Stage I's and Stage II's conditioning augmentation eps


def _model():
    from tfopt.nets.text2image import stackgan_stage1_generator, stackgan_stage2_generator
    from tfopt.text2image.encoders import text_encoder
    from tfopt.text2image.train import combined_model

    keras.utils.set_random_seed(4)
    text = text_encoder(embedding_dim=6, word_dim=4, sequence_length=7, vectorizer=VOCAB, seed=4)
    stage1 = stackgan_stage1_generator(latent_dim=4, embedding_dim=6, image_size=16, filters=4, ca_dim=4)
    generator = stackgan_stage2_generator(stage1, ca_dim=4, filters=4, residual_blocks=1)
    rng = np.random.default_rng(0)
    for weight in generator.weights:  # contrast: images far from flat grey (DCGAN's init draws ~0)
        if weight.path.endswith("kernel"):
            weight.assign(rng.normal(0.0, 0.3, weight.shape).astype(np.float32))
    return combined_model(text, generator)


def test_stackgan_image_part_converts_to_tflite_with_parity(tmp_path):
    model = _model()
    spec = export.describe_model(model)
    assert (spec.kind, spec.image_shape) == ("text2image", (32, 32, 3))
    z = np.random.default_rng(1).standard_normal((4, spec.latent_dim)).astype(np.float32)
    images = model([tf.constant(CAPTIONS), tf.constant(z)], training=False).numpy()
    assert images.std() > 0.05  # contrast, so the comparison means something
    summary = export.export_model(model, tmp_path / "1", formats=["saved_model", "tflite_fp32"], num_samples=4,
                                  captions=CAPTIONS, timing_runs=1, warmup=False, quiet=True)
    formats = summary["formats"]
    assert formats["saved_model"]["max_abs_diff"] <= 1e-5
    assert formats["tflite_fp32"]["max_abs_diff"] <= 5e-4
