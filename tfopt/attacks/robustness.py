"""Robust accuracy under a suite of attacks, and the worst case over them.

A defended model is only as robust as the strongest attack says. :func:`robust_accuracy`
runs a suite (by default FGSM, PGD-40, PGD-40 with 10 restarts, APGD-CE and the
targeted APGD-DLR of AutoAttack) at one eps, judges every attack by predicting its
returned images again, and reports per attack and for the worst case: a sample counts
as robust only if the model still classifies it correctly under *every* attack.

:func:`pgd_accuracy` is the single-attack number of Madry et al.'s evaluation (PGD-40),
which adversarial training reports after each run.

Example:
    table = robust_accuracy(model, x, y, eps=0.3)
    table["worst_case"]["accuracy"], table["attacks"]["apgd_ce"]["accuracy"]
"""
import time

import numpy as np

from tfopt.attacks import common
from tfopt.core.errors import InputError

__all__ = ["SUITE", "robust_accuracy", "pgd_accuracy"]


def _suite(eps, seed):
    from tfopt.attacks import apgd_ce, apgd_dlr, fgsm, pgd

    pgd_step = max(eps / 30, 1e-4)  # Madry's 0.01 at eps 0.3
    return {
        "fgsm": lambda m, x, y, progress: fgsm(m, x, y, eps=eps),
        "pgd40": lambda m, x, y, progress: pgd(m, x, y, eps=eps, steps=40, step_size=pgd_step, seed=seed,
                                               progress=progress),
        "pgd40_x10": lambda m, x, y, progress: pgd(m, x, y, eps=eps, steps=40, step_size=pgd_step, restarts=10,
                                                   seed=seed, progress=progress),
        "apgd_ce": lambda m, x, y, progress: apgd_ce(m, x, y, eps=eps, steps=100, seed=seed, progress=progress),
        "apgd_dlr_targeted": lambda m, x, y, progress: apgd_dlr(m, x, y, eps=eps, steps=100, seed=seed,
                                                                progress=progress),
    }


SUITE = ("fgsm", "pgd40", "pgd40_x10", "apgd_ce", "apgd_dlr_targeted")
"""The default attacks, weakest first."""


def robust_accuracy(model, x, y, *, eps=0.3, attacks=SUITE, seed=0, progress=True, on_attack=None):
    """Accuracy left by each attack of a Linf suite at ``eps``, and by their worst case.

    Args:
        model: a Keras classifier taking [0, 1] images.
        x: clean images [B, H, W, C] in [0, 1].
        y: true labels [B].
        eps: Linf radius in [0, 1] pixel units.
        attacks: names from :data:`SUITE`.
        seed: seed of random starts.
        progress: progress bars.
        on_attack: ``on_attack(name, row)`` after each attack (for a live table).

    Returns:
        A dict: ``clean_accuracy``; ``attacks[name]`` = {accuracy, success_rate, linf_max,
        seconds}; ``worst_case`` = {accuracy, robust (per-sample bool list)}; ``x_worst``
        (numpy, per sample the image of the first attack that fooled it, else the clean one).
    """
    if not 0 <= eps <= 1:
        raise InputError(f"expected eps in [0, 1] (absolute pixel units); received: eps={eps}")
    x = common.check_images(x)
    y = np.asarray(y, np.int64)
    runs = _suite(float(eps), int(seed))
    unknown = [a for a in attacks if a not in runs]
    if unknown or not attacks:
        raise InputError(f"expected attacks from {SUITE}; received: {list(attacks)}")
    _, p_clean = common.predict(model, x)
    correct = p_clean.argmax(-1) == y
    robust = correct.copy()
    x_worst = x.copy()
    table = {}
    for name in attacks:
        start = time.perf_counter()
        res = runs[name](model, x, y, progress)
        seconds = time.perf_counter() - start
        numbers, arrays = common.measure(model, x, res.x_adv, y, np.full(len(x), common.UNTARGETED))
        still = arrays["pred_adv"] == y
        newly_fooled = robust & ~still
        x_worst[newly_fooled] = res.x_adv[newly_fooled]
        robust &= still
        table[name] = {"accuracy": float(still.mean()), "success_rate": numbers["success_rate"],
                       "linf_max": numbers["linf_max"], "seconds": round(seconds, 3)}
        if on_attack is not None:
            on_attack(name, table[name])
    return {"clean_accuracy": float(correct.mean()), "eps": float(eps), "num_images": int(len(x)),
            "attacks": table, "worst_case": {"accuracy": float(robust.mean()), "robust": robust.tolist()},
            "x_worst": x_worst,
            "judged_by": "re-prediction of each attack's returned float images with the same model"}


def pgd_accuracy(model, x, y, *, eps, steps=40, step_size=0.01, restarts=1, seed=0):
    """Clean accuracy and accuracy under an untargeted Linf PGD attack (Madry et al.'s evaluation).

    The adversarial images the attack returns are classified again
    (:func:`tfopt.attacks.common.measure`); nothing is taken from the attack's own state.

    Returns:
        dict with eps, steps, step_size, restarts, num_images, clean_accuracy, adv_accuracy
        (the fraction still classified correctly), linf_max.
    """
    from tfopt.attacks.gradient import pgd

    result = pgd(model, x, y, eps=eps, steps=steps, step_size=step_size, restarts=restarts, random_start=True,
                 seed=seed, progress=False)
    numbers, _ = common.measure(model, x, result.x_adv, result.y_true, result.y_target)
    return {"eps": float(eps), "steps": int(steps), "step_size": float(step_size), "restarts": int(restarts),
            "num_images": numbers["num_images"], "clean_accuracy": numbers["clean_accuracy"],
            "adv_accuracy": numbers["adv_accuracy"], "linf_max": numbers["linf_max"]}
