"""Trains the small CNN classifier and writes model.keras, summary.json and PNGs.

    python bin/train_classifier.py --dataset=digits --output=runs/digits [--epochs=16]

--dataset is "digits" (sklearn's real handwritten digits, offline) or a TFDS name
(mnist, fashion_mnist, cifar10, ...; needs network or --data_dir with a prepared copy).
Writes OUTPUT/model.keras, OUTPUT/summary.json (test_accuracy, train_seconds, ...),
OUTPUT/confusion.png and OUTPUT/predictions.png.
"""
from absl import flags

from tfopt import cli

flags.DEFINE_string("dataset", "digits", "'digits' (offline) or a TFDS image-classification name.")
flags.DEFINE_integer("epochs", 16, "Passes over the training split.")
flags.DEFINE_integer("batch_size", 64, "Examples per training step.")
flags.DEFINE_string("data_dir", None, "TFDS data directory (a prepared copy needs no download).")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    from tfopt.models.digits import train_and_save

    cli.check_positive("epochs", FLAGS.epochs)
    cli.check_positive("batch_size", FLAGS.batch_size)
    cli.set_seed(FLAGS.seed)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = train_and_save(outdir, dataset=FLAGS.dataset, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                                 seed=FLAGS.seed, data_dir=FLAGS.data_dir, quiet=FLAGS.quiet)
    print(f"train_classifier: test_accuracy {summary['test_accuracy']:.4f} after {summary['epochs']} epochs "
          f"in {summary['train_seconds']} s; wrote {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
