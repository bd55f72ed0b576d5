"""Tour section: BigGAN on the digits; one class per row at three truncations, and the truncation curve."""
from tfopt.gan.config import GANConfig
from tfopt.gan.io import load_generator
from tfopt.gan.trainer import train
from tfopt.gan.truncation import class_rows
from tfopt.images import image_grid, save_image, side_by_side

__all__ = ["TITLE", "run"]

TITLE = "BigGAN: any class asked for, and the truncation knob"

# The digits recipe (bin/train_gan.py --model=biggan: 32 px, 1,500 steps, ~9 minutes) does not fit beside the
# other sections. At 16 px (the digits are 8x8 scans, so nothing is lost) with batch 32 a step took 0.09 s in the
# tour (two sections at once) against the recipe's 0.33 s alone, and
# higher learning rates learn the classes in 1,200 steps (measured: class accuracy 0.998; with the paper's
# 1e-4 / 4e-4 and batch 64, 0.54); the tour runs 1,000. Two up-blocks at 16 px: z in 3 chunks, so 30 entries.
_STEPS = 1000
_SIZE = 16
_RECIPE = {"image_size": _SIZE, "latent_dim": 30, "batch_size": 32, "learning_rate": 4e-4, "d_learning_rate": 1e-3}
_SHOWN = (2.0, 1.0, 0.25)


def run(outdir, *, seed, quiet):
    """Trains a short BigGAN; shows each class at three truncations and the sweep's curve (see tfopt.tour)."""
    config = GANConfig.from_flat(model="biggan", steps=_STEPS, sample_every=_STEPS, checkpoint_every=_STEPS,
                                 log_every=10, eval_samples=500, seed=seed, **_RECIPE).resolved()
    summary = train(config, outdir / "run", overwrite=True, quiet=quiet)
    generator, _ = load_generator(outdir / "run")
    grids = [image_grid(class_rows(generator, columns=8, truncation=t, seed=seed), ncols=8, scale=3) for t in _SHOWN]
    save_image(outdir / "truncations.png", side_by_side(grids, [f"truncation {t:g}" for t in _SHOWN], height=420))
    sweep = summary["truncation_sweep"]
    rows = "; ".join(f"{r['truncation']:g}: class accuracy {r['class_accuracy']:.2f}, precision "
                     f"{r['precision']:.2f}, recall {r['recall']:.2f}" for r in sweep)
    images = [
        ("truncations.png", "one row per class (0 at the top), one column per noise vector; the same noise seed "
                            "at truncation 2, 1 and 0.25 (EMA generator)"),
        ("run/truncation.png", "class accuracy, precision and recall of 500 samples against the truncation"),
    ]
    o = config.optimizer
    text = (
        f"{summary['model']['title']} (Brock et al. 2019) at {_SIZE} px, batch {config.train.batch_size}, learning "
        f"rates {o.learning_rate:g} (G) and {o.d_learning_rate:g} (D): residual blocks, class-conditional batch "
        f"norm fed by a shared class embedding and the block's chunk of z, spectral norm everywhere, and a "
        f"projection discriminator psi(h) + <embed(y), h>; hinge loss, {config.train.k_d_steps} D steps per G step, "
        f"EMA generator, orthogonal regularization. Truncation redraws every entry of z beyond the threshold (not "
        f"a clip). After {summary['steps']} steps ({summary['seconds']:.0f} s) the digits classifier reads the "
        f"class asked for in {summary['class_accuracy']:.0%} of {config.eval.eval_samples} samples. In the paper a "
        f"lower threshold trades variety (recall) for fidelity (precision, class accuracy); this run's sweep: "
        f"{rows}. The full 32 px recipe is bin/train_gan.py --model=biggan (docs/gan.md holds its sweep); "
        f"bin/generate.py --labels=3,7 --truncation=0.5 draws chosen classes. The same core also trains a "
        f"class-conditional DCGAN (bin/train_gan.py --model=cdcgan: an embedding in G, projection in D)."
    )
    numbers = {"steps": summary["steps"], "seconds": summary["seconds"], "class_accuracy": summary["class_accuracy"],
               "fid": summary["fid"], "truncation_sweep": sweep}
    return {"text": text, "images": images, "numbers": numbers}
