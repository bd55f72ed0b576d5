"""Exports a generator, image network or text-to-image model for TF Serving (SavedModel) and TFLite.

Writes ``<output>/<model_name>/<version>/`` (TF Serving's layout): the SavedModel,
``tflite/model_<quantization>.tflite``, ``summary.json`` (per format: path, size,
max abs diff and PSNR against Keras, mean latency) and ``comparison.png``. A
text-to-image model (captions strings + z) is served with raw sentences; its TFLite
files hold the image part only (the string ops are not TFLite built-ins).

Example:
    python bin/export.py --checkpoint=runs/dcgan --output=models --model_name=dcgan --version=1
    python bin/export.py --model=style.keras --formats=saved_model,tflite_fp16 --output=models
    python bin/export.py --model=t2i.keras --captions="a thick red seven on a blue background" --output=models
"""
import os
import re

from absl import flags, logging

from tfopt import cli, export
from tfopt.core.errors import InputError

flags.DEFINE_string("checkpoint", None, "Run directory (bin/train_gan.py, train_stylenet.py or "
                    "train_pix2pix.py --output) or generator.keras.")
flags.DEFINE_string("model", None, "A .keras model file (generator, image network or text-to-image model).")
flags.DEFINE_list("formats", list(export.FORMATS), f"Formats to write, any of: {', '.join(export.FORMATS)}.")
flags.DEFINE_string("model_name", None, "Served model name (default: the checkpoint/model file name).")
flags.DEFINE_integer("version", 1, "Model version: the directory <output>/<model_name>/<version>.")
flags.DEFINE_enum("kind", "auto", ["auto", "generator", "image", "text2image"], "Model kind (auto: from its inputs).")
flags.DEFINE_string("captions", None, "Text-to-image models: comparison captions separated by ';' (default: "
                    "sentences drawn from the model's vocabulary).")
flags.DEFINE_enum("output_range", "auto", ["auto", "tanh", "unit"],
                  "Range of the model's output (auto: tanh for generators, unit [0,1] for image networks).")
flags.DEFINE_enum("input_range", "auto", ["auto", "tanh", "unit"], "Range an image network expects (auto: unit).")
flags.DEFINE_integer("num_samples", 8, "Comparison batch size (z samples for generators).")
flags.DEFINE_list("images", ["astronaut", "chelsea", "coffee", "rocket"],
                  "Image networks: comparison photos (paths or sample names).")
flags.DEFINE_integer("image_size", 128, "Image networks: side of the square comparison/calibration crops.")
flags.DEFINE_list("representative", ["astronaut", "chelsea", "coffee", "rocket", "hubble", "ihc", "china",
                                     "flower"], "Image networks: int8 calibration photos (paths or sample names).")
flags.DEFINE_integer("representative_count", 64, "Generators: number of z ~ N(0,1) for int8 calibration.")
flags.DEFINE_integer("timing_runs", 10, "Calls averaged per latency.")
flags.DEFINE_boolean("warmup", True, "Write assets.extra/tf_serving_warmup_requests (needs tensorflow-serving-api: "
                     "pip install -e '.[serving]'; skipped with one line on stderr without it).")
cli.define_common_flags()
FLAGS = flags.FLAGS

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)  # TensorFlow's save/convert INFO lines are noise here

    for name in ("version", "num_samples", "image_size", "representative_count", "timing_runs"):
        cli.check_positive(name, getattr(FLAGS, name))
    for fmt in FLAGS.formats:
        cli.check_choice("formats", fmt, export.FORMATS)
    if (FLAGS.checkpoint is None) == (FLAGS.model is None):
        raise InputError("expected exactly one of --checkpoint=RUN_DIR or --model=FILE.keras; received: "
                         f"--checkpoint={FLAGS.checkpoint}, --model={FLAGS.model}")
    source = FLAGS.checkpoint or FLAGS.model
    model_name = FLAGS.model_name or os.path.splitext(os.path.basename(os.path.normpath(source)))[0]
    if not _NAME.match(model_name or ""):
        raise InputError(f"expected model_name of letters, digits, _ . -; received: model_name={model_name!r}")
    captions = None if FLAGS.captions is None else export.parse_captions(FLAGS.captions)
    cli.set_seed(FLAGS.seed)
    model, config = export.load_for_export(checkpoint=FLAGS.checkpoint, model=FLAGS.model)
    given = {name: getattr(FLAGS, name) if getattr(FLAGS, name) != "auto" else config.get(name, "auto")
             for name in ("kind", "input_range", "output_range")}  # a run says what it is; flags win
    spec = export.describe_model(model, latent_dim=config.get("latent_dim"), num_classes=config.get("num_classes"),
                                 multiple=config.get("multiple", 1), **given)
    if captions is not None and spec.kind != "text2image":
        raise InputError(f"expected --captions only for a text-to-image model; received a {spec.kind} model")
    images = representative = None
    if spec.kind == "image":
        channels = spec.image_shape[-1]
        images = export.photo_batch(FLAGS.images, FLAGS.image_size, channels=channels)
        if "tflite_int8" in FLAGS.formats:
            representative = export.photo_batch(FLAGS.representative, FLAGS.image_size, channels=channels)
    version_dir = os.path.join(FLAGS.output, model_name, str(FLAGS.version))
    with cli.output_dir(version_dir, overwrite=FLAGS.overwrite) as outdir:
        summary = export.export_model(
            model, outdir, spec=spec, formats=FLAGS.formats, model_name=model_name, num_samples=FLAGS.num_samples,
            seed=FLAGS.seed, images=images, representative_images=representative,
            representative_count=FLAGS.representative_count, timing_runs=FLAGS.timing_runs, warmup=FLAGS.warmup,
            captions=captions, quiet=FLAGS.quiet)
    unknown = summary.get("text2image", {}).get("unknown_words")
    if unknown and not FLAGS.quiet:
        print(f"unknown words (read as [UNK]): {', '.join(unknown)}")
    if not FLAGS.quiet:
        print(f"wrote {version_dir}")


if __name__ == "__main__":
    cli.run(main)
