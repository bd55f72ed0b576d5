"""Runs every tour section and writes the gallery (index.html) and summary.json.

Sections are the modules ``tfopt/tour/sNN_<name>.py`` (see the package docstring),
run in name order, each in its own sub-directory. A section that fails is shown on
the page in red with its one-line error; the others still run.
"""
import importlib
import pathlib
import pkgutil
import re
import time
import traceback

from tfopt import report
from tfopt.core import files

__all__ = ["section_names", "run_tour"]

_SECTION = re.compile(r"^s\d\d_\w+$")


def section_names():
    """Names of the tour's section modules, in order."""
    import tfopt.tour as pkg
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if _SECTION.match(m.name))


def _run_section(name, outdir, seed, quiet):
    mod = importlib.import_module(f"tfopt.tour.{name}")
    subdir = outdir / name
    subdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    entry = {"title": getattr(mod, "TITLE", name)}
    try:
        result = mod.run(subdir, seed=seed, quiet=quiet)
        entry.update(text=result.get("text", ""), numbers=dict(result.get("numbers", {})),
                     images=[(f"{name}/{src}", caption) for src, caption in result.get("images", [])])
    except Exception as err:  # a broken section must not hide the others
        (subdir / "error.txt").write_text(traceback.format_exc())
        entry["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    entry["seconds"] = round(time.perf_counter() - start, 1)
    return entry


def run_tour(outdir, *, seed=0, quiet=False, only=None, log=print):
    """Runs the tour sections into ``outdir``.

    Args:
        outdir: directory to write (index.html, summary.json, one folder per section).
        seed: seed passed to every section.
        quiet: no progress bars.
        only: optional list of section names (or name fragments) to run.
        log: where one line per section goes.

    Returns:
        The summary dict (also written to ``outdir/summary.json``).
    """
    outdir = pathlib.Path(outdir)
    names = section_names()
    if only:
        names = [n for n in names if any(o in n for o in only)]
    start = time.perf_counter()
    sections = []
    for name in names:
        log(f"tour: {name} ...")
        entry = _run_section(name, outdir, seed, quiet)
        status = f"FAILED ({entry['error']})" if "error" in entry else "ok"
        log(f"tour: {name} {status} in {entry['seconds']} s")
        sections.append((name, entry))
    total = round(time.perf_counter() - start, 1)
    page = [dict(entry, numbers=dict(entry.get("numbers", {}), seconds=entry["seconds"]))
            for _, entry in sections]
    report.write_gallery(
        outdir / "index.html", title="tfopt tour: feature-space optimization on offline data",
        intro=(f"Every technique of tfopt run on data and models available offline, in {total} s. "
               "Each section names the model and weights it used."),
        sections=page)
    summary = {
        "total_seconds": total,
        "seed": seed,
        "failed": [name for name, e in sections if "error" in e],
        "sections": {name: {k: e.get(k) for k in ("title", "seconds", "numbers", "error") if k in e}
                     for name, e in sections},
    }
    files.write_summary(outdir, summary)
    return summary
