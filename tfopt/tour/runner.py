"""Runs every tour section and writes the gallery (index.html) and summary.json.

Sections are the modules ``tfopt/tour/sNN_<name>.py`` (see the package docstring),
each in its own sub-directory, shown in name order. A section that fails is shown on
the page in red with its one-line error; the others still run. Every section starts
from the same seeded state, so its result does not depend on which ran before it.

With ``workers > 1`` sections run side by side in that many processes (spawned, each
with its own TensorFlow), the longest first. Most sections keep one of the two cores of
a laptop busy, not both (small ops, Python between steps), so two at once finish the
tour in about two thirds of the time. Models cached on first use (the digits
classifier) are trained once even when two sections ask at once (the cache's lock).
"""
import concurrent.futures
import importlib
import multiprocessing
import pathlib
import pkgutil
import re
import time
import traceback

from tfopt import report
from tfopt.core import files
from tfopt.core.threads import share_cores

__all__ = ["section_names", "run_tour"]

_SECTION = re.compile(r"^s\d\d_\w+$")


def section_names(package="tfopt.tour"):
    """Names of the tour's section modules (of ``package``), in order."""
    pkg = importlib.import_module(package)
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if _SECTION.match(m.name))


# Seconds each section took in a tour on 2 cores, 2 sections at a time (the longest start first; measured
# 2026-12-02 from an empty cache, 674.8 s in all).
_SECONDS = {"s68_text_to_image": 551, "s66_biggan": 140, "s70_pix2pix": 135, "s40_inversion": 100, "s50_style": 91,
            "s67_progressive_gan": 89, "s60_gan": 67, "s10_class_models": 50, "s30_fooling": 47, "s20_adversarial": 31,
            "s45_dream": 14}


def _run_section(name, outdir, seed, quiet, package="tfopt.tour"):
    from tfopt.core.seeding import set_seed

    set_seed(seed)
    mod = importlib.import_module(f"{package}.{name}")
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


def _log_entry(log, name, entry):
    status = f"FAILED ({entry['error']})" if "error" in entry else "ok"
    log(f"tour: {name} {status} in {entry['seconds']} s")


def _run_all(names, outdir, seed, quiet, log, workers, package):
    """``{name: entry}`` of every section, ``workers`` at a time."""
    if workers <= 1 or len(names) <= 1:
        entries = {}
        for name in names:
            log(f"tour: {name} ...")
            entries[name] = _run_section(name, outdir, seed, quiet, package)
            _log_entry(log, name, entries[name])
        return entries
    order = sorted(names, key=lambda n: -_SECONDS.get(n, 60))
    log(f"tour: {len(names)} sections, {workers} at a time (progress bars off)")
    context = multiprocessing.get_context("spawn")  # a fork would copy TensorFlow's threads and state
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=share_cores,
                                                initargs=(workers,)) as pool:
        futures = {pool.submit(_run_section, name, outdir, seed, True, package): name for name in order}
        entries = {}
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]
            try:
                entries[name] = future.result()
            except Exception as err:  # the worker process itself died
                entries[name] = {"title": name, "seconds": 0.0, "error": f"{type(err).__name__}: {err}"}
            _log_entry(log, name, entries[name])
    return entries


def run_tour(outdir, *, seed=0, quiet=False, only=None, log=print, workers=1, package="tfopt.tour"):
    """Runs the tour sections into ``outdir``.

    Args:
        outdir: directory to write (index.html, summary.json, one folder per section).
        seed: seed every section starts from.
        quiet: no progress bars.
        only: optional list of section names (or name fragments) to run.
        log: where one line per section goes.
        workers: sections run at once, each in its own process (1: one after another, here).
        package: the package whose ``sNN_*`` modules are the sections.

    Returns:
        The summary dict (also written to ``outdir/summary.json``).
    """
    outdir = pathlib.Path(outdir)
    names = section_names(package) if package != "tfopt.tour" else section_names()
    if only:
        names = [n for n in names if any(o in n for o in only)]
    start = time.perf_counter()
    entries = _run_all(names, outdir, seed, quiet, log, workers, package)
    sections = [(name, entries[name]) for name in names]
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
        "workers": workers,
        "failed": [name for name, e in sections if "error" in e],
        "sections": {name: {k: e.get(k) for k in ("title", "seconds", "numbers", "error") if k in e}
                     for name, e in sections},
    }
    files.write_summary(outdir, summary)
    return summary
