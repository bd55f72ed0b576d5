"""The tour: every technique of tfopt on offline data, as an HTML gallery.

    python bin/tour.py --output=tour [--only=class,style] [--workers=2] [--overwrite]

Writes OUTPUT/index.html (open it in a browser), OUTPUT/summary.json and one folder of
PNGs per section. Exits 1 when a section failed (the page still shows the others).
"""
import sys

from absl import flags

from tfopt import cli
from tfopt.core.errors import InputError

flags.DEFINE_list("only", [], "Run only the sections whose module names contain one of these.")
flags.DEFINE_integer("workers", 2, "Sections run at once, each in its own process (1: one after another, with "
                     "progress bars).")
cli.define_common_flags(output_required=False)
flags.FLAGS.set_default("output", "tour")
FLAGS = flags.FLAGS


def main(argv):
    from tfopt.tour.runner import run_tour, section_names

    unknown = [o for o in FLAGS.only if not any(o in n for n in section_names())]
    if unknown:
        raise InputError(f"expected --only names among {section_names()}; received: {unknown}")
    cli.check_positive("workers", FLAGS.workers)
    cli.set_seed(FLAGS.seed)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = run_tour(outdir, seed=FLAGS.seed, quiet=FLAGS.quiet, only=FLAGS.only, workers=FLAGS.workers)
    print(f"tour: wrote {FLAGS.output}/index.html in {summary['total_seconds']} s")
    if summary["failed"]:
        print(f"tour: failed sections: {', '.join(summary['failed'])}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    cli.run(main)
