"""What the network sees: class models, fooling images and feature inversion.

    python bin/visualize.py --mode=class   --output=runs/class     # digits, with and without TV
    python bin/visualize.py --mode=fooling --output=runs/fooling   # 10 digits at 0.9999 confidence
    python bin/visualize.py --mode=invert  --output=runs/invert --index=3 --restarts=5
    python bin/visualize.py --mode=fooling --classes="parking meter,ostrich" --output=runs/o  # EfficientNet-Lite0
    python bin/visualize.py --mode=class --classes=ostrich,pizza --output=runs/c             # EfficientNet-Lite0
    python bin/visualize.py --mode=invert --model=vgg16 --image=chelsea --restarts=2 --output=runs/i  # block1..5
    python bin/visualize.py --mode=invert --image=chelsea --output=runs/e    # EfficientNet-Lite0's penultimate code

Writes PNGs (class_models.png | fooling.png + confidence.png | inversion.png), images.npz
and summary.json. See docs/visualize.md.
"""
from absl import flags

from tfopt import cli

flags.DEFINE_enum("mode", "class", ["class", "fooling", "invert"], "Which visualization.")
flags.DEFINE_string("model", None, "Model name (digits_cnn, digits_cnn_robust, efficientnet_lite0, vgg16, vgg19, resnet50, "
                    "inception_v3, mobilenet_v2) or a .keras/.h5 file (default: efficientnet_lite0, ImageNet "
                    "offline, for --image or classes all named by words, else digits_cnn).")
flags.DEFINE_string("weights", None, "imagenet | random | a file (default: the trained digits CNN or ImageNet).")
flags.DEFINE_list("classes", [], "class/fooling: class names or indices (default: all digits, or 5 ImageNet).")
flags.DEFINE_integer("steps", None, "Optimizer steps (default: class 300 for digits, 120 for ImageNet; fooling "
                     "500; invert 300).")
flags.DEFINE_float("learning_rate", None, "Step size (default: class 0.02 (digits) or 0.03 (ImageNet) and invert "
                   "0.05 for Adam; fooling 0.008, the RMS pixel change of a normalized-gradient step).")
flags.DEFINE_float("l2", None, "class: weight of the L2 prior (distance from grey; default 100 digits, 30 ImageNet).")
flags.DEFINE_float("tv", None, "class/fooling: TV^beta weight of the regularized run (default: class 300 digits, "
                   "100 ImageNet; fooling 300).")
flags.DEFINE_boolean("compare_tv", True, "class/fooling: run twice, without and with TV (else once, with --tv).")
flags.DEFINE_float("tv_beta", 2.0, "class/fooling/invert: TV exponent beta.")
flags.DEFINE_integer("jitter", 1, "class: random shift in pixels every step.")
flags.DEFINE_float("blur", 0.0, "class: weight of the blur penalty.")
flags.DEFINE_enum("param", None, ["pixel", "fft"], "class: ascend the pixels or a scaled Fourier spectrum "
                  "(default: pixel for digits, fft for ImageNet).")
flags.DEFINE_boolean("robust", None, "class: random scale and rotation besides the jitter (default: ImageNet only).")
flags.DEFINE_float("threshold", 0.9999, "fooling: stop each image at this target probability.")
flags.DEFINE_float("noise", 0.01, "fooling: std of the Gaussian noise on the mean image.")
flags.DEFINE_enum("objective", "logprob", ["logprob", "prob"], "fooling: ascend log p or p.")
flags.DEFINE_list("layers", [], "invert: layers whose codes are inverted, one run each (default: the "
                  "penultimate; for vgg16/vgg19 the last convolution of each block).")
flags.DEFINE_integer("restarts", 5, "invert: number of reconstructions.")
flags.DEFINE_string("image", None, "invert: image file or sample name (default: digits test image --index; "
                    "chelsea for photo models).")
flags.DEFINE_integer("size", 128, "invert: side of the square photo for networks of free input size (vgg16).")
flags.DEFINE_integer("index", 0, "invert: index into the digits test split.")
flags.DEFINE_float("inv_tv", None, "invert: TV^beta weight (default 1; 100 for an ImageNet classifier's code).")
flags.DEFINE_float("alpha", 6.0, "invert: alpha-norm exponent.")
flags.DEFINE_float("alpha_weight", 1.0, "invert: alpha-norm weight.")
flags.DEFINE_float("init_noise", 0.2, "invert: std of the random starts.")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    for name in ("steps", "learning_rate"):
        if getattr(FLAGS, name) is not None:
            cli.check_positive(name, getattr(FLAGS, name))
    for name in ("restarts", "tv_beta", "alpha", "size"):
        cli.check_positive(name, getattr(FLAGS, name))
    for name in ("l2", "tv", "jitter", "blur", "noise", "index", "inv_tv", "alpha_weight", "init_noise"):
        if getattr(FLAGS, name) is not None:
            cli.check_nonnegative(name, getattr(FLAGS, name))
    cli.check_in_range("threshold", FLAGS.threshold, 1e-6, 1 - 1e-7)
    from tfopt.visualize.run import VisualizeConfig, run_visualize  # after the flag checks: TensorFlow loads here

    cli.set_seed(FLAGS.seed)
    config = VisualizeConfig(
        mode=FLAGS.mode, model=FLAGS.model, weights=FLAGS.weights, classes=tuple(FLAGS.classes), steps=FLAGS.steps,
        learning_rate=FLAGS.learning_rate, l2=FLAGS.l2, tv=FLAGS.tv, tv_beta=FLAGS.tv_beta, jitter=FLAGS.jitter,
        blur=FLAGS.blur, param=FLAGS.param, robust=FLAGS.robust, compare_tv=FLAGS.compare_tv,
        threshold=FLAGS.threshold, noise=FLAGS.noise, objective=FLAGS.objective, layers=tuple(FLAGS.layers),
        restarts=FLAGS.restarts, image=FLAGS.image, size=FLAGS.size, index=FLAGS.index, inv_tv=FLAGS.inv_tv,
        alpha=FLAGS.alpha, alpha_weight=FLAGS.alpha_weight, init_noise=FLAGS.init_noise, seed=FLAGS.seed,
        quiet=FLAGS.quiet)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = run_visualize(config, outdir)
    if not FLAGS.quiet:
        print(f"visualize --mode={FLAGS.mode}: {_headline(summary)} -> {FLAGS.output}")


def _headline(s):
    if s["mode"] == "class" and "tv_ratio" in s:
        return (f"TV {s['tv_without']:.4f} -> {s['tv_with']:.4f} ({s['tv_ratio']:.2f}x lower), min confidence "
                f"{s['min_confidence_without']:.4f} / {s['min_confidence_with']:.4f}")
    if s["mode"] == "class":
        return f"mean TV {s['mean_total_variation']:.4f}, min confidence {s['min_confidence']:.4f}"
    if s["mode"] == "fooling":
        runs = [s] + ([s["with_tv"]] if "with_tv" in s else [])
        return "; ".join(f"TV {r['tv']:g}: {r['num_reached']}/{r['num_images']} reached {r['threshold']} (min "
                         f"confidence {r['min_confidence']:.5f}, at most {r['max_steps_to_threshold']} steps)"
                         for r in runs)
    return "; ".join(f"{layer}: max error {r['max_error']:.4f}, mean pairwise RMS {r['mean_pairwise_rms']:.4f}"
                     for layer, r in s["per_layer"].items())


if __name__ == "__main__":
    cli.run(main)
