"""tfopt's GAN vs a plain keras-io-style DCGAN loop: same networks, data, optimizer and budget.

The baseline follows keras-io's examples/generative/dcgan_overriding_train_step.py:
one train_step with one discriminator update on ``concat([fake, real])`` with noisy
labels (+0.05 * uniform), binary cross-entropy from Keras, then one generator update
with "misleading" labels; no EMA, no global-batch reduction, no k. It uses the same
DCGAN generator and discriminator as tfopt (built by the same function and seed; the
baseline passes ``training=True`` explicitly so batch norm is in training mode, which
keras-io's original code leaves to the call context; with tfopt's default InfoGAN code the
baseline gets the same noise size without the code layer or Q head, which are what tfopt
adds). keras-io's own discriminator has
no batch norm; ``--baseline_norm=none`` removes it from the baseline's discriminator
(feeding one concatenated real+fake batch through batch norm lets D use batch statistics).

Both are trained in alternating chunks so that a machine shared with other work
slows both alike; the step-time ratio is measured over the same wall-clock periods.
FID/KID/class histogram: 1,000 samples against the 450 test digits, features of
the digits classifier.

Run (not part of the test suite):
    python bench/bench_dcgan.py                 # defaults of bin/train_gan.py
    python bench/bench_dcgan.py --steps=500 --chunk=100
"""
import argparse
import json

import keras
import numpy as np
import tensorflow as tf

from interleave import fit_in_turns
from tfopt import nets
from tfopt.gan import inputs, metrics
from tfopt.gan.config import GANConfig
from tfopt.gan.evaluation import evaluate
from tfopt.gan.trainer import build_gan, make_dataset


class KerasIoGAN(keras.Model):
    """The keras-io DCGAN train_step, unchanged in substance."""

    def __init__(self, discriminator, generator, latent_dim, seed=0):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")
        self.built = True

    def compile(self, d_optimizer, g_optimizer):
        super().compile(optimizer=None, jit_compile=False)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = keras.ops.shape(real_images)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated = self.generator(z, training=True)
        combined = keras.ops.concatenate([generated, real_images], axis=0)
        labels = keras.ops.concatenate([keras.ops.ones((batch_size, 1)), keras.ops.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * keras.random.uniform(keras.ops.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined, training=True))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        misleading = keras.ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            g_loss = self.loss_fn(misleading, self.discriminator(self.generator(z, training=True), training=True))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def _baseline(config, x_train, norm):
    m, d, t, o = config.model, config.data, config.train, config.optimizer
    keras.utils.set_random_seed(t.seed)
    common = dict(image_size=d.image_size, channels=d.channels, filters=m.filters, sync_batch_norm=m.sync_batch_norm)
    g = nets.build("dcgan_generator", latent_dim=m.latent_dim, **common)
    d = nets.build("dcgan_discriminator", norm=norm, **common)
    model = KerasIoGAN(d, g, m.latent_dim, seed=t.seed)
    model.compile(keras.optimizers.Adam(o.learning_rate, beta_1=o.beta_1),
                  keras.optimizers.Adam(o.learning_rate, beta_1=o.beta_1))
    ds = tf.data.Dataset.from_tensor_slices(x_train * 2.0 - 1.0).shuffle(len(x_train), seed=t.seed)
    return model, ds.repeat().batch(t.batch_size, drop_remainder=True).prefetch(2)


def _train_images(config):
    ds, _ = inputs.training_examples(config.data)
    return np.concatenate([b["image"] for b in ds.batch(500).as_numpy_iterator()]) * 0.5 + 0.5


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=GANConfig().resolved().train.steps)
    parser.add_argument("--chunk", type=int, default=250, help="steps per alternating chunk")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--augment", default=None, help="tfopt's DiffAugment policy ('' for none; default: the "
                        "digits recipe's)")
    parser.add_argument("--baseline_norm", default="batch", choices=["batch", "layer", "none"],
                        help="the baseline discriminator's norm (keras-io's own has none)")
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    config = GANConfig.from_flat(steps=args.steps, seed=args.seed, augment=args.augment).resolved(channels=1)
    ours = build_gan(config)
    ours_ds, _ = make_dataset(config)
    x_train = _train_images(config)
    theirs, theirs_ds = _baseline(config, x_train, args.baseline_norm)
    per_step = fit_in_turns({"tfopt": (ours, ours_ds), "keras_io": (theirs, theirs_ds)}, steps=args.steps,
                            chunk=args.chunk)
    real = inputs.reference_examples(config.data)
    net = metrics.digits_feature_network()
    results = {
        "tfopt_ema": evaluate(ours.sampler, real, seed=7, feature_network=net),
        "tfopt_live": evaluate(ours.generator, real, seed=7, feature_network=net),
        "keras_io": evaluate(theirs.generator, real, seed=7, feature_network=net),
    }
    m = config.model
    out = {
        "steps": args.steps, "batch_size": config.train.batch_size, "filters": m.filters,
        "latent_dim": m.latent_dim, "categorical_codes": m.categorical_codes, "augment": m.augment,
        "baseline_norm": args.baseline_norm,
        "seconds_per_step": per_step, "step_time_ratio_tfopt_over_keras_io": per_step["tfopt"] / per_step["keras_io"],
        **{name: {k: r[k] for k in ("fid", "kid", "min_class_share", "mean_confidence", "class_share")}
           for name, r in results.items()},
    }
    print(f"{'':12s} {'FID':>8s} {'KID':>8s} {'min share':>10s} {'mean conf':>10s}")
    for name in results:
        r = out[name]
        print(f"{name:12s} {r['fid']:8.3f} {r['kid']:8.4f} {r['min_class_share']:10.3f} {r['mean_confidence']:10.3f}")
    print(f"seconds/step: tfopt {per_step['tfopt']:.4f}, keras-io {per_step['keras_io']:.4f}, "
          f"ratio {out['step_time_ratio_tfopt_over_keras_io']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
