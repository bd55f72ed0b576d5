"""The offline classifier: a small CNN trained in seconds on sklearn's real digits.

It is the network every technique can use here without downloads. The model (built by
:func:`tfopt.nets.digits_cnn.digits_cnn`) takes [B, 32, 32, 1] in [0, 1]; its last layer
is ``Softmax(name="probs")`` so the logits (the output of the Dense layer named "logits")
are the input of the last layer, and "penultimate" names the 128-unit feature layer.

Example:
    model, metrics = train_digits_classifier(seed=0)
    metrics["test_accuracy"]      # >= 0.98
"""
import contextlib
import os
import pathlib
import random
import time

import keras
import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.data import load_dataset
from tfopt.nets.digits_cnn import digits_cnn

__all__ = ["train_classifier", "train_digits_classifier", "train_and_save"]

_DEFAULT_EPOCHS = 16
_SHIFT = 2  # pixels of random translation used as augmentation


def _seeded(seed, build):
    """Runs `build()` with Keras's default initializer seeds drawn from `seed`.

    Keras draws the seed of every unseeded initializer from Python's `random`
    module; seeding it for the duration of the build (and restoring it after) makes
    the weights a function of `seed` without touching any other global state.
    """
    state = random.getstate()
    random.seed(int(seed))
    try:
        return build()
    finally:
        random.setstate(state)


@contextlib.contextmanager
def _without_global_tf_seed():
    """Runs the block with TensorFlow's global seed unset, then puts the caller's back as it was.

    tf.data's shuffle and random ops draw from (global seed, op seed): the op seed is
    ``seed`` here, but the global part is whatever ``tf.random.set_seed`` (or
    ``keras.utils.set_random_seed``, ``tfopt.core.set_seed``) the process called last,
    else TF's fixed default. Unset for the block, the datasets built in it depend on
    ``seed`` only, not on what ran before in the process. The caller's global seed and its
    sequence of op seeds are restored untouched. (TensorFlow has no public getter for
    them: this reads the eager context's two fields; the test suite pins the result.)
    """
    from tensorflow.python.eager import context

    ctx = context.context()
    fields = ("_seed", "_rng")  # a process that never set a seed has no _rng (read only when _seed is set)
    saved = {k: getattr(ctx, k) for k in fields if hasattr(ctx, k)}
    ctx._seed = None
    try:
        yield
    finally:
        for k in fields:
            if k in saved:
                setattr(ctx, k, saved[k])
            elif hasattr(ctx, k):
                delattr(ctx, k)


def _augment(ds, seed, shape):
    """Random translations by up to _SHIFT pixels (reflect-padded random crop), seeded."""
    height, width, _ = shape

    def shift(pair, op_seed):
        x, y = pair
        padded = tf.pad(x, [[0, 0], [_SHIFT, _SHIFT], [_SHIFT, _SHIFT], [0, 0]], mode="SYMMETRIC")
        crop = tf.image.stateless_random_crop(padded, tf.concat([tf.shape(x)[:1], [height, width, shape[2]]], 0),
                                              seed=op_seed)
        return crop, y

    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    return tf.data.Dataset.zip((ds, seeds)).map(shift, num_parallel_calls=1)


def train_classifier(dataset="digits", *, epochs=_DEFAULT_EPOCHS, batch_size=64, seed=0, data_dir=None,
                     learning_rate=3e-3, quiet=False, adversarial=None):
    """Trains the small CNN on an image-classification set and measures it.

    Deterministic for a seed on CPU: the split, the shuffle order, the augmentation
    and the initial weights all derive from `seed`, whatever global seeds the process
    set before (Python's, NumPy's, TensorFlow's: none of them is read, none is changed).

    Args:
        dataset: "digits" (offline) or a TFDS name (see :func:`tfopt.data.load_dataset`).
        epochs: passes over the training split.
        batch_size: examples per step.
        seed: seed of weights, shuffling and augmentation.
        data_dir: TFDS data directory.
        learning_rate: peak Adam learning rate (cosine-decayed to zero).
        quiet: no progress bar.
        adversarial: None (standard training) or a
            :class:`~tfopt.attacks.pgd_training.PGDTraining`: every batch is replaced by its
            PGD examples (Madry et al.). Any object with ``wrap(model) -> (model to fit,
            callbacks)``, ``describe() -> dict`` (merged into the metrics) and, for
            :func:`train_and_save`, ``evaluate(model, x, y, seed=) -> dict`` will do: the
            models layer takes the attack as a plug-in rather than importing it.

    Returns:
        (model, metrics): the trained keras.Model (the plain classifier, also when trained
        adversarially) and a dict with test_accuracy (clean), test_loss, train_seconds,
        epochs, num_params, dataset, seed, class_names, and adversarial_training (its settings)
        when trained adversarially.

    Example:
        model, metrics = train_classifier("digits", epochs=16)
    """
    if int(epochs) < 1:
        raise InputError(f"expected epochs >= 1; received: epochs={epochs}")
    with _without_global_tf_seed():
        return _train_classifier(dataset, epochs=epochs, batch_size=batch_size, seed=seed, data_dir=data_dir,
                                 learning_rate=learning_rate, quiet=quiet, adversarial=adversarial)


