"""Trains a feed-forward style transfer network (Johnson et al.) for one style.

    python bin/train_stylenet.py --output=runs/ihc_net --style=ihc
    python bin/train_stylenet.py --output=runs/net --style=my_style.jpg --content_dir=photos/ --steps=4000
    python bin/stylize.py --output=runs/fast --model=runs/ihc_net --image=astronaut

Trains on random crops of --content_dir (offline default: the sample photos) with the
same perceptual loss as bin/style.py. Writes stylenet.keras (loadable with
safe_mode=True; [B, H, W, 3] in [0, 1] -> same), preview.png, loss.png and summary.json.
"""
from absl import flags

from tfopt import cli
from tfopt.cli import style_flags

flags.DEFINE_list("style", ["ihc"], "Style image(s): files or sample names.")
flags.DEFINE_list("style_blend", [], "Blend weights of several style images (default equal).")
flags.DEFINE_string("content_dir", None, "Directory of content images (default: the sample photos).")
flags.DEFINE_string("preview", "chelsea", "Image stylized for preview.png.")
flags.DEFINE_integer("steps", 400, "Training steps.")
flags.DEFINE_integer("batch_size", 4, "Content crops per step.")
flags.DEFINE_integer("crop_size", 128, "Side of the square content crops.")
flags.DEFINE_integer("style_size", 256, "Longer side of the style image.")
flags.DEFINE_float("learning_rate", 2e-3, "Adam learning rate.")
flags.DEFINE_list("filters", ["16", "32", "64"], "Widths of the network's three stages (Johnson: 32,64,128).")
flags.DEFINE_integer("residual_blocks", 3, "Residual blocks (Johnson: 5).")
style_flags.define_loss_flags()
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    from tfopt.core.errors import InputError
    from tfopt.style.fast import TrainConfig
    from tfopt.style.run import run_train

    for name in ("steps", "batch_size", "crop_size", "style_size", "learning_rate"):
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
    cli.set_seed(FLAGS.seed)
    config = TrainConfig(steps=FLAGS.steps, batch_size=FLAGS.batch_size, crop_size=FLAGS.crop_size,
                         learning_rate=FLAGS.learning_rate, style_size=FLAGS.style_size, filters=filters,
                         residual_blocks=FLAGS.residual_blocks, blend=blend,
                         weights=style_flags.loss_weights(FLAGS),
                         seed=FLAGS.seed, progress=not FLAGS.quiet).validate()
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        s = run_train(outdir, styles=FLAGS.style, config=config, content=FLAGS.content_dir, weights=FLAGS.weights,
                      preview=FLAGS.preview)
    if not FLAGS.quiet:
        print(f"loss {s['initial_loss']['total']:.4g} -> {s['final_loss']['total']:.4g} in {s['steps']} steps, "
              f"{s['seconds']:.1f} s; VGG19 weights: {s['vgg19_weights']} -> {FLAGS.output}/stylenet.keras")


if __name__ == "__main__":
    cli.run(main)
