"""Tour section: a short DCGAN run on the offline digits, with sample grids, loss curves and FID."""
from tfopt.gan.config import GANConfig
from tfopt.gan.trainer import train

__all__ = ["TITLE", "run"]

TITLE = "GAN training: DCGAN on digits (Algorithm 1 as a Keras train_step)"

_STEPS = 500
_GRIDS = 4


def run(outdir, *, seed, quiet):
    """Trains a small DCGAN for a few hundred steps and shows how its samples improve.

    Args:
        outdir: directory for this section's files.
        seed: seed of weights, noise and data order.
        quiet: no progress bar.

    Returns:
        The tour section dict: text, images, numbers.
    """
    config = GANConfig(steps=_STEPS, sample_every=_STEPS // _GRIDS, checkpoint_every=_STEPS, log_every=10,
                       eval_samples=500, seed=seed)
    summary = train(config, outdir / "run", overwrite=True, quiet=quiet)
    steps = [config.sample_every * (i + 1) for i in range(_GRIDS)]
    images = [(f"run/samples/step_{s:06d}.png", f"64 samples (fixed noise, EMA generator) after {s} steps")
              for s in steps]
    images.append(("run/losses.png", f"discriminator and generator losses (means over {config.log_every} steps)"))
    share = summary["class_share"]
    text = (
        f"A DCGAN (Radford et al. 2016; width {config.filters}; an InfoGAN categorical code of "
        f"{config.categorical_codes} values read from the noise, Chen et al. 2016) trained by Algorithm 1 of "
        f"Goodfellow et al. 2014 with k={config.k_d_steps} discriminator step per generator step, the "
        f"non-saturating loss, "
        f"Adam(2e-4, beta1=0.5), batch {config.batch_size}, DiffAugment ({config.augment}) on what the "
        f"discriminator sees and an EMA generator, on sklearn's 1,347 training digits (32x32), for "
        f"{summary['steps']} steps ({summary['seconds']:.0f} s, {summary['steps_per_second']:.1f} steps/s). "
        f"FID against the 450 test digits uses the digits classifier's 128-d penultimate features (not "
        f"InceptionV3: not comparable with published FIDs). The classifier puts between {min(share):.1%} and "
        f"{max(share):.1%} of {config.eval_samples} samples in each class, with mean confidence "
        f"{summary['mean_confidence']:.2f}. bin/train_gan.py runs the full-length version (see docs/gan.md)."
    )
    numbers = {k: summary[k] for k in ("steps", "steps_per_second", "fid", "kid", "inception_score",
                                       "min_class_share", "mean_confidence")}
    return {"text": text, "images": images, "numbers": numbers}
