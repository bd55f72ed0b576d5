"""Samples images from a trained generator (a bin/train_gan.py run or a generator.keras file).

Writes ``<output>/images.npz`` (``images`` float32 [N, H, W, C] in [0, 1] and the noise
``z``), ``<output>/samples.png`` (a grid of up to 100 images) and ``summary.json``.

Example:
    python bin/generate.py --checkpoint=runs/dcgan --num=1000 --seed=1 --output=out/dcgan_samples
"""
from absl import flags

from tfopt import cli

flags.DEFINE_string("checkpoint", None, "Run directory of bin/train_gan.py, or a generator .keras file.")
flags.DEFINE_integer("num", 64, "Number of images.")
flags.DEFINE_integer("batch_size", 256, "Generator batch size.")
flags.DEFINE_integer("grid", 100, "Images shown in samples.png (the first ones).")
flags.DEFINE_integer("scale", 2, "Pixel upsampling of samples.png.")
flags.mark_flag_as_required("checkpoint")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import numpy as np

    from tfopt.core import files
    from tfopt.gan import generate_from, load_generator
    from tfopt.images import save_grid

    for name in ("num", "batch_size", "grid", "scale"):
        cli.check_positive(name, getattr(FLAGS, name))
    cli.set_seed(FLAGS.seed)
    generator, config = load_generator(FLAGS.checkpoint)
    latent_dim = int(config["latent_dim"])
    z = np.random.default_rng(FLAGS.seed).standard_normal((FLAGS.num, latent_dim)).astype(np.float32)
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        images = np.clip((generate_from(generator, z, batch_size=FLAGS.batch_size) + 1.0) / 2.0, 0.0, 1.0)
        with files.atomic_path(outdir / "images.npz") as tmp:
            np.savez_compressed(tmp, images=images, z=z)
        save_grid(outdir / "samples.png", images[: FLAGS.grid], scale=FLAGS.scale)
        files.write_summary(outdir, {
            "checkpoint": FLAGS.checkpoint, "num": FLAGS.num, "seed": FLAGS.seed, "latent_dim": latent_dim,
            "image_shape": list(images.shape[1:]), "pixel_mean": float(images.mean()),
            "files": ["images.npz", "samples.png"],
        })
    if not FLAGS.quiet:
        print(f"wrote {FLAGS.num} images to {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
