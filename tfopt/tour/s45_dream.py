"""Tour: DeepDream on a photo (offline: VGG19 with seeded random weights)."""
from tfopt.visualize.run import DreamConfig, run_dream

__all__ = ["TITLE", "run"]

TITLE = "DeepDream on a photo"


def run(outdir, *, seed, quiet):
    """Dreams scikit-image's chelsea (224 px) through VGG19's block4_conv4: 3 octaves of 10 steps.

    Args:
        outdir: directory for the section's files.
        seed: seed of the random weights and of the tile rolls.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    config = DreamConfig(image="chelsea", model="vgg19", weights="random", layers=("block4_conv4",), max_side=224,
                         octaves=3, octave_scale=1.3, steps=10, step_size=0.01, tile_size=256, seed=seed,
                         quiet=quiet)
    s = run_dream(config, outdir)
    sizes = ", ".join(f"{h}x{w}" for h, w in s["octave_sizes"])
    text = (
        "Mordvintsev, Olah & Tyka (2015): ascend the mean squared activation of a layer with respect to the photo, "
        f"octave by octave ({sizes}, scale 1.3), carrying the added detail up from each octave to the next. Each "
        "step moves along the gradient divided by its norm (RMS pixel change 0.01); the gradient is computed tile "
        "by tile on a randomly rolled image, so any size fits in memory and no seams show. The objective rose "
        f"from {s['start_value']:.3g} to {s['final_value']:.3g}; RMS pixel change {s['rms_change']:.3f}. "
        f"Weights: {s['weights']}. {s['note'][0].upper()}{s['note'][1:]}.")
    numbers = {k: s[k] for k in ("start_value", "final_value", "rms_change", "size", "weights", "seconds")}
    return {"text": text,
            "images": [("dream.png", "chelsea and its dream (VGG19 block4_conv4)"),
                       ("octaves.png", "the dream at each octave")],
            "numbers": numbers}
