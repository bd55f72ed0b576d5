"""Tour: fooling images (Nguyen et al.) on EfficientNet-Lite0: from the ImageNet mean to 99.99%, without and with TV."""
from tfopt.visualize.fooling import THRESHOLDS
from tfopt.visualize.run import VisualizeConfig, run_visualize

__all__ = ["TITLE", "run"]

TITLE = "Fooling images: unrecognizable images EfficientNet-Lite0 calls a parking meter with 99.99% confidence"

CLASSES = ("parking meter", "ostrich", "king penguin", "starfish", "school bus", "pizza")


def _steps(run):
    """'class a/b/c/d' with the steps to 0.5/0.99/0.999/0.9999 of each image of one run."""
    return "; ".join(f"{i['target_name']} " + "/".join(str(i["first_step"][f"{t:g}"]) for t in THRESHOLDS)
                     for i in run["images"])


def run(outdir, *, seed, quiet):
    """From the ImageNet mean colour plus noise, ascends log p(class) until p >= 0.9999, without and with TV 300.

    Args:
        outdir: directory for the section's files.
        seed: seed of the start noise.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    s = run_visualize(VisualizeConfig(mode="fooling", classes=CLASSES, seed=seed, quiet=quiet), outdir)
    t = s["with_tv"]
    text = (
        "Nguyen, Yosinski & Clune (2015), Figure 13: start at the ImageNet mean (here its mean colour) plus Gaussian "
        "noise (std 0.01) and climb the log-probability of one class by normalized-gradient steps (RMS pixel change "
        f"0.008 per step) until the softmax says {s['threshold']}. Without a prior, {s['num_reached']} of "
        f"{s['num_images']} classes get there within {s['max_steps_to_threshold']} steps; steps to 0.5/0.99/0.999/"
        f"0.9999: {_steps(s)}. The least confident ends at p = {s['min_confidence']:.5f} (the lecture's parking "
        f"meter: 0.999679). With a total-variation prior (TV^2, weight {t['tv']:g}; the steps follow log p - TV, the "
        f"values are log p) the images are smoother and a little more telling (an ostrich's neck, a starfish's "
        f"arms), as the paper says regularization does, and {t['num_reached']} of {t['num_images']} still reach "
        f"{t['threshold']}, within {t['max_steps_to_threshold']} steps: {_steps(t)}. Confidences are measured by "
        f"predicting the returned images again; saved as 8-bit PNGs, {s['num_reached_uint8']} (without TV) and "
        f"{t['num_reached_uint8']} (with TV) of {s['num_images']} still reach {s['threshold']}. "
        f"Model: EfficientNet-Lite0, {s['weights']}.")
    numbers = {"without TV: num_reached": s["num_reached"], "without TV: min_confidence": s["min_confidence"],
               "without TV: max_steps": s["max_steps_to_threshold"], "with TV: num_reached": t["num_reached"],
               "with TV: min_confidence": t["min_confidence"], "with TV: max_steps": t["max_steps_to_threshold"],
               "confidence without TV": [round(i["confidence"], 6) for i in s["images"]],
               "confidence with TV": [round(i["confidence"], 6) for i in t["images"]]}
    return {"text": text,
            "images": [("fooling.png", "top: no prior; bottom: TV 300. Class, confidence, step it reached 0.9999"),
                       ("start.png", "the starts: ImageNet mean colour plus noise"),
                       ("confidence.png", "target confidence per step, -log10(1 - p) (4 = 0.9999)")],
            "numbers": numbers}
