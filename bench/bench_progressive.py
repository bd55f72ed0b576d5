"""Progressive growing against the same network trained at full size from the start, and the mode count.

Two claims of Karras et al. 2018, on the offline digits, each in one run of this script:

* **Speed.** The progressive GAN (4 -> 32 px, the digits recipe of ``--model=progressive``) and the
  same final architecture trained at 32 px from the first step (``start_resolution=32``) each get
  the same budget of training seconds (evaluation excluded). FID to the test digits (digits-classifier
  features, 1,000 samples) is taken every ``--fid_every`` steps; the script prints FID at equal
  times and the time each takes to first reach a common FID (the best FID both reach).
* **Variation** (``--parts=modes``). Stacked digits (three digits as R, G, B: 1,000 modes), trained with and
  without the minibatch-stddev layer for the same budget; 10,000 samples of each are read by the
  digits classifier channel by channel: modes covered and KL(histogram || uniform).

The runs go one after another, not in turns (a run is a whole growth schedule), so run it on an
otherwise idle machine; the load average before and after is printed.

Run (not part of the test suite):
    python bench/bench_progressive.py                       # speed, 300 s each
    python bench/bench_progressive.py --budget=600 --parts=speed,modes  # and the mode count
"""
import argparse
import json
import os
import pathlib
import tempfile

import numpy as np

from tfopt import report
from tfopt.gan import GANConfig, io, progressive
from tfopt.gan.feeds import generate_from
from tfopt.gan.modes import count_modes, reader_accuracy


def _train(name, out, budget, fid_every, **flat):
    config = GANConfig.from_flat(model="progressive", steps=1_000_000, fid_every=fid_every, eval_samples=1000,
                                 checkpoint_every=500, sample_every=500, **flat)
    summary = progressive.train(config, out / name, overwrite=True, quiet=True, max_seconds=budget)
    print(f"{name}: {summary['steps']} steps in {summary['seconds']:.0f} s, reached {summary['stage_reached']}, "
          f"final FID {summary['fid']:.2f}", flush=True)
    return summary


def _at(curve, seconds):
    """The FID of the last point taken by ``seconds`` (None before the first)."""
    done = [c["fid"] for c in curve if c["seconds"] <= seconds]
    return done[-1] if done else None


def _first_reach(curve, fid):
    return next((c["seconds"] for c in curve if c["fid"] <= fid), None)


def speed(out, budget, fid_every):
    runs = {"progressive": _train("progressive", out, budget, fid_every),
            "fixed_32px": _train("fixed_32px", out, budget, fid_every, start_resolution=32)}
    # The end of the budget is a point too (the final evaluation: 1,000 samples, another noise seed).
    curves = {k: v["fid_curve"] + [{"seconds": v["seconds"], "fid": v["fid"]}] for k, v in runs.items()}
    common = max(min(c["fid"] for c in curve) for curve in curves.values())
    times = [t for t in range(30, int(budget) + 1, 30)]
    table = {k: {t: _at(curve, t) for t in times} for k, curve in curves.items()}
    print("FID at equal training seconds:")
    print("  seconds " + " ".join(f"{t:>7d}" for t in times))
    for name, row in table.items():
        print(f"  {name:<12s}" + " ".join(f"{v:7.1f}" if v is not None else "      -" for v in row.values()))
    reach = {k: _first_reach(curve, common) for k, curve in curves.items()}
    print(f"first reach FID <= {common:.1f} (the best both reach): " +
          ", ".join(f"{k} {v:.0f} s" for k, v in reach.items()))
    report.plot_curves(out / "bench_progressive.png", {k: [c["fid"] for c in v] for k, v in curves.items()},
                       x={k: [c["seconds"] for c in v] for k, v in curves.items()},
                       title="FID against training seconds", xlabel="training seconds", ylabel="FID", logy=True)
    return {"budget_seconds": budget, "common_fid": common, "seconds_to_common_fid": reach,
            "fid_at_seconds": table, "final_fid": {k: v["fid"] for k, v in runs.items()},
            "steps": {k: v["steps"] for k, v in runs.items()}}


def modes(out, budget, num_samples=10000):
    ceiling = reader_accuracy()
    print(f"reader on real stacked test digits: triple accuracy {ceiling['accuracy']:.3f}, "
          f"modes {ceiling['modes']}, KL {ceiling['kl']:.3f}", flush=True)
    result = {"reader": {k: ceiling[k] for k in ("accuracy", "modes", "kl")}}
    for name, stddev in (("with_minibatch_stddev", True), ("without_minibatch_stddev", False)):
        summary = _train(name, out, budget, 0, dataset="stacked_digits", minibatch_stddev=stddev)
        generator, _ = io.load_generator(out / name)
        z = np.random.default_rng(7).standard_normal((num_samples, generator.inputs[0].shape[-1])).astype(np.float32)
        counted = count_modes(np.clip(generate_from(generator, z), -1.0, 1.0))
        result[name] = {"modes": counted["modes"], "kl": counted["kl"], "steps": summary["steps"],
                        "fid": summary["fid"]}
        print(f"{name}: {counted['modes']} of 1000 modes, KL {counted['kl']:.3f} ({num_samples} samples)",
              flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds per run")
    parser.add_argument("--fid_every", type=int, default=25, help="steps between FID points")
    parser.add_argument("--parts", default="speed", help="comma-separated: speed, modes (the stacked-digits count)")
    parser.add_argument("--output", default=None, help="run directory (default: a temporary one)")
    args = parser.parse_args()
    out = pathlib.Path(args.output or tempfile.mkdtemp(prefix="bench_progressive_"))
    out.mkdir(parents=True, exist_ok=True)
    parts = args.parts.split(",")
    result = {"load_before": os.getloadavg()[0]}
    if "speed" in parts:
        result["speed"] = speed(out, args.budget, args.fid_every)
    if "modes" in parts:
        result["modes"] = modes(out, args.budget)
    result["load_after"] = os.getloadavg()[0]
    print(json.dumps(result, indent=1, default=str))
    (out / f"bench_progressive_{'_'.join(parts)}.json").write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
