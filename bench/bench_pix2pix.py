"""tfopt's pix2pix step against a plain loop written after the TF pix2pix tutorial: same networks, batch, data.

The baseline is the tutorial's ``train_step`` (tensorflow/docs, site/en/tutorials/generative/pix2pix.ipynb)
in substance: one ``@tf.function`` that runs the generator once under two tapes, the
discriminator on (input, target) and (input, generated), binary cross-entropy from logits,
``gen_loss = BCE(1, D(fake)) + 100 * L1``, ``disc_loss = BCE(1, D(real)) + BCE(0, D(fake))`` (not
halved), and both optimizers applied from that one forward pass. tfopt's step is Algorithm 1
on the GAN core: a D step (generator forward, D on real and fake, D update), then a G step
(generator forward again, D on the fake, G update): two generator forwards and three D forwards
where the tutorial has one and two. So per step tfopt does more work; the table shows what that
costs, and what XLA (tfopt's default for pix2pix) gives back. Both use tfopt's U-Net and 34 px
PatchGAN from the same seed, Adam(2e-4, 0.5), batch 16, 64 px labels2photo tiles, with the default (resize)
decoder; "tfopt (XLA, transposed)" is tfopt's step with the paper's transposed-convolution decoder.

The variants run in turns of ``--chunk`` steps, so a machine shared with other work slows all
alike; the first turn (tracing, compiling) is left out.

Run (not part of the test suite):
    python bench/bench_pix2pix.py
    python bench/bench_pix2pix.py --steps=60 --chunk=20
"""
import argparse
import json
import time

import keras
import tensorflow as tf

from tfopt.pix2pix.config import Pix2PixConfig
from tfopt.pix2pix.train import build_gan, build_networks, load_data, training_stream


def tutorial_step(generator, discriminator, g_opt, d_opt, *, jit):
    """The tutorial's train_step over tfopt's networks (inputs by name), as one tf.function."""
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function(jit_compile=jit)
    def step(input_image, target):
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            gen_output = generator(input_image, training=True)
            disc_real_output = discriminator({"image": target, "condition": input_image}, training=True)
            disc_generated_output = discriminator({"image": gen_output, "condition": input_image}, training=True)
            gan_loss = bce(tf.ones_like(disc_generated_output), disc_generated_output)
            l1_loss = tf.reduce_mean(tf.abs(target - gen_output))
            gen_total_loss = gan_loss + 100.0 * l1_loss
            disc_loss = (bce(tf.ones_like(disc_real_output), disc_real_output)
                         + bce(tf.zeros_like(disc_generated_output), disc_generated_output))
        g_grads = gen_tape.gradient(gen_total_loss, generator.trainable_variables)
        d_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
        return gen_total_loss, disc_loss

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--chunk", type=int, default=30)
    parser.add_argument("--batch_size", type=int, default=16)
    args = parser.parse_args()
    config = Pix2PixConfig(batch_size=args.batch_size).validated()
    _, train_pairs, _ = load_data(config)
    runs = {}
    for name, jit, upsample in (("tfopt (XLA, default)", True, config.upsample), ("tfopt (no XLA)", False,
                                config.upsample), ("tfopt (XLA, transposed)", True, "transpose")):
        keras.utils.set_random_seed(0)
        variant = Pix2PixConfig(batch_size=args.batch_size, jit_compile=jit, upsample=upsample)
        g, d = build_networks(variant)
        gan = build_gan(variant, g, d)
        stream = training_stream(config, train_pairs)
        runs[name] = lambda n, gan=gan, stream=stream: gan.fit(stream, steps_per_epoch=n, epochs=1, verbose=0,
                                                               shuffle=False)
    for name, jit in (("tutorial loop", False), ("tutorial loop + XLA", True)):
        keras.utils.set_random_seed(0)
        g, d = build_networks(config)
        step = tutorial_step(g, d, keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5),
                             jit=jit)
        batches = iter(training_stream(config, train_pairs))

        def loop(n, step=step, batches=batches):
            for _ in range(n):
                batch = next(batches)
                losses = step(batch["condition"], batch["image"])
            float(losses[0])  # wait for the last step

        runs[name] = loop
    seconds = {name: [] for name in runs}
    done = 0
    while done < args.steps:
        n = min(args.chunk, args.steps - done)
        for name, fit in runs.items():
            start = time.perf_counter()
            fit(n)
            seconds[name].append((n, time.perf_counter() - start))
        done += n
        print(f"{done}/{args.steps} steps", flush=True)
    per_step = {k: sum(t for _, t in v[1:] or v) / sum(n for n, _ in v[1:] or v) for k, v in seconds.items()}
    base = per_step["tutorial loop"]
    print(f"\npix2pix step time, batch {args.batch_size}, 64 px, U-Net + 34 px PatchGAN, {args.steps} steps each "
          f"(first {args.chunk} left out)")
    for name, t in per_step.items():
        print(f"  {name:24s} {t * 1000:7.1f} ms/step   {t / base:5.2f} x the tutorial loop")
    print(json.dumps({"seconds_per_step": per_step, "ratio_to_tutorial": {k: v / base for k, v in per_step.items()}}))


if __name__ == "__main__":
    main()
