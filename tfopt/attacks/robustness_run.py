"""What ``bin/robustness.py`` does: load, run the suite, write the table and the worst-case figure."""
import pathlib

import numpy as np

from tfopt.attacks import common, robustness
from tfopt.attacks.output import save_arrays, save_figure
from tfopt.attacks.run import AttackConfig, load_inputs

__all__ = ["run_robustness", "markdown_table"]


def markdown_table(table):
    """The table as Markdown: one row per attack plus the worst case."""
    lines = [f"Robust accuracy at Linf eps {table['eps']:g} on {table['num_images']} images "
             f"(clean accuracy {table['clean_accuracy']:.3f})", "",
             "| attack | accuracy | success rate | seconds |", "|---|---|---|---|"]
    for name, row in table["attacks"].items():
        lines.append(f"| {name} | {row['accuracy']:.3f} | {row['success_rate']:.3f} | {row['seconds']:.1f} |")
    lines.append(f"| **worst case** | **{table['worst_case']['accuracy']:.3f}** | | |")
    return "\n".join(lines) + "\n"


def run_robustness(outdir, *, model, weights=None, eps=0.3, attacks=robustness.SUITE, dataset="digits",
                   num_images=200, seed=0, quiet=False):
    """Runs :func:`~tfopt.attacks.robustness.robust_accuracy`; writes summary.json, table.md, worst_case.png/.npz.

    Returns:
        The summary dict.
    """
    from tfopt.core import files
    from tfopt.models import zoo

    outdir = pathlib.Path(outdir)
    config = AttackConfig(model=model, weights=weights, dataset=dataset, num_images=num_images, seed=seed)
    net = zoo.get_model(model, seed=seed, **({} if weights is None else {"weights": weights}))
    x, y, source, notes = load_inputs(config, net)
    if y is None:
        y = common.predict(net, x)[1].argmax(-1)
    table = robustness.robust_accuracy(net, x, y, eps=eps, attacks=attacks, seed=seed, progress=not quiet)
    x_worst = table.pop("x_worst")
    _, arrays = common.measure(net, x, x_worst, y, np.full(len(x), common.UNTARGETED))
    save_figure(outdir / "worst_case.png", x, x_worst, arrays, zoo.class_names(net))
    save_arrays(outdir / "worst_case.npz", x=x, x_worst=x_worst, y=y, pred_worst=arrays["pred_adv"])
    with files.atomic_path(outdir / "table.md") as tmp:
        tmp.write_text(markdown_table(table))
    summary = dict(table, model=model, weights=zoo.describe_weights(net), source=source, resized=notes,
                   seed=int(seed))
    files.write_summary(outdir, summary)
    return summary
