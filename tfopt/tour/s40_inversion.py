"""Tour: five reconstructions of one test digit from the penultimate layer's code."""
from tfopt.visualize.run import VisualizeConfig, run_visualize

__all__ = ["TITLE", "run"]

TITLE = "Feature inversion: five images with the same penultimate code"


def run(outdir, *, seed, quiet):
    """Inverts the 128-unit penultimate code of test digit 0 from five random starts (Adam, 300 steps).

    Args:
        outdir: directory for the section's files.
        seed: seed of the starts.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    s = run_visualize(VisualizeConfig(mode="invert", seed=seed, quiet=quiet), outdir)
    errors = ", ".join(f"{e:.4f}" for e in s["errors"])
    text = (
        "Mahendran & Vedaldi (2015): find images whose code at a layer equals the code of a given image, "
        "minimizing the normalized error ||phi(x) - phi0||^2 / ||phi0||^2 plus TV^beta (beta 2, weight 1) and an "
        "alpha-norm (alpha 6, weight 1) prior, from five starts (mean digit plus noise of std 0.2). The errors "
        f"are {errors} (all at most {s['max_error']:.4f}): to the network the five are practically the same "
        f"image; all are classified {sorted(set(s['predicted']))} like the original ({s['original_predicted']}). "
        f"Yet they differ from each other (mean pairwise RMS {s['mean_pairwise_rms']:.3f}) and from the original "
        "(RMS " + ", ".join(f"{r:.3f}" for r in s["rms_to_original"]) + "): what they share is what the "
        "penultimate layer keeps; exact positions are largely gone after global average pooling. "
        f"Model: digits CNN, {s['weights']}.")
    numbers = {k: s[k] for k in ("layer", "errors", "max_error", "mean_pairwise_rms", "rms_to_original",
                                 "predicted", "original_predicted", "seconds")}
    return {"text": text,
            "images": [("inversion.png", "the test digit and five reconstructions from its penultimate code, "
                        "with each one's normalized error and predicted class")],
            "numbers": numbers}
