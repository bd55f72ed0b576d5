"""Tour: feature inversion of a photo from VGG16's five depths and from EfficientNet-Lite0's penultimate code."""
from tfopt.models import zoo
from tfopt.visualize.run import VisualizeConfig, run_visualize

__all__ = ["TITLE", "run"]

TITLE = "Feature inversion: what VGG16's blocks 1-5 and EfficientNet's last code still know about a photo"

_SIZE = 96  # VGG16 side in pixels: block5 costs most, and the whole section must stay within the tour's budget


def _errors(summary):
    return "; ".join(f"{layer} " + ", ".join(f"{e:.4f}" for e in r["errors"])
                     for layer, r in summary["per_layer"].items())


def run(outdir, *, seed, quiet):
    """Inverts chelsea's code at block1..5 of VGG16 (2 starts each) and at EfficientNet-Lite0's penultimate (3).

    Args:
        outdir: directory for the section's files (vgg16/, efficientnet/).
        seed: seed of the starts.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    for sub in ("vgg16", "efficientnet"):
        (outdir / sub).mkdir(exist_ok=True)
    v = run_visualize(VisualizeConfig(mode="invert", model="vgg16", image="chelsea", size=_SIZE, restarts=2,
                                      steps=70, seed=seed, quiet=quiet), outdir / "vgg16")
    e = run_visualize(VisualizeConfig(mode="invert", image="chelsea", restarts=3, steps=100, seed=seed,
                                      quiet=quiet), outdir / "efficientnet")
    code = e["per_layer"]["penultimate"]
    names = zoo.class_names(e["model"])
    text = (
        "Mahendran & Vedaldi (2015): find images whose code at a layer equals the code of a photo, minimizing the "
        "normalized error ||phi(x) - phi0||^2 / ||phi0||^2 plus TV^beta (beta 2) and an alpha-norm (alpha 6) prior, "
        "with Adam from k random starts (grey plus noise of std 0.2). From VGG16's last convolution of each block "
        f"({_SIZE} px, {v['settings']['steps']} steps, TV weight {v['settings']['inv_tv']:g}, k = 2) the "
        "reconstructions grow more abstract with depth: block 1 gives the photo back, block 2 the photo with "
        "coloured fringes, blocks 3 and 4 the eyes, nose and outlines in a texture of strokes, and block 5 (6 x 6 "
        "positions at this size) little but blobs of colour. Normalized errors per depth: "
        f"{_errors(v)}. VGG16 weights: {v['weights']}.\n\n"
        "The lecture's Figure 1: from EfficientNet-Lite0's 1,280-number penultimate code (224 px, "
        f"{e['settings']['steps']} steps, TV weight {e['settings']['inv_tv']:g}, k = 3), errors "
        + ", ".join(f"{x:.4f}" for x in code["errors"])
        + ". To the network the three are the same kind of image (classified "
        f"{', '.join(sorted({names[k] for k in code['predicted']}))}; the photo: "
        f"{names[code['original_predicted']]}), yet they differ from the photo and from each other (mean "
        f"pairwise RMS {code['mean_pairwise_rms']:.3f}): cat eyes and fur appear here and there, because the "
        "average pooling before that code threw away where things are.")
    numbers = {f"vgg16 {layer}: errors": r["errors"] for layer, r in v["per_layer"].items()}
    numbers.update({"efficientnet penultimate: errors": code["errors"],
                    "efficientnet penultimate: mean_pairwise_rms": code["mean_pairwise_rms"],
                    "vgg16 seconds": round(sum(r["seconds"] for r in v["per_layer"].values()), 1),
                    "efficientnet seconds": code["seconds"]})
    return {"text": text,
            "images": [("vgg16/inversion.png", "chelsea and two reconstructions from each VGG16 block (row), with "
                        "normalized errors"),
                       ("efficientnet/inversion.png", "chelsea and three reconstructions from EfficientNet-Lite0's "
                        "penultimate code, with errors and predicted classes")],
            "numbers": numbers}
