"""Tour section: a class-conditional DCGAN on the digits, G(z, y) and D(x, y) on the same GAN core."""
from tfopt.gan.config import GANConfig
from tfopt.gan.trainer import train

__all__ = ["TITLE", "run"]

TITLE = "Conditional GAN: one generator draws the digit asked for"

_STEPS = 500


def run(outdir, *, seed, quiet):
    """Trains a small class-conditional DCGAN and shows one column per class.

    Args:
        outdir: directory for this section's files.
        seed: seed of weights, noise and data order.
        quiet: no progress bar.

    Returns:
        The tour section dict: text, images, numbers.
    """
    config = GANConfig.from_flat(model="cdcgan", steps=_STEPS, sample_every=_STEPS, checkpoint_every=_STEPS,
                                 log_every=10, eval_samples=500, seed=seed).resolved()
    summary = train(config, outdir / "run", overwrite=True, quiet=quiet)
    images = [("run/samples.png", f"{summary['model']['title']}: one column per class asked for, one row per noise "
                                  f"vector (EMA generator)")]
    text = (
        f"{summary['model']['title']}: the generator concatenates a learnt embedding of the class to its noise "
        f"(Mirza & Osindero 2014), and the discriminator adds the projection <embed(y), h> of its features on "
        f"that class to its logit (Miyato & Koyama 2018). Same core, same Algorithm 1, same loss terms as the "
        f"DCGAN above: only the networks take a second input. After {summary['steps']} steps "
        f"({summary['seconds']:.0f} s), the digits classifier reads the class that was asked for in "
        f"{summary['class_accuracy']:.0%} of {config.eval.eval_samples} samples (chance: 10%), and FID against "
        f"the test digits is {summary['fid']:.1f} (digits-classifier features). Train it with "
        f"bin/train_gan.py --model=cdcgan; draw chosen digits with bin/generate.py --labels=3,7."
    )
    numbers = {k: summary[k] for k in ("steps", "steps_per_second", "class_accuracy", "fid", "min_class_share",
                                       "mean_confidence")}
    return {"text": text, "images": images, "numbers": numbers}
