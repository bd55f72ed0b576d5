"""Trains a GAN of the model zoo (GAN, DCGAN, class-conditional DCGAN, BigGAN, progressive GAN); resumes in place.

Writes ``<output>/config.json``, ``ckpt/``, ``generator.keras`` (EMA weights if
enabled), ``samples.png``, ``samples/step_*.png``, ``losses.png``, ``logs/``
(TensorBoard) and ``summary.json`` (what the model is and adds to its paper's, steps,
seconds, FID, KID, class histogram). Re-running the same command continues from the
latest checkpoint; a different configuration in a non-empty ``--output`` is refused
unless ``--overwrite``. Every field of ``tfopt.gan.GANConfig`` is a flag.

Example:
    python bin/train_gan.py --output=runs/dcgan
    python bin/train_gan.py --model=cdcgan --output=runs/cdcgan
    python bin/train_gan.py --dataset=my_pngs/ --image_size=64 --output=runs/mine
    python bin/train_gan.py --model=gan --loss=minimax --optimizer=sgd --output=runs/gan
    python bin/train_gan.py --model=progressive --resolution=32 --fid_every=100 --output=runs/pggan
    python bin/train_gan.py --strategy=mirrored --batch_size=256 --output=runs/dcgan_gpus
    TF_CONFIG='{"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 0}}' \\
        python bin/train_gan.py --strategy=multi_worker --output=/shared/runs/dcgan
"""
from absl import flags, logging

from tfopt import cli, distribute
from tfopt.cli.config_flags import config_from_flags, define_config_flags
from tfopt.gan import zoo
from tfopt.gan.config import GANConfig

cli.define_common_flags()
define_config_flags(GANConfig, choices={"model": zoo.names()})
flags.DEFINE_enum("strategy", "default", list(distribute.STRATEGIES), "tf.distribute strategy.")
flags.DEFINE_list("devices", None, "Devices for one_device/mirrored, e.g. /gpu:0,/gpu:1.")
flags.DEFINE_integer("resolution", None, "The final image side in px: the same as --image_size (progressive GAN's name).")
flags.DEFINE_integer("cpu_replicas", 0, "Split the CPU into this many logical devices (testing mirrored on a CPU).")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)  # checkpoint INFO lines are noise here
    cli.check_nonnegative("cpu_replicas", FLAGS.cpu_replicas)
    config = config_from_flags(GANConfig, FLAGS)
    if FLAGS.resolution is not None:
        config = config.replace(image_size=FLAGS.resolution)
    config = config.resolved()
    if FLAGS.cpu_replicas:  # after the flag checks: TensorFlow loads here
        distribute.use_logical_cpus(FLAGS.cpu_replicas)
    from tfopt.gan.trainer import train
    strategy = distribute.get_strategy(FLAGS.strategy, devices=FLAGS.devices)
    summary = train(config, FLAGS.output, strategy=strategy, overwrite=FLAGS.overwrite, quiet=FLAGS.quiet)
    if not FLAGS.quiet and "fid" in summary:
        extra = f" class_accuracy={summary['class_accuracy']:.3f}" if "class_accuracy" in summary else ""
        print(f"{FLAGS.output}: {summary['model']['title']} steps={summary['steps']} fid={summary['fid']:.3f} "
              f"kid={summary['kid']:.4f} min_class_share={summary['min_class_share']:.3f} "
              f"mean_confidence={summary['mean_confidence']:.3f}{extra}")


if __name__ == "__main__":
    cli.run(main)
