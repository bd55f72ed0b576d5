"""Tour: "Bus -> ostrich" on digits - every test digit driven to one chosen class by targeted PGD."""
import numpy as np

from tfopt import images
from tfopt.attacks.output import load_arrays
from tfopt.attacks.run import AttackConfig, run_attack

__all__ = ["TITLE", "run"]

TITLE = "Adversarial examples: every digit becomes an 8"

TARGET = "8"


def run(outdir, *, seed, quiet):
    """Targeted Linf PGD (eps 0.2, 40 steps of 0.01, early stop) on all 450 test digits.

    Args:
        outdir: directory for the section's files.
        seed: PGD's random-start seed.
        quiet: no progress bars.

    Returns:
        The tour section dict (text, images, numbers).
    """
    config = AttackConfig(method="pgd", norm="linf", eps=0.2, steps=40, step_size=0.01, target=TARGET,
                          early_stop=True, dataset="digits", num_images=450, seed=seed, quiet=quiet)
    summary = run_attack(config, outdir)
    saved = load_arrays(outdir / "adversarial.npz")
    x, x_adv, y, pred, conf = (saved[k] for k in ("x", "x_adv", "y_true", "pred_adv", "conf_adv"))
    # One example of each true class: original above, adversarial below.
    picks = [int(np.flatnonzero(y == k)[0]) for k in range(10) if np.any(y == k)]
    tiles = [x[i] for i in picks] + [x_adv[i] for i in picks]
    labels = [f"true {y[i]}" for i in picks] + [f"-> {pred[i]} {100 * conf[i]:.0f}%" for i in picks]
    images.save_grid(outdir / "per_class.png", tiles, labels=labels, ncols=len(picks), scale=3)
    per_class = {f"success_rate_true_{k}": float(np.mean(pred[y == k] == int(TARGET))) for k in range(10)}
    text = (f"Targeted PGD (Madry et al. 2018) pushes each of the {summary['num_images']} held-out digits towards "
            f"class {TARGET} inside an L-inf ball of radius 0.2 (absolute pixel units), 40 signed-gradient steps of "
            f"0.01 from a random start, each image stopping once it succeeds. {100 * summary['success_rate']:.1f}% "
            f"of the saved adversarial images are classified as {TARGET} when predicted again with a freshly loaded "
            f"model (clean accuracy {100 * summary['clean_accuracy']:.1f}%). The perturbation row is magnified to "
            "the full grey range. Model: digits CNN, " + summary["weights"] + ".")
    numbers = {k: summary[k] for k in ("num_images", "clean_accuracy", "success_rate", "adv_accuracy", "linf_max",
                                       "l2_mean", "steps_taken_mean", "seconds")}
    numbers["min_success_rate_over_true_classes"] = min(per_class.values())
    return {"text": text,
            "images": [("per_class.png", f"one digit of each class (top) and its adversarial, predicted {TARGET}"),
                       ("adversarial.png", "originals, magnified perturbations, adversarials (first 10 test digits)")],
            "numbers": numbers}
