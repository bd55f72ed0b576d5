"""Adversarial examples as recipes on the input-optimization engine (:mod:`tfopt.optim`).

FGSM, BIM, PGD (Linf and L2, random starts, restarts in the batch), MIM,
Carlini-Wagner L2 and AutoAttack's APGD-CE / APGD-DLR (APGD-T); targeted (a class index or name) or untargeted; ``eps`` and step
sizes in absolute [0, 1] pixel units; gradients from the logits.

Example:
    from tfopt import attacks
    res = attacks.pgd(model, x, y, eps=0.2, steps=40, step_size=0.01, target="3")
    numbers, arrays = attacks.measure(model, x, res.x_adv, res.y_true, res.y_target)
"""
from tfopt.attacks.common import (NORMS, SUCCESS_TOL, UNTARGETED, AttackResult, adversarial_objective, measure,
                                  predict, resolve_labels, resolve_target, success_margin)
from tfopt.attacks.apgd import apgd_ce, apgd_dlr
from tfopt.attacks.cw import cw_l2
from tfopt.attacks.gradient import bim, fgsm, mim, pgd
from tfopt.attacks.run import METHODS, AttackConfig, attack, run_attack

__all__ = [
    "fgsm", "bim", "pgd", "mim", "cw_l2", "apgd_ce", "apgd_dlr", "attack", "METHODS", "AttackConfig", "run_attack",
    "AttackResult", "NORMS", "SUCCESS_TOL", "UNTARGETED",
    "adversarial_objective", "success_margin", "measure", "predict", "resolve_labels", "resolve_target",
]
