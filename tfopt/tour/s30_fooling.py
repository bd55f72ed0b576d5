"""Tour: fooling images for all ten digit classes, each driven to 0.9999 confidence."""
from tfopt.visualize.run import VisualizeConfig, run_visualize

__all__ = ["TITLE", "run"]

TITLE = "Fooling images: ten unrecognizable images the network calls digits with 99.99% confidence"


def run(outdir, *, seed, quiet):
    """From the mean training digit plus noise, ascends log p(k) for k = 0..9 until p >= 0.9999 (<= 500 steps).

    Args:
        outdir: directory for the section's files.
        seed: seed of the start noise.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    s = run_visualize(VisualizeConfig(mode="fooling", seed=seed, quiet=quiet), outdir)
    per = s["images"]
    first = {t: [i["first_step"][t] for i in per] for t in ("0.5", "0.99", "0.999", "0.9999")}
    text = (
        "Nguyen, Yosinski & Clune (2015): start every image at the mean of the training digits plus Gaussian noise "
        "(std 0.01) and ascend the log-probability of one class by normalized-gradient steps (RMS pixel change "
        f"0.008 per step) until the softmax says {s['threshold']}. {s['num_reached']} of {s['num_images']} "
        f"classes got there within 500 steps (at most {s['max_steps_to_threshold']} steps); the least confident "
        f"ends at p = {s['min_confidence']:.5f}, measured by predicting the returned images again. Each label "
        "gives the class, its confidence and the step at which it stopped; the plot shows -log10(1 - p) per "
        "step, so 4 is 0.9999. Saved as 8-bit PNGs the images lose a little: "
        f"{s['num_reached_uint8']} of {s['num_images']} still reach {s['threshold']} after rounding to 1/255. "
        f"Model: digits CNN, {s['weights']}.")
    numbers = {k: s[k] for k in ("num_reached", "num_images", "threshold", "min_confidence",
                                 "max_steps_to_threshold", "num_reached_uint8", "seconds")}
    numbers.update({f"first_step_{t}": v for t, v in first.items()})
    numbers["confidence"] = [round(i["confidence"], 6) for i in per]
    return {"text": text,
            "images": [("start.png", "start: mean digit plus noise"),
                       ("fooling.png", "fooling images: class, confidence, step it reached the threshold"),
                       ("confidence.png", "target confidence per step, -log10(1 - p)")],
            "numbers": numbers}
