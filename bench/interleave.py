"""Side-by-side training for the GAN benchmarks: models take turns in chunks of steps, so a machine
shared with other work slows every model alike, and the per-step times compare over the same periods.

    from interleave import fit_in_turns          # bench/ is on sys.path when a bench_*.py runs
    per_step = fit_in_turns({"ours": (gan, ds), "theirs": (other, other_ds)}, steps=1000, chunk=250)
"""
import time

__all__ = ["fit_in_turns"]


def fit_in_turns(runs, *, steps, chunk):
    """Fits each ``(model, dataset)`` of ``runs`` for ``steps`` steps, ``chunk`` at a time, in turns.

    Args:
        runs: ``{name: (compiled keras model, dataset)}``.
        steps: training steps of each model.
        chunk: steps of one turn.

    Returns:
        ``{name: seconds per step}``, leaving out the first chunk (graph tracing) when there is more than one.
    """
    seconds = {name: [] for name in runs}
    done = 0
    while done < steps:
        n = min(chunk, steps - done)
        for name, (model, ds) in runs.items():
            start = time.perf_counter()
            model.fit(ds, steps_per_epoch=n, epochs=1, verbose=0, shuffle=False)
            seconds[name].append((n, time.perf_counter() - start))
        done += n
        print(f"{done}/{steps} steps", flush=True)
    return {k: sum(t for _, t in v[1:] or v) / sum(n for n, _ in v[1:] or v) for k, v in seconds.items()}
