"""Trains the small CNN classifier and writes model.keras, summary.json and PNGs.

    python bin/train_classifier.py --dataset=digits --output=runs/digits [--epochs=16]
    python bin/train_classifier.py --output=runs/robust --adversarial=pgd --eps=0.3 --steps=5 --step_size=0.1

--adversarial=pgd trains on PGD examples (Madry et al.: every batch replaced by its
untargeted Linf PGD-K examples with a random start, eps ramped up over --ramp_epochs; by
default half the loss stays on the clean batch, --clean_weight=0 is Madry's recipe);
summary.json then also holds the settings and the clean and PGD-40 test accuracy at --eps
(step 0.01, one random start, judged by re-predicting the returned images).

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
flags.DEFINE_string("adversarial", "none", "none | pgd (Madry et al. PGD adversarial training).")
flags.DEFINE_float("eps", 0.3, "--adversarial=pgd: Linf radius in [0, 1] pixel units, in (0, 1].")
flags.DEFINE_integer("steps", 5, "--adversarial=pgd: PGD iterations per batch.")
flags.DEFINE_float("step_size", 0.1, "--adversarial=pgd: absolute step of the signed gradient at the full eps.")
flags.DEFINE_integer("ramp_epochs", 4, "--adversarial=pgd: epochs over which eps grows linearly (0: none).")
flags.DEFINE_float("clean_weight", 0.5, "--adversarial=pgd: weight of the clean examples' loss in [0, 1) "
                   "(0: adversarial examples only, as Madry et al.; that collapses to chance on digits at eps 0.3).")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    cli.check_positive("epochs", FLAGS.epochs)
    cli.check_positive("batch_size", FLAGS.batch_size)
    cli.check_choice("adversarial", FLAGS.adversarial, ["none", "pgd"])
    cli.check_positive("eps", FLAGS.eps)
    cli.check_in_range("eps", FLAGS.eps, 0.0, 1.0)
    cli.check_positive("steps", FLAGS.steps)
    cli.check_positive("step_size", FLAGS.step_size)
    cli.check_nonnegative("ramp_epochs", FLAGS.ramp_epochs)
    if not 0 <= FLAGS.clean_weight < 1:
        raise cli.InputError(f"expected 0 <= clean_weight < 1; received: clean_weight={FLAGS.clean_weight!r}")
    from tfopt.attacks.pgd_training import PGDTraining
    from tfopt.models.digits import train_and_save

    adversarial = None
    if FLAGS.adversarial == "pgd":
        adversarial = PGDTraining(eps=FLAGS.eps, steps=FLAGS.steps, step_size=FLAGS.step_size,
                                  ramp_epochs=FLAGS.ramp_epochs, clean_weight=FLAGS.clean_weight)
    cli.set_seed(FLAGS.seed)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = train_and_save(outdir, dataset=FLAGS.dataset, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                                 seed=FLAGS.seed, data_dir=FLAGS.data_dir, quiet=FLAGS.quiet, adversarial=adversarial)
    robust = ""
    if adversarial is not None:
        robust = f", PGD-40 accuracy at eps {FLAGS.eps:g} {summary['pgd_test_accuracy']:.4f}"
    print(f"train_classifier: test_accuracy {summary['test_accuracy']:.4f}{robust} after {summary['epochs']} epochs "
          f"in {summary['train_seconds']} s; wrote {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
