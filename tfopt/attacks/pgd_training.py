"""PGD adversarial training of the digits CNN: the settings, their hooks into the trainer, the robust default.

:class:`PGDTraining` is what ``bin/train_classifier.py --adversarial=pgd`` and
``get_model("digits_cnn_robust")`` pass to :func:`tfopt.models.digits.train_classifier`
and :func:`~tfopt.models.digits.train_and_save`: it wraps the CNN in an
:class:`~tfopt.attacks.adversarial_training.AdversarialTrainer` (plus the eps ramp), names
its settings for summary.json, and measures the result under PGD-40 at the training eps.
(The models layer sits below the attacks; these hooks keep it from importing them.)

Example:
    model, metrics = train_classifier("digits", adversarial=PGDTraining(eps=0.3, steps=7, step_size=0.1))
"""
import dataclasses

from tfopt.attacks.adversarial_training import AdversarialTrainer, EpsRamp
from tfopt.attacks.robustness import pgd_accuracy

__all__ = ["PGDTraining", "ROBUST_TRAINING", "train_robust_digits_classifier", "EVAL_STEPS", "EVAL_STEP_SIZE"]

EVAL_STEPS, EVAL_STEP_SIZE = 40, 0.01
"""The robustness reported after adversarial training: Madry et al.'s PGD-40, step 0.01, one random start."""


@dataclasses.dataclass(frozen=True)
class PGDTraining:
    """Madry et al. PGD adversarial training, as a plug-in of the digits trainer.

    Attributes:
        eps: Linf radius, absolute [0, 1] pixel units.
        steps: PGD iterations per batch (K).
        step_size: signed-gradient step at the full radius.
        ramp_epochs: epochs over which the radius grows linearly to eps (0: full from the start).
        clean_weight: weight of the clean examples' loss (0: adversarial examples only, as Madry).
    """

    eps: float = 0.3
    steps: int = 7
    step_size: float = 0.1
    ramp_epochs: int = 0
    clean_weight: float = 0.0

    def wrap(self, model):
        """(the keras.Model to compile and fit, its callbacks) for the classifier ``model``."""
        trainer = AdversarialTrainer(model, eps=self.eps, steps=self.steps, step_size=self.step_size,
                                     clean_weight=self.clean_weight)
        return trainer, [EpsRamp(self.ramp_epochs)]

    def describe(self):
        """The settings, as metrics: {"adversarial_training": {"method": "pgd", ...}}."""
        return {"adversarial_training": {"method": "pgd", **dataclasses.asdict(self)}}

    def evaluate(self, model, x, y, *, seed=0):
        """Clean and PGD-40 accuracy at ``eps`` of the trained model on (x, y), for summary.json."""
        robust = pgd_accuracy(model, x, y, eps=self.eps, steps=EVAL_STEPS, step_size=EVAL_STEP_SIZE, seed=seed)
        robust["judged_by"] = "re-prediction of the images PGD returned"
        return {"pgd_test_accuracy": robust["adv_accuracy"], "robustness": robust}


ROBUST_TRAINING = {"epochs": 12, "eps": 0.3, "steps": 5, "step_size": 0.1, "ramp_epochs": 4, "clean_weight": 0.5}
"""The budget of the cached robust digits CNN (``get_model("digits_cnn_robust")``); see docs/models.md.

PGD-5 (step 0.1) at eps 0.3 ramped over 4 of 12 epochs, on a 50/50 mix of PGD and clean
examples: about 3 CPU-minutes. Adversarial examples only (Madry's recipe) collapsed to
chance here: sklearn's blurry upsampled digits are much closer to each other in Linf than
MNIST's (a third of the test digits have a training digit of another class within 0.6).
"""


def train_robust_digits_classifier(*, seed=0, quiet=False):
    """Trains the digits CNN adversarially (Madry et al. PGD training) with :data:`ROBUST_TRAINING`.

    Args:
        seed: seed of the split, weights, shuffling, augmentation and the attacks' random starts.
        quiet: no progress bar.

    Returns:
        (model, metrics) as in :func:`tfopt.models.digits.train_classifier` (test_accuracy is the clean one).

    Example:
        model, metrics = train_robust_digits_classifier(quiet=True)
    """
    from tfopt.models.digits import train_classifier

    budget = dict(ROBUST_TRAINING)
    epochs = budget.pop("epochs")
    return train_classifier("digits", epochs=epochs, seed=seed, quiet=quiet, adversarial=PGDTraining(**budget))
