"""Tour: class models (Simonyan et al.) of five ImageNet classes through EfficientNet-Lite0, side by side."""
from tfopt.visualize.run import VisualizeConfig, run_visualize

__all__ = ["TITLE", "run"]

TITLE = "Class models: what an ostrich, a pizza, ... look like to EfficientNet-Lite0"

CLASSES = ("ostrich", "king penguin", "starfish", "pizza", "parking meter")
_STEPS = 100


def run(outdir, *, seed, quiet):
    """Ascends each class's logit from grey: Fourier parameterization, L2, robust jitter and TV (100 Adam steps).

    Args:
        outdir: directory for the section's files.
        seed: seed of the start noise and of the transforms.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    s = run_visualize(VisualizeConfig(mode="class", classes=CLASSES, steps=_STEPS, compare_tv=False, seed=seed,
                                      quiet=quiet), outdir)
    cfg = s["settings"]
    text = (
        "Simonyan, Vedaldi & Zisserman (2014), Figure 1: what does the network think a class looks like? Start from "
        "grey and ascend the class's logit (not its probability) with an L2 prior pulling the pixels towards grey "
        f"(weight {cfg['l2']:g}), total variation TV^2 (weight {cfg['tv']:g}; Mahendran & Vedaldi 2015) and a random "
        "jitter every step. On a 224-pixel ImageNet network the pixel-space recipe of the paper gives high-frequency "
        "patterns in which no class can be seen, at 100% confidence (docs/visualize.md). What makes them readable "
        "is Olah et al.'s (2017) Fourier parameterization (Adam moves a 1/f-scaled, colour-decorrelated spectrum) "
        "and robust transforms (jitter plus a random scale and rotation), both used here: "
        f"{cfg['steps']} Adam steps of {cfg['learning_rate']:g}. Honestly: the pizza (a round pie with toppings) and "
        "the starfish (arms) read as their classes; the ostrich is black plumage with a bare neck, the king penguin "
        "an orange-and-black head in a crowd of bodies; the school bus and the parking meter are parts (yellow "
        "paint and windows; a meter's head) scattered over a scene, not objects. Colours are oversaturated. Every "
        f"image is its class with confidence at least {s['min_confidence']:.4f}. Model: EfficientNet-Lite0, "
        f"{s['weights']}.")
    numbers = {"min_confidence": s["min_confidence"], "mean_total_variation": s["mean_total_variation"],
               "confidence": [round(c["confidence"], 4) for c in s["per_class"]], "seconds": s["seconds"]}
    return {"text": text,
            "images": [("class_models.png", "five ImageNet classes (p = softmax probability, tv = mean isotropic "
                        "total variation)")],
            "numbers": numbers}
