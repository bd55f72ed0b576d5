"""Tour section: BigGAN-style class-conditional generation on the digits, with the truncation trick."""
import numpy as np

from tfopt.gan import load_generator
from tfopt.gan.config import GANConfig
from tfopt.gan.feeds import generate_from
from tfopt.gan.trainer import train
from tfopt.gan.truncation import truncated_normal
from tfopt.images import save_grid

__all__ = ["TITLE", "run"]

TITLE = "BigGAN: any class asked for, and a truncation knob that trades variety for fidelity"

_STEPS = 600
_TRUNCATIONS = (2.0, 1.0, 0.25)
_ROWS = 6


def _truncation_grids(run_dir, seed):
    """One class-by-column grid per truncation, from the same noise draw (resampled, not clipped)."""
    generator, config = load_generator(run_dir)
    images = []
    for threshold in _TRUNCATIONS:
        z = truncated_normal(np.random.default_rng(seed), (_ROWS * 10, config["latent_dim"]), threshold)
        labels = np.tile(np.arange(10, dtype=np.int32), _ROWS)
        samples = (generate_from(generator, z, condition=labels) + 1.0) / 2.0
        name = f"truncation_{threshold:g}.png"
        save_grid(run_dir / name, np.clip(samples, 0.0, 1.0), ncols=10, scale=2)
        images.append((f"run/{name}", f"truncation {threshold:g}: one column per class, one row per noise draw"))
    return images


def run(outdir, *, seed, quiet):
    """Trains a small BigGAN on the digits and shows its samples at three truncations.

    Args:
        outdir: directory for this section's files.
        seed: seed of weights, noise and data order.
        quiet: no progress bar.

    Returns:
        The tour section dict: text, images, numbers.
    """
    config = GANConfig.from_flat(model="biggan", steps=_STEPS, sample_every=_STEPS, checkpoint_every=_STEPS,
                                 log_every=20, eval_samples=500, seed=seed).resolved()
    summary = train(config, outdir / "run", overwrite=True, quiet=quiet)
    images = _truncation_grids(outdir / "run", seed)
    images.append(("run/truncation.png", "class accuracy, precision and recall against the truncation"))
    sweep = {row["truncation"]: row for row in summary["truncation_sweep"]}
    m, t = config.model, config.train
    rows = "; ".join(f"{k:g}: class accuracy {v['class_accuracy']:.2f}, precision {v['precision']:.2f}, "
                     f"recall {v['recall']:.2f}" for k, v in sweep.items())
    text = (
        f"{summary['model']['title']} (Brock, Donahue & Simonyan 2019) at 32 px, width {m.filters}: residual "
        f"blocks whose batch norms take their gain and bias from a shared class embedding and the block's own "
        f"chunk of z (hierarchical latent), a projection discriminator (Miyato & Koyama 2018), spectral norm on "
        f"every layer with one power iteration per step, the hinge loss, {t.k_d_steps} D steps per G step, "
        f"Adam(beta1 0) with learning rates {config.optimizer.learning_rate:g} (G) and "
        f"{config.optimizer.d_learning_rate:g} (D), orthogonal regularization {m.ortho_weight:g} and an EMA "
        f"generator; {summary['steps']} steps here ({summary['seconds']:.0f} s; the full recipe is "
        f"bin/train_gan.py --model=biggan). The truncation trick resamples the entries of z beyond the threshold: "
        f"lower thresholds give more typical digits and less variety. Under the digits classifier (1,000 would "
        f"be better; {config.eval.eval_samples} samples): {rows}."
    )
    numbers = {"steps": summary["steps"], "fid": summary["fid"], "class_accuracy": summary["class_accuracy"],
               "intra_class_fid": summary["intra_class_fid"]}
    return {"text": text, "images": images, "numbers": numbers}
