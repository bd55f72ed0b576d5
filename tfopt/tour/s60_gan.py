"""Tour section: a short DCGAN run on the offline digits, with sample grids, loss curves and FID."""
from tfopt.gan.config import GANConfig
from tfopt.gan.trainer import train

__all__ = ["TITLE", "run"]

TITLE = "GAN training: DCGAN on digits (Algorithm 1 as a Keras train_step)"

_STEPS = 400
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
    config = GANConfig.from_flat(steps=_STEPS, sample_every=_STEPS // _GRIDS, checkpoint_every=_STEPS, log_every=10,
                                 eval_samples=500, seed=seed).resolved()
    summary = train(config, outdir / "run", overwrite=True, quiet=quiet)
    m, t = config.model, config.train
    steps = [t.sample_every * (i + 1) for i in range(_GRIDS)]
    title = summary["model"]["title"]
    images = [(f"run/samples/step_{s:06d}.png", f"{title}: 64 samples (fixed noise, EMA generator) after {s} steps")
              for s in steps]
    images.append(("run/losses.png", f"each loss term of both networks (means over {t.log_every} steps)"))
    share = summary["class_share"]
    text = (
        f"{summary['model']['title']}: a DCGAN (Radford et al. 2016; width {m.filters}) with what this run adds "
        f"to the paper's model named in its title: an InfoGAN categorical code of {m.categorical_codes} values "
        f"read from the noise (Chen et al. 2016; its mutual-information term is one more entry in both networks' "
        f"lists of loss terms), DiffAugment ({m.augment}) on what the discriminator sees, and an EMA generator. "
        f"Trained by Algorithm 1 of Goodfellow et al. 2014 with k={t.k_d_steps} discriminator step per generator "
        f"step, the {m.loss.replace('_', '-')} loss, Adam({config.optimizer.learning_rate:g}, "
        f"beta1={config.optimizer.beta_1:g}), batch {t.batch_size}, on sklearn's 1,347 training digits (32x32), "
        f"for {summary['steps']} steps ({summary['seconds']:.0f} s, {summary['steps_per_second']:.1f} steps/s). "
        f"FID against the 450 test digits uses the digits classifier's 128-d penultimate features (not "
        f"InceptionV3: not comparable with published FIDs). The classifier puts between {min(share):.1%} and "
        f"{max(share):.1%} of {config.eval.eval_samples} samples in each class, with mean confidence "
        f"{summary['mean_confidence']:.2f}. bin/train_gan.py runs the full-length version (see docs/gan.md)."
    )
    numbers = {k: summary[k] for k in ("steps", "steps_per_second", "fid", "kid", "inception_score",
                                       "min_class_share", "mean_confidence")}
    return {"text": text, "images": images, "numbers": numbers}