def _train_classifier(dataset, *, epochs, batch_size, seed, data_dir, learning_rate, quiet, adversarial):
    train, info = load_dataset(dataset, split="train", batch_size=batch_size, data_dir=data_dir, seed=seed)
    test, _ = load_dataset(dataset, split="test", batch_size=256, data_dir=data_dir, seed=seed, shuffle=False)
    train = _augment(train, seed, info.image_shape)
    model = _seeded(seed, lambda: digits_cnn(info.num_classes, input_shape=info.image_shape))
    steps = int(epochs) * max(1, int(np.ceil(info.num_examples / int(batch_size))))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    fitted, callbacks = model, []
    if adversarial is not None:
        fitted, callbacks = adversarial.wrap(model)
    fitted.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    start = time.perf_counter()
    fitted.fit(train, epochs=int(epochs), shuffle=False, verbose=0 if quiet else 2, callbacks=callbacks)
    train_seconds = time.perf_counter() - start
    test_loss, test_accuracy = fitted.evaluate(test, verbose=0)
    metrics = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "train_seconds": round(train_seconds, 2),
        "epochs": int(epochs),
        "num_params": int(model.count_params()),
        "dataset": dataset,
        "seed": int(seed),
        "class_names": info.class_names,
    }
    if adversarial is not None:
        metrics.update(adversarial.describe())
    return model, metrics


def train_digits_classifier(*, epochs=_DEFAULT_EPOCHS, batch_size=64, seed=0, quiet=False):
    """Trains the digits CNN on sklearn's digits (offline, under a minute on 2 CPU cores).

    Args:
        epochs: passes over the 1,347 training digits.
        batch_size: examples per step.
        seed: seed of the split, weights, shuffling and augmentation.
        quiet: no progress bar.

    Returns:
        (model, metrics) as in :func:`train_classifier`; metrics["test_accuracy"] is
        measured on the 450 held-out digits.

    Example:
        model, metrics = train_digits_classifier(seed=0, quiet=True)
    """
    return train_classifier("digits", epochs=epochs, batch_size=batch_size, seed=seed, quiet=quiet)


def _predict(model, dataset, data_dir, seed):
    test, _ = load_dataset(dataset, split="test", batch_size=256, data_dir=data_dir, seed=seed, shuffle=False)
    xs, ys, preds = [], [], []
    for x, y in test:
        xs.append(x.numpy())
        ys.append(y.numpy())
        preds.append(np.argmax(model(x, training=False), axis=-1))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(preds)


def _save_confusion(path, confusion, class_names):
    from matplotlib.figure import Figure

    from tfopt.core.files import atomic_path

    k = len(class_names)
    fig = Figure(figsize=(max(4.0, 0.45 * k + 1.5), max(3.6, 0.45 * k + 1.2)), dpi=100)
    ax = fig.subplots()
    ax.imshow(confusion, cmap="Blues")
    if k <= 20:
        ax.set_xticks(range(k), [str(c)[:10] for c in class_names], rotation=90 if k > 10 else 0)
        ax.set_yticks(range(k), [str(c)[:10] for c in class_names])
        for (i, j), count in np.ndenumerate(confusion):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                        color="white" if count > confusion.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"test accuracy {np.trace(confusion) / max(1, confusion.sum()):.4f}")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def train_and_save(outdir, *, dataset="digits", epochs=_DEFAULT_EPOCHS, batch_size=64, seed=0, data_dir=None,
                   quiet=False, adversarial=None):
    """Trains the small CNN (see :func:`train_classifier`) and writes what a person looks at.

    Writes ``outdir/model.keras``, ``outdir/summary.json`` (test_accuracy,
    train_seconds, epochs, num_params, dataset, seed, confusion), ``outdir/confusion.png``
    and ``outdir/predictions.png`` (test images labelled "predicted (true)"). Trained
    adversarially, summary.json also holds ``adversarial_training`` (the settings) and
    ``robustness``: clean and PGD-40 test accuracy at the training eps (step 0.01, one
    random start; :func:`tfopt.attacks.robustness.pgd_accuracy`), with ``pgd_test_accuracy``
    its headline number.

    Args:
        outdir: an existing directory to write into (binaries pass the temporary
            directory of :func:`tfopt.cli.output_dir`).
        dataset, epochs, batch_size, seed, data_dir, quiet, adversarial: as for
            :func:`train_classifier`.

    Returns:
        The summary dict written to summary.json.

    Example:
        summary = train_and_save("/tmp/digits", epochs=16)
    """
    from tfopt.images import save_grid
    from tfopt.core.files import write_summary

    outdir = pathlib.Path(outdir)
    model, metrics = train_classifier(dataset, epochs=epochs, batch_size=batch_size, seed=seed,
                                      data_dir=data_dir, quiet=quiet, adversarial=adversarial)
    x, y, pred = _predict(model, dataset, data_dir, seed)
    if adversarial is not None:
        metrics.update(adversarial.evaluate(model, x, y, seed=seed))
    names = metrics.pop("class_names")
    confusion = np.zeros((len(names), len(names)), np.int64)
    np.add.at(confusion, (y, pred), 1)
    model_path = outdir / "model.keras"
    tmp = outdir / f".model.tmp-{os.getpid()}.keras"
    model.save(tmp)
    os.replace(tmp, model_path)
    _save_confusion(outdir / "confusion.png", confusion, names)
    shown = slice(0, min(64, len(x)))
    labels = [f"{names[p]} ({names[t]})" if p != t else str(names[p]) for p, t in zip(pred[shown], y[shown])]
    save_grid(outdir / "predictions.png", x[shown], labels=labels, ncols=8, scale=max(1, 96 // x.shape[1]))
    summary = {**metrics, "test_examples": int(len(y)), "class_names": names,
               "confusion": confusion.tolist(), "model": str(model_path.name)}
    write_summary(outdir, summary)
    return summary
