"""Tour: "bus -> ostrich" on photos - targeted PGD makes EfficientNet-Lite0 see an ostrich in each, judged from PNGs."""
from tfopt.attacks.run import AttackConfig, run_attack

__all__ = ["TITLE", "run"]

TITLE = "Adversarial examples: every photo becomes an ostrich"

PHOTOS = ("chelsea", "coffee", "rocket", "astronaut", "china", "flower")
TARGET = "ostrich"
_EPS_TARGETED = 4 / 255
_EPS_UNTARGETED = 1 / 255


def run(outdir, *, seed, quiet):
    """Targeted L-inf PGD to "ostrich" at eps 4/255 and untargeted PGD at eps 1/255 on six photos.

    Args:
        outdir: directory for the section's files (one sub-directory per attack).
        seed: PGD's random-start seed.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    common = dict(method="pgd", norm="linf", images=PHOTOS, seed=seed, quiet=quiet)
    (outdir / "ostrich").mkdir(exist_ok=True)
    (outdir / "untargeted").mkdir(exist_ok=True)
    t = run_attack(AttackConfig(eps=_EPS_TARGETED, steps=20, step_size=0.002, target=TARGET, **common),
                   outdir / "ostrich")
    u = run_attack(AttackConfig(eps=_EPS_UNTARGETED, steps=10, step_size=0.001, **common), outdir / "untargeted")
    text = (
        f"The lecture's first idea: keep the network fixed and optimize the input, I = I - lambda dL(f(I), "
        f"ostrich)/dI. Targeted PGD (Madry et al. 2018) moves each of {t['num_images']} photos "
        f"({', '.join(PHOTOS)}) towards \"{TARGET}\" inside an L-inf ball of radius 4/255, 20 signed-gradient steps "
        f"of 0.002 from a random start. The clean photos are first rounded to 8 bits, and the result is rounded "
        f"onto the 8-bit grid inside the ball, so the saved PNGs keep the budget: their largest pixel change is "
        f"{t['linf_max_levels']}/255 ({t['linf_max']:.4f}). Read back from those PNGs and classified by a freshly "
        f"loaded EfficientNet-Lite0, {100 * t['success_rate']:.0f}% of them are \"{TARGET}\" (mean confidence "
        f"{t['mean_confidence_adv']:.3f}). An untargeted attack needs even less: at eps 1/255 (one level; "
        f"{u['linf_max_levels']}/255 measured on the PNGs), 10 steps change the prediction of "
        f"{100 * u['success_rate']:.0f}% of the photos. The middle rows show the perturbation magnified to the full "
        f"grey range. Model: EfficientNet-Lite0, {t['weights']}.")
    keys = ("success_rate", "mean_confidence_adv", "linf_max", "linf_max_levels", "seconds")
    numbers = {f"{name}: {k}": s[k] for name, s in (("ostrich", t), ("untargeted", u)) for k in keys}
    return {"text": text,
            "images": [("ostrich/adversarial.png", "photos (top, EfficientNet-Lite0's prediction), perturbation "
                        "magnified, and the saved PNGs predicted again: ostrich"),
                       ("untargeted/adversarial.png", "untargeted, eps 1/255: the prediction of each saved PNG")],
            "numbers": numbers}
