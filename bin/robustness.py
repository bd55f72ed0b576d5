"""Robust accuracy of a classifier under a suite of Linf attacks, and the worst case over them.

    python bin/robustness.py --output=runs/robust --model=digits_cnn_robust --eps=0.3 --num_images=200
    python bin/robustness.py --output=runs/robust --attacks=pgd40,apgd_ce --eps=0.2

Runs FGSM, PGD-40, PGD-40 with 10 restarts, APGD-CE and the targeted APGD-DLR (AutoAttack's
APGD-T) at one eps, judges each by predicting its images again, and counts an image as robust
only if it survives every attack. Writes summary.json (the table), table.md, worst_case.png
(clean images, magnified perturbations, and the first attack's image that fooled each one) and
worst_case.npz (x, x_worst, y, pred_worst).
"""
from absl import flags

from tfopt import cli

flags.DEFINE_string("model", "digits_cnn_robust", "Model name (digits_cnn_robust, digits_cnn, ...) or a .keras file.")
flags.DEFINE_string("weights", None, "Weights: the model's default, random, or a file.")
flags.DEFINE_float("eps", 0.3, "Linf radius, absolute in [0, 1] pixel units.")
flags.DEFINE_list("attacks", ["fgsm", "pgd40", "pgd40_x10", "apgd_ce", "apgd_dlr_targeted"], "Attacks of the suite.")
flags.DEFINE_string("dataset", "digits", "digits (offline) or a TFDS name; its test split is attacked.")
flags.DEFINE_integer("num_images", 200, "Images taken from --dataset.")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    cli.check_in_range("eps", FLAGS.eps, 0.0, 1.0)
    cli.check_positive("num_images", FLAGS.num_images)
    from tfopt.attacks.robustness import SUITE  # TensorFlow loads here, after the plain flag checks
    from tfopt.attacks.robustness_run import run_robustness

    if not FLAGS.attacks:
        cli.fail(f"expected --attacks from {', '.join(SUITE)}; received none")
    for name in FLAGS.attacks:
        cli.check_choice("an attack", name, SUITE)
    cli.set_seed(FLAGS.seed)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = run_robustness(outdir, model=FLAGS.model, weights=FLAGS.weights, eps=FLAGS.eps,
                                 attacks=tuple(FLAGS.attacks), dataset=FLAGS.dataset, num_images=FLAGS.num_images,
                                 seed=FLAGS.seed, quiet=FLAGS.quiet)
    if not FLAGS.quiet:
        rows = ", ".join(f"{k} {v['accuracy']:.3f}" for k, v in summary["attacks"].items())
        print(f"robustness at eps {FLAGS.eps}: clean {summary['clean_accuracy']:.3f}, {rows}, "
              f"worst case {summary['worst_case']['accuracy']:.3f} -> {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
