"""Translates images with a trained pix2pix generator (any size: padded to its multiple, cropped back).

    python bin/translate.py --checkpoint=runs/labels2photo --input=label_map.png --output=out
    python bin/translate.py --checkpoint=runs/edges2photo --input=edges/ --output=out --test_mode=batch

Writes, in --output (a new directory, or --overwrite): one PNG per input (same name),
translations.png (input | output) and summary.json. --test_mode defaults to the run's:
inference (moving batch-norm statistics, no dropout) or batch (the paper's test-time
batch statistics and dropout; the stored model is not changed).
"""
from absl import flags, logging

from tfopt import cli

flags.DEFINE_string("checkpoint", None, "A pix2pix run directory (bin/train_pix2pix.py --output).")
flags.DEFINE_list("input", None, "Input images: files, folders of images, or sample photo names.")
flags.DEFINE_enum("test_mode", None, ["inference", "batch"], "Test-time batch statistics (default: the run's).")
flags.mark_flags_as_required(["checkpoint", "input"])
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    from tfopt.core import files
    from tfopt.pix2pix.translator import translate_files

    cli.set_seed(FLAGS.seed)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = translate_files(FLAGS.checkpoint, FLAGS.input, outdir, test_mode=FLAGS.test_mode,
                                  quiet=FLAGS.quiet)
        files.write_summary(outdir, summary)
    if not FLAGS.quiet:
        print(f"translated {len(summary['images'])} image(s) with {summary['model']} -> {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
