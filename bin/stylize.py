"""Applies a trained style network (bin/train_stylenet.py) to any image, in one pass.

    python bin/stylize.py --output=runs/fast --model=runs/ihc_net --image=astronaut
    python bin/stylize.py --output=runs/big --model=runs/ihc_net/stylenet.keras --image=photo.jpg --size=1024

Writes stylized.png, side_by_side.png (input, stylized) and summary.json (seconds per pass).
"""
from absl import flags

from tfopt import cli

flags.DEFINE_string("model", None, "stylenet.keras, or the directory of a bin/train_stylenet.py run.")
flags.DEFINE_string("image", "chelsea", "Image to stylize: a file or a sample name.")
flags.DEFINE_integer("size", None, "Resize the image's longer side to this first (default: as is).")
flags.mark_flag_as_required("model")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    from tfopt.style.run import run_stylize

    if FLAGS.size is not None:
        cli.check_positive("size", FLAGS.size)
    cli.set_seed(FLAGS.seed)
    from tfopt.style.fast import load_stylenet

    load_stylenet(FLAGS.model)  # bad model -> exit 2 before any output directory exists
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        s = run_stylize(outdir, model=FLAGS.model, image=FLAGS.image, size=FLAGS.size)
    if not FLAGS.quiet:
        print(f"stylized {s['shape'][0]}x{s['shape'][1]} in {s['seconds'] * 1000:.1f} ms -> {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
