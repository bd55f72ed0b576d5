"""Pictures of a run: curve plots and a static HTML gallery, written atomically.

summary.json and the atomic-write helpers are in :mod:`tfopt.core.files`.

Example:
    plot_curves(outdir / "loss.png", {"g_loss": g, "d_loss": d}, title="DCGAN")
    write_gallery(outdir / "index.html", title="Tour", sections=[{"title": "...", "images": [...]}])
"""
import html
import json
import os
import pathlib

import numpy as np

from tfopt.core.files import atomic_path, to_jsonable

__all__ = ["plot_curves", "write_gallery"]


def plot_curves(path, series, *, title="", xlabel="step", ylabel="", logy=False, x=None, logx=False):
    """Plots named curves against their index (or ``x``) and writes a PNG (matplotlib Agg), atomically.

    Args:
        path: destination .png; parent directories are created.
        series: ``{name: sequence of numbers}`` (lists, arrays or tensors); non-finite
            values are left as gaps.
        title: plot title.
        xlabel: x axis label.
        ylabel: y axis label.
        logy: log-scale y axis (only positive values are drawn).
        x: the x value of each point (default: its index), or ``{name: x values}`` per series.
        logx: log-scale x axis.

    Returns:
        The path written, as a ``pathlib.Path``.
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    path = pathlib.Path(path)
    fig = Figure(figsize=(6.4, 4.0), dpi=100)
    ax = fig.subplots()
    for name, values in series.items():
        values = np.asarray(to_jsonable(values), dtype=np.float64).reshape(-1)
        xs = x.get(name) if isinstance(x, dict) else x
        ax.plot(np.arange(values.size) if xs is None else np.asarray(xs, np.float64), values, marker=".",
                label=str(name))
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if series:
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #ddd;padding-bottom:.3em}
nav ol{columns:2;font-size:.95em}
section{border-top:1px solid #e5e5e5;margin-top:2em;padding-top:.5em}
figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top;max-width:100%}
figure img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}
figcaption{font-size:.9em;color:#555;max-width:512px}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left}
td.v{font-family:ui-monospace,Menlo,Consolas,monospace;text-align:right}
.error{color:#b00020;font-weight:600;white-space:pre-wrap}
"""


def _format_number(value):
    value = to_jsonable(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _section_html(index, section):
    esc = html.escape
    parts = [f'<section id="s{index}">', f"<h2>{esc(str(section.get('title', f'Section {index}')))}</h2>"]
    if section.get("error"):
        parts.append(f'<p class="error">Failed: {esc(str(section["error"]))}</p>')
    for para in str(section.get("text", "") or "").split("\n\n"):
        if para.strip():
            parts.append(f"<p>{esc(para.strip())}</p>")
    for item in section.get("images", []) or []:
        src, caption = (item, "") if isinstance(item, (str, os.PathLike)) else item
        src = pathlib.PurePath(src).as_posix()
        parts.append(
            f'<figure><img src="{esc(src, quote=True)}" alt="{esc(str(caption), quote=True)}" loading="lazy">'
            f"<figcaption>{esc(str(caption))}</figcaption></figure>"
        )
    numbers = section.get("numbers") or {}
    if numbers:
        rows = "".join(
            f'<tr><th>{esc(str(k))}</th><td class="v">{esc(_format_number(v))}</td></tr>' for k, v in numbers.items()
        )
        parts.append(f"<table>{rows}</table>")
    parts.append("</section>")
    return "\n".join(parts)


def write_gallery(path, *, title, sections, intro=""):
    """Writes a self-contained static HTML page (inline CSS, no JS, no external assets).

    Args:
        path: destination .html; parent directories are created. Image sources are
            relative to it.
        title: page title and heading.
        sections: list of dicts with keys ``"title"``, ``"text"`` (paragraphs split on
            blank lines), ``"images"`` (list of ``(relative_src, caption)``), ``"numbers"``
            (``{name: value}``, shown as a small table) and optionally ``"error"`` (a
            section that failed, shown in red). All text is HTML-escaped.
        intro: paragraph(s) under the main heading.

    Returns:
        The path written, as a ``pathlib.Path``.
    """
    esc = html.escape
    sections = list(sections)
    toc = "".join(
        f'<li><a href="#s{i}">{esc(str(s.get("title", f"Section {i}")))}</a>'
        + (' <span class="error">(failed)</span>' if s.get("error") else "")
        + "</li>"
        for i, s in enumerate(sections, 1)
    )
    intro_html = "".join(f"<p>{esc(p.strip())}</p>" for p in str(intro).split("\n\n") if p.strip())
    body = "\n".join(_section_html(i, s) for i, s in enumerate(sections, 1))
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(str(title))}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{esc(str(title))}</h1>\n{intro_html}\n"
        + (f"<nav><ol>{toc}</ol></nav>\n" if len(sections) > 1 else "")
        + f"{body}\n</body>\n</html>\n"
    )
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
