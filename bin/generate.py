"""Samples images from a trained generator (a bin/train_gan.py run or a generator.keras file).

Writes ``<output>/images.npz`` (``images`` float32 [N, H, W, C] in [0, 1], the noise
``z`` and, for a class-conditional generator, the ``labels``), ``<output>/samples.png``
(a grid of up to 100 images) and ``summary.json``.

Example:
    python bin/generate.py --checkpoint=runs/dcgan --num=1000 --seed=1 --output=out/dcgan_samples
    python bin/generate.py --checkpoint=runs/biggan --labels=3,7 --truncation=0.5 --num=16 --output=out/3_and_7
    python bin/generate.py --checkpoint=runs/pggan --stage=8 --output=out/pggan_8px
"""
from absl import flags

from tfopt import cli

flags.DEFINE_string("checkpoint", None, "Run directory of bin/train_gan.py, or a generator .keras file.")
flags.DEFINE_integer("num", 64, "Number of images.")
flags.DEFINE_list("labels", None, "Class-conditional generators: the classes to draw, cycled over --num "
                  "(default: every class in turn).")
flags.DEFINE_float("truncation", None, "BigGAN's truncation: entries of z beyond this (> 0) are resampled "
                   "(default: none).")
flags.DEFINE_integer("stage", None, "Progressive runs: draw with the generator of this finished stage, by its "
                     "side in px (default: the final generator).")
flags.DEFINE_integer("batch_size", 256, "Generator batch size.")
flags.DEFINE_integer("grid", 100, "Images shown in samples.png (the first ones).")
flags.DEFINE_integer("scale", 2, "Pixel upsampling of samples.png.")
flags.mark_flag_as_required("checkpoint")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import numpy as np

    for name in ("num", "batch_size", "grid", "scale"):
        cli.check_positive(name, getattr(FLAGS, name))
    from tfopt.core import files
    from tfopt.gan import load_generator  # after the flag checks: TensorFlow loads here
    from tfopt.gan.feeds import class_conditions, generate_from
    from tfopt.gan.truncation import check_truncation, truncated_normal
    from tfopt.images import from_tanh, save_grid

    cli.set_seed(FLAGS.seed)
    truncation = check_truncation(FLAGS.truncation)
    generator, config = load_generator(FLAGS.checkpoint, stage=FLAGS.stage)
    latent_dim = int(config["latent_dim"])
    classes = class_conditions(generator, FLAGS.num, FLAGS.labels)
    z = truncated_normal(np.random.default_rng(FLAGS.seed), (FLAGS.num, latent_dim), truncation)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        raw = generate_from(generator, z if latent_dim else None, condition=classes, batch_size=FLAGS.batch_size)
        images = from_tanh(raw)
        arrays = {"images": images, "z": z, **({"labels": classes} if classes is not None else {})}
        with files.atomic_path(outdir / "images.npz") as tmp:
            np.savez_compressed(tmp, **arrays)
        labels = None if classes is None else [str(c) for c in classes[: FLAGS.grid]]
        save_grid(outdir / "samples.png", images[: FLAGS.grid], labels=labels, scale=FLAGS.scale)
        files.write_summary(outdir, {
            "checkpoint": FLAGS.checkpoint, "stage": FLAGS.stage, "num": FLAGS.num, "seed": FLAGS.seed, "latent_dim": latent_dim,
            "labels": None if classes is None else sorted(set(classes.tolist())), "truncation": truncation,
            "image_shape": list(images.shape[1:]), "pixel_mean": float(images.mean()),
            "files": ["images.npz", "samples.png"],
        })
    if not FLAGS.quiet:
        print(f"wrote {FLAGS.num} images to {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
