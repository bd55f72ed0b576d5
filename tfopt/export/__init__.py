"""Export for serving: SavedModels that TensorFlow Serving loads, TFLite models that match.

Example:
    from tfopt import cli, export
    with cli.output_dir("models/dcgan/1") as version_dir:
        summary = export.export_model(generator, version_dir, model_name="dcgan")
    summary["formats"]["tflite_int8"]["psnr_db"]
"""
from tfopt.export.exporter import FORMATS, export_model, load_for_export, photo_batch, psnr
from tfopt.export.rest import LocalServer
from tfopt.export.saved_model import export_saved_model, load_saved_model, warmup_unavailable, write_warmup
from tfopt.export.signatures import ServingSpec, describe_model, reference_images, sample_inputs
from tfopt.export.image_part import split_model
from tfopt.export.text2image import parse_captions, seeded_z
from tfopt.export.tflite import QUANTIZATIONS, TFLiteModel, UnsupportedOpsError, convert_saved_model

__all__ = [
    "FORMATS",
    "QUANTIZATIONS",
    "LocalServer",
    "ServingSpec",
    "TFLiteModel",
    "UnsupportedOpsError",
    "convert_saved_model",
    "describe_model",
    "export_model",
    "export_saved_model",
    "load_for_export",
    "load_saved_model",
    "parse_captions",
    "photo_batch",
    "psnr",
    "reference_images",
    "sample_inputs",
    "seeded_z",
    "split_model",
    "warmup_unavailable",
    "write_warmup",
]
