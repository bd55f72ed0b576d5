"""Madry et al. (2018) PGD adversarial training as a Keras model: ``fit`` trains on PGD examples.

:class:`AdversarialTrainer` wraps a classifier (a functional model whose logits are the
input of its last layer, like the digits CNN). Its ``train_step`` first attacks the batch
with the engine's compiled loop (:func:`tfopt.optim.optimize_tensors`: an untargeted
Linf PGD with a random start, the classifier in inference mode so BatchNorm uses its
moving statistics and nothing is updated), then takes one optimizer step on the
adversarial examples with the classifier in training mode. So training goes through
``model.fit`` with the usual callbacks and progress bar, and the saved artefact is the
plain wrapped classifier (``trainer.classifier``), loadable with ``safe_mode=True``.

:class:`EpsRamp` grows the radius linearly over the first epochs (a standard help on small
data: at the full radius from the first step the network can collapse to a constant).
:mod:`tfopt.attacks.pgd_training` plugs both into the digits trainer.

Example:
    trainer = AdversarialTrainer(model, eps=0.3, steps=7, step_size=0.1)
    trainer.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    trainer.fit(train, epochs=10, callbacks=[EpsRamp(3)])
    trainer.classifier.save("robust.keras")
"""
import keras
import tensorflow as tf

from tfopt.attacks.common import UNTARGETED, adversarial_objective
from tfopt.core.errors import InputError
from tfopt.optim import optimize_tensors
from tfopt.optim.constraints import linf_ball

__all__ = ["AdversarialTrainer", "EpsRamp"]


class AdversarialTrainer(keras.Model):
    """A classifier whose ``fit`` trains on its own Linf PGD examples (Madry et al.).

    Args:
        classifier: the keras.Model to train (its weights are the trainer's).
        eps: Linf radius of the attack, absolute [0, 1] pixel units, in (0, 1].
        steps: PGD iterations per batch (K).
        step_size: absolute size of each signed-gradient step at the full radius; while
            :class:`EpsRamp` shrinks the radius the step shrinks with it.
        clean_weight: weight of the clean batch's loss in [0, 1); 0 (Madry) trains on the
            adversarial batch only, w trains on ``(1 - w) * adversarial + w * clean``.
    """

    def __init__(self, classifier, *, eps, steps, step_size, clean_weight=0.0, **kwargs):
        super().__init__(name=kwargs.pop("name", f"adversarial_{classifier.name}"), **kwargs)
        if not 0 < eps <= 1:
            raise InputError(f"expected 0 < eps <= 1; received: eps={eps}")
        if int(steps) < 1 or not step_size > 0:
            raise InputError(f"expected steps >= 1 and step_size > 0; received: steps={steps}, "
                             f"step_size={step_size}")
        if not 0 <= clean_weight < 1:
            raise InputError(f"expected 0 <= clean_weight < 1; received: clean_weight={clean_weight}")
        self.classifier = classifier
        self.eps, self.steps, self.step_size = float(eps), int(steps), float(step_size)
        self.clean_weight = float(clean_weight)
        self.current_eps = self.eps
        self._eps_var = keras.Variable(self.eps, trainable=False, dtype="float32", name="attack_eps")

    def call(self, x, training=False):
        return self.classifier(x, training=training)

    def set_eps(self, eps):
        """Sets the radius of the next batches (a variable the compiled step reads: no retrace)."""
        self.current_eps = float(min(max(eps, 0.0), self.eps))
        self._eps_var.assign(self.current_eps)

    def adversarial_batch(self, x, y, seed):
        """The PGD examples of a batch at the current radius (tensors; usable inside a tf.function).

        Args:
            x: clean images [B, H, W, C] in [0, 1].
            y: true labels [B].
            seed: scalar int (a tensor is fine): the random start's seed.

        Returns:
            [B, H, W, C] images within ``current_eps`` of ``x`` (Linf), gradient-stopped.
        """
        y = tf.cast(y, tf.int32)
        step = self.step_size * self._eps_var / self.eps
        x_adv, _ = optimize_tensors(adversarial_objective(y, tf.fill(tf.shape(y), UNTARGETED)), self.classifier, x,
                                    steps=self.steps, optimizer="sign", learning_rate=step,
                                    constraint=linf_ball(self.eps), radius=self._eps_var, random_start=True,
                                    seed=seed)
        return tf.stop_gradient(x_adv)

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x_adv = self.adversarial_batch(x, y, self.optimizer.iterations)
        x_train, y_train, weight = x_adv, y, sample_weight
        if self.clean_weight > 0:
            n = tf.shape(y)[0]
            x_train, y_train = tf.concat([x_adv, x], 0), tf.concat([y, y], 0)
            # Doubled so the mean over 2B equals (1 - w) * mean_adv + w * mean_clean.
            weight = 2.0 * tf.concat([tf.fill([n], 1.0 - self.clean_weight), tf.fill([n], self.clean_weight)], 0)
            if sample_weight is not None:
                weight *= tf.cast(tf.concat([sample_weight, sample_weight], 0), weight.dtype)
        with tf.GradientTape() as tape:
            y_pred = self(x_train, training=True)
            loss = self.compute_loss(x=x_train, y=y_train, y_pred=y_pred, sample_weight=weight, training=True)
            scaled = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
        return self.compute_metrics(x_train, y_train, y_pred, sample_weight=weight)


class EpsRamp(keras.callbacks.Callback):
    """Grows an :class:`AdversarialTrainer`'s radius linearly to its ``eps`` over the first epochs.

    Epoch e (0-based) attacks at ``eps * min(1, (e + 1) / epochs)``; the radius is logged
    as ``eps`` in the epoch's logs.

    Args:
        epochs: epochs of the ramp; 0 or 1 means the full radius from the start.
    """

    def __init__(self, epochs):
        super().__init__()
        self.epochs = int(epochs)

    def on_epoch_begin(self, epoch, logs=None):
        trainer = self.model
        trainer.set_eps(trainer.eps * min(1.0, (epoch + 1) / max(1, self.epochs)))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["eps"] = self.model.current_eps
