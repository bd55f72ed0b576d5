"""Tour section: a progressive GAN grows from 4 to 32 px on the digits; the same noise at every stage, FID over time."""
from tfopt.gan.config import GANConfig
from tfopt.gan.progressive import train

__all__ = ["TITLE", "run"]

TITLE = "Progressive GAN: growing from 4 to 32 px, each new layer faded in"

# The digits recipe's networks; fewer images per phase than its 8,000, to fit the tour.
_IMAGES = 1100


def run(outdir, *, seed, quiet):
    """Trains a short progressive GAN; shows its stages and its FID against training time (see tfopt.tour)."""
    config = GANConfig.from_flat(model="progressive", fade_images=_IMAGES, stable_images=_IMAGES, fid_every=40,
                                 checkpoint_every=1000, sample_every=1000, log_every=10, eval_samples=500,
                                 seed=seed).resolved()
    summary = train(config, outdir / "run", overwrite=True, quiet=quiet)
    stages = summary["stages"]
    batches = ", ".join(f"{s['resolution']} px: {s['batch_size']}" for s in stages)
    curve = summary["fid_curve"]
    images = [
        ("run/stages.png", "the same 8 noise vectors through the stages: 4, 8, 16, 32 px (EMA generator at the end "
                           "of each stage, nearest-upsampled to 32 px)"),
        ("run/fid_curve.png", "FID to the test digits against training seconds; each jump in resolution shows"),
        ("run/samples.png", "64 samples of the final 32 px generator"),
    ]
    text = (
        f"{summary['model']['title']} (Karras et al. 2018): one set of layers with equalized learning rate, pixel "
        f"norm in G and a minibatch-stddev feature in D, trained from 4 px. Each new resolution's layers fade in "
        f"over {_IMAGES} real images: G's output is (1 - alpha) * upsample(old toRGB) + alpha * new toRGB, D's "
        f"input path blends the same way with average pooling, and the real images are faded too (a blend with "
        f"their down-then-up-sampled version), then the stage stabilizes for {_IMAGES} more. WGAN-GP (10) plus "
        f"drift 0.001, Adam({config.optimizer.learning_rate:g}, {config.optimizer.beta_1:g}, "
        f"{config.optimizer.beta_2:g}) reset at each stage, EMA generator, batch per stage ({batches}). "
        f"{summary['steps']} steps in {summary['seconds']:.0f} s of training; FID against the test digits went "
        f"from {curve[0]['fid']:.0f} to {summary['fid']:.1f} (digits-classifier features). The full recipe "
        f"(8,000 images per phase) is bin/train_gan.py --model=progressive; bench/bench_progressive.py compares "
        f"it with the same network trained at 32 px from the start."
    )
    numbers = {"steps": summary["steps"], "seconds": summary["seconds"], "fid": summary["fid"],
               "first_fid": curve[0]["fid"], "min_class_share": summary["min_class_share"],
               "mean_confidence": summary["mean_confidence"]}
    return {"text": text, "images": images, "numbers": numbers}
