"""Tour: class-model visualization of the digits CNN, with and without the TV prior, side by side."""
from tfopt.visualize.run import VisualizeConfig, run_visualize

__all__ = ["TITLE", "run"]

TITLE = "Class models: what each digit looks like to the network, with and without total variation"


def run(outdir, *, seed, quiet):
    """Ascends each digit's logit from grey (Adam, 300 steps, L2 prior, 1 px jitter), with TV weight 0 and 300.

    Args:
        outdir: directory for the section's files.
        seed: seed of the start noise and the jitter.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    s = run_visualize(VisualizeConfig(mode="class", seed=seed, quiet=quiet), outdir)
    text = (
        "Simonyan et al. (2014) asked the network what a class looks like: start from a flat grey image and "
        "ascend the class's logit, with an L2 prior pulling pixels towards grey (weight 100) and a random jitter "
        "of 1 pixel every step. Top row: no further prior. Bottom row: the same run (same start, same jitter) "
        f"plus total variation TV^beta (beta 2, weight {s['with_tv']['settings']['tv']:g}; Mahendran & Vedaldi "
        f"2015). TV falls from {s['tv_without']:.3f} to {s['tv_with']:.3f} ({s['tv_ratio']:.2f}x lower) while "
        f"the least confident class keeps p = {s['min_confidence_with']:.4f} (without TV: "
        f"{s['min_confidence_without']:.4f}). The images are textures, not digits: this CNN averages its last "
        "features over all positions (global average pooling), so it rewards a stroke pattern anywhere and "
        f"everywhere. Model: digits CNN, {s['weights']}.")
    numbers = {k: s[k] for k in ("tv_without", "tv_with", "tv_ratio", "min_confidence_without",
                                 "min_confidence_with")}
    numbers["seconds"] = round(s["without_tv"]["seconds"] + s["with_tv"]["seconds"], 1)
    return {"text": text,
            "images": [("class_models.png", "digits 0-9: top without TV, bottom with TV (p = softmax "
                        "probability, tv = mean isotropic total variation)")],
            "numbers": numbers}
