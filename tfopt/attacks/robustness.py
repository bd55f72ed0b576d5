"""Robust accuracy of a classifier: accuracy on the images a PGD attack returns, judged by re-prediction.

Example:
    numbers = pgd_accuracy(model, x_test, y_test, eps=0.3)   # PGD-40, step 0.01, one random start
    numbers["adv_accuracy"]
"""
from tfopt.attacks import common
from tfopt.attacks.gradient import pgd

__all__ = ["pgd_accuracy"]


def pgd_accuracy(model, x, y, *, eps, steps=40, step_size=0.01, restarts=1, seed=0):
    """Clean accuracy and accuracy under an untargeted Linf PGD attack (Madry et al.'s evaluation).

    The adversarial images the attack returns are classified again
    (:func:`tfopt.attacks.common.measure`); nothing is taken from the attack's own state.

    Args:
        model: a classifier taking [0, 1] images.
        x: images [N, H, W, C] in [0, 1].
        y: true labels [N].
        eps: Linf radius in absolute pixel units.
        steps: PGD iterations.
        step_size: absolute step size.
        restarts: random starts per image (the worst case is kept).
        seed: seed of the random starts.

    Returns:
        dict with eps, steps, step_size, restarts, num_images, clean_accuracy, adv_accuracy
        (the fraction still classified correctly), linf_max.
    """
    result = pgd(model, x, y, eps=eps, steps=steps, step_size=step_size, restarts=restarts, random_start=True,
                 seed=seed, progress=False)
    numbers, _ = common.measure(model, x, result.x_adv, result.y_true, result.y_target)
    return {"eps": float(eps), "steps": int(steps), "step_size": float(step_size), "restarts": int(restarts),
            "num_images": numbers["num_images"], "clean_accuracy": numbers["clean_accuracy"],
            "adv_accuracy": numbers["adv_accuracy"], "linf_max": numbers["linf_max"]}
