"""Adversarial examples: FGSM, BIM, PGD (Linf/L2), MIM, C&W L2 or APGD (AutoAttack's) against a classifier.

    python bin/attack.py --output=runs/pgd --method=pgd --eps=0.3 --steps=40 --step_size=0.01
    python bin/attack.py --output=runs/to3 --target=3 --eps=0.2 --early_stop
    python bin/attack.py --output=runs/cw --method=cw_l2 --steps=100 --num_images=50
    python bin/attack.py --output=runs/apgd --method=apgd_dlr --eps=0.1 --steps=100   # APGD-T, no step size
    python bin/attack.py --output=runs/ostrich --images=chelsea --target=ostrich --eps=0.0157 \
        --steps=20 --step_size=0.002                                   # EfficientNet-Lite0, offline; eps 4/255
    python bin/attack.py --output=runs/vgg --model=vgg16 --weights=vgg16.h5 --images=chelsea --target=ostrich

Writes clean/NNN.png and adversarial/NNN.png (8-bit; the adversarial ones within eps of the
clean ones, measured on the PNGs), adversarial.npz (x, x_adv: the PNGs' values, x_adv_float,
y_true, y_target (-1 untargeted), pred_adv, ...), adversarial.png (originals, magnified
perturbations, adversarials with predictions) and summary.json, whose numbers come from
re-predicting the saved PNGs with a freshly loaded model. See docs/attacks.md.
"""
from absl import flags

from tfopt import cli

flags.DEFINE_string("model", None, "Model name (digits_cnn, digits_cnn_robust, efficientnet_lite0, vgg16, vgg19, resnet50, "
                    "inception_v3, mobilenet_v2) or a .keras/.h5 file (default: efficientnet_lite0, ImageNet "
                    "offline, when --images are given, else digits_cnn).")
flags.DEFINE_string("weights", None, "Weights: imagenet | random | a file (default: the model's default, the "
                    "trained digits CNN or ImageNet).")
flags.DEFINE_enum("method", "pgd", ["fgsm", "bim", "pgd", "mim", "cw_l2", "apgd_ce", "apgd_dlr"],
                  "Attack. apgd_ce / apgd_dlr: AutoAttack's APGD with the cross-entropy or DLR loss (step size "
                  "from eps, --step_size unused); apgd_dlr without --target is APGD-T.")
flags.DEFINE_enum("norm", "linf", ["linf", "l2"], "Threat model of the gradient attacks (cw_l2 is always L2).")
flags.DEFINE_float("eps", 0.3, "Radius of the norm ball, absolute in [0, 1] pixel units.")
flags.DEFINE_integer("steps", 40, "Iterations (cw_l2: Adam steps per binary-search round).")
flags.DEFINE_float("step_size", 0.01, "Absolute step size in [0, 1] pixel units (fgsm uses eps).")
flags.DEFINE_integer("restarts", 1, "PGD, APGD: random restarts, run in one batch; the worst case per image is "
                     "kept.")
flags.DEFINE_boolean("random_start", True, "PGD: start at a random point of the eps ball.")
flags.DEFINE_enum("loss", "ce", ["ce", "margin"], "Gradient attacks: cross-entropy or C&W margin of the logits.")
flags.DEFINE_boolean("early_stop", False, "Stop images that already succeed (cw_l2: early abort when stalled).")
flags.DEFINE_float("decay", 1.0, "MIM: momentum decay.")
flags.DEFINE_float("kappa", 0.0, "cw_l2: confidence margin in logits.")
flags.DEFINE_float("learning_rate", 0.1, "cw_l2: Adam learning rate.")
flags.DEFINE_integer("search_steps", 5, "cw_l2: binary-search rounds over the constant c.")
flags.DEFINE_float("initial_const", 1.0, "cw_l2: c of the first round.")
flags.DEFINE_integer("n_target_classes", 9, "apgd_dlr without --target (APGD-T): runner-up classes of the clean "
                     "logits attacked as targets, in [1, classes - 1].")
flags.DEFINE_string("target", None, "Target class index or name (e.g. 3, ostrich); unset: untargeted.")
flags.DEFINE_list("images", [], "Image files or sample names (astronaut, chelsea, ...) instead of --dataset.")
flags.DEFINE_list("labels", [], "True labels of --images (indices or names); default: the clean predictions.")
flags.DEFINE_string("dataset", "digits", "digits (offline) or a TFDS name; its test split is attacked.")
flags.DEFINE_integer("num_images", 100, "Images taken from --dataset.")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    for name in ("eps", "steps", "step_size", "restarts", "num_images", "learning_rate", "search_steps",
                 "initial_const"):
        cli.check_positive(name, getattr(FLAGS, name))
    for name in ("decay", "kappa"):
        cli.check_nonnegative(name, getattr(FLAGS, name))
    if (FLAGS.norm == "linf" and FLAGS.method != "cw_l2") or FLAGS.method.startswith("apgd"):
        cli.check_in_range("eps", FLAGS.eps, 0.0, 1.0)
    from tfopt.attacks.run import AttackConfig, run_attack  # after the flag checks: TensorFlow loads here

    cli.set_seed(FLAGS.seed)
    config = AttackConfig(
        model=FLAGS.model, weights=FLAGS.weights, method=FLAGS.method, norm=FLAGS.norm, eps=FLAGS.eps,
        steps=FLAGS.steps, step_size=FLAGS.step_size, restarts=FLAGS.restarts, random_start=FLAGS.random_start,
        loss=FLAGS.loss, early_stop=FLAGS.early_stop, decay=FLAGS.decay, kappa=FLAGS.kappa,
        learning_rate=FLAGS.learning_rate, search_steps=FLAGS.search_steps, initial_const=FLAGS.initial_const,
        n_target_classes=FLAGS.n_target_classes,
        target=FLAGS.target or None, images=tuple(FLAGS.images), labels=tuple(FLAGS.labels),
        dataset=FLAGS.dataset, num_images=FLAGS.num_images, seed=FLAGS.seed, quiet=FLAGS.quiet)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = run_attack(config, outdir)
    if not FLAGS.quiet:
        print(f"{summary['method']}: success {summary['success_rate']:.4f}, adv accuracy "
              f"{summary['adv_accuracy']:.4f} (clean {summary['clean_accuracy']:.4f}), linf max "
              f"{summary['linf_max']:.4f}, l2 mean {summary['l2_mean']:.4f}, {summary['seconds']} s -> {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
