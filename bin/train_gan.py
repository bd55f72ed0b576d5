"""Trains a GAN (Goodfellow's MLP GAN or DCGAN) and resumes in place after a restart.

Writes ``<output>/config.json``, ``ckpt/``, ``generator.keras`` (EMA weights if
enabled), ``samples.png``, ``samples/step_*.png``, ``losses.png``, ``logs/``
(TensorBoard) and ``summary.json`` (steps, seconds, FID, KID, class histogram).
Re-running the same command continues from the latest checkpoint; a different
configuration in a non-empty ``--output`` is refused unless ``--overwrite``.

Example:
    python bin/train_gan.py --output=runs/dcgan
    python bin/train_gan.py --model=gan --loss=minimax --optimizer=sgd --output=runs/gan
    python bin/train_gan.py --strategy=mirrored --batch_size=256 --output=runs/dcgan_gpus
    TF_CONFIG='{"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 0}}' \\
        python bin/train_gan.py --strategy=multi_worker --output=/shared/runs/dcgan
"""
from absl import flags, logging

from tfopt import cli, distribute
from tfopt.gan import losses
from tfopt.gan.config import OPTIMIZERS, GANConfig

_D = GANConfig()
flags.DEFINE_enum("model", _D.model, ["dcgan", "gan"], "dcgan (Radford 2016) or gan (Goodfellow 2014 MLP/maxout).")
flags.DEFINE_string("dataset", _D.dataset, "digits (offline) or a TFDS name: mnist, fashion_mnist, cifar10, ...")
flags.DEFINE_string("data_dir", None, "TFDS data directory.")
flags.DEFINE_integer("image_size", _D.image_size, "Image side (DCGAN: a power of two, 32 or 64).")
flags.DEFINE_integer("latent_dim", _D.latent_dim,
                     "Noise dimension, code entries included (default: 40 code + 8 continuous; DCGAN used 100).")
flags.DEFINE_integer("filters", _D.filters, "DCGAN width (filters of D's first / G's last layer).")
flags.DEFINE_integer("categorical_codes", _D.categorical_codes,
                     "InfoGAN categorical code size, read from the first entries of z (0 = off; < latent_dim).")
flags.DEFINE_float("info_weight", _D.info_weight, "Weight of the InfoGAN mutual-information penalty.")
flags.DEFINE_enum("d_norm", _D.d_norm, ["auto", "batch", "layer", "none"],
                  "Discriminator normalization (auto: layer norm with wasserstein, else batch norm).")
flags.DEFINE_enum("loss", _D.loss, list(losses.LOSSES), "Loss family.")
flags.DEFINE_float("gp_weight", None, "Gradient-penalty weight (default 10 with wasserstein, else 0).")
flags.DEFINE_integer("k_d_steps", _D.k_d_steps, "Discriminator steps per generator step (Algorithm 1's k).")
flags.DEFINE_integer("batch_size", _D.batch_size, "Global batch size (split over replicas).")
flags.DEFINE_integer("steps", _D.steps, "Generator steps in total (a resumed run continues to this).")
flags.DEFINE_enum("optimizer", _D.optimizer, list(OPTIMIZERS), "adam (DCGAN) or sgd with momentum (Goodfellow).")
flags.DEFINE_float("learning_rate", None, "Learning rate (default 2e-4 for adam, 0.01 for sgd).")
flags.DEFINE_float("beta_1", _D.beta_1, "Adam beta_1.")
flags.DEFINE_float("momentum", _D.momentum, "SGD momentum.")
flags.DEFINE_float("ema_decay", _D.ema_decay, "Generator weight EMA decay; 0 disables.")
flags.DEFINE_boolean("sync_batch_norm", _D.sync_batch_norm, "Batch statistics over all replicas.")
flags.DEFINE_string("augment", _D.augment, "DiffAugment for D's inputs: translation, cutout, both (comma) or empty.")
flags.DEFINE_integer("checkpoint_every", _D.checkpoint_every, "Steps between checkpoints.")
flags.DEFINE_integer("sample_every", _D.sample_every, "Steps between sample grids.")
flags.DEFINE_integer("log_every", _D.log_every, "Steps between logged scalars.")
flags.DEFINE_integer("eval_samples", _D.eval_samples, "Samples for FID/KID/class histogram at the end (0 skips).")
flags.DEFINE_enum("feature_network", _D.feature_network, ["digits", "inception"],
                  "FID/KID features: digits classifier (offline) or InceptionV3 (ImageNet weights).")
flags.DEFINE_enum("strategy", "default", list(distribute.STRATEGIES), "tf.distribute strategy.")
flags.DEFINE_list("devices", None, "Devices for one_device/mirrored, e.g. /gpu:0,/gpu:1.")
flags.DEFINE_integer("cpu_replicas", 0, "Split the CPU into this many logical devices (testing mirrored on a CPU).")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)  # checkpoint INFO lines are noise here
    from tfopt.gan.trainer import train

    cli.check_nonnegative("cpu_replicas", FLAGS.cpu_replicas)
    if FLAGS.cpu_replicas:
        distribute.use_logical_cpus(FLAGS.cpu_replicas)
    config = GANConfig(
        model=FLAGS.model, dataset=FLAGS.dataset, image_size=FLAGS.image_size, latent_dim=FLAGS.latent_dim,
        filters=FLAGS.filters, categorical_codes=FLAGS.categorical_codes, info_weight=FLAGS.info_weight,
        d_norm=FLAGS.d_norm, loss=FLAGS.loss, gp_weight=FLAGS.gp_weight,
        k_d_steps=FLAGS.k_d_steps, batch_size=FLAGS.batch_size, steps=FLAGS.steps, optimizer=FLAGS.optimizer,
        learning_rate=FLAGS.learning_rate, beta_1=FLAGS.beta_1, momentum=FLAGS.momentum,
        ema_decay=FLAGS.ema_decay or None, sync_batch_norm=FLAGS.sync_batch_norm, augment=FLAGS.augment,
        seed=FLAGS.seed,
        checkpoint_every=FLAGS.checkpoint_every, sample_every=FLAGS.sample_every, log_every=FLAGS.log_every,
        eval_samples=FLAGS.eval_samples, feature_network=FLAGS.feature_network, data_dir=FLAGS.data_dir,
    ).resolved()
    strategy = distribute.get_strategy(FLAGS.strategy, devices=FLAGS.devices)
    summary = train(config, FLAGS.output, strategy=strategy, overwrite=FLAGS.overwrite, quiet=FLAGS.quiet)
    if not FLAGS.quiet and "fid" in summary:
        print(f"{FLAGS.output}: steps={summary['steps']} fid={summary['fid']:.3f} kid={summary['kid']:.4f} "
              f"min_class_share={summary['min_class_share']:.3f} mean_confidence={summary['mean_confidence']:.3f}")


if __name__ == "__main__":
    cli.run(main)
