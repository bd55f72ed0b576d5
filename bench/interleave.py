"""Side-by-side timing: models (or any timed calls) take turns, so a machine
shared with other work slows every model alike, and the per-step times compare over the same periods.

    from interleave import fit_in_turns          # bench/ is on sys.path when a bench_*.py runs
    per_step = fit_in_turns({"ours": (gan, ds), "theirs": (other, other_ds)}, steps=1000, chunk=250)

    from interleave import call_in_turns, paired_ratio
    first, seconds = call_in_turns({"ours": run_ours, "theirs": run_theirs}, rounds=3)
    paired_ratio(seconds["ours"], seconds["theirs"])   # median per-round time ratio
"""
import time

__all__ = ["fit_in_turns", "call_in_turns", "paired_ratio", "median"]


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


def call_in_turns(calls, *, rounds, on_error=None, warmups=None):
    """Calls each of ``calls`` once to warm it up, then ``rounds`` times in turns (A B C, A B C, ...).

    A machine shared with other jobs slows every contender of one round alike, so the
    per-round ratios (:func:`paired_ratio`) are steadier than ratios of separate runs.

    Args:
        calls: ``{name: fn}``, each ``fn()`` one timed unit of work (its result is discarded).
        rounds: timed calls of each.
        on_error: ``on_error(name, error)`` when a call raises; that contender is dropped.
        warmups: ``{name: fn}`` to call instead of ``calls[name]`` for the warm-up (a shorter
            call that only traces); the others warm up with their own call.

    Returns:
        ``(first, seconds)``: the first (warm-up) call's seconds per name, and the list of
        timed seconds per name. A contender that failed is missing from both.
    """
    first, seconds, live = {}, {}, dict(calls)

    warmups = warmups or {}

    def timed(name, fn=None):
        start = time.perf_counter()
        try:
            (fn or live[name])()
        except Exception as error:  # noqa: BLE001 - a failing contender is reported, the rest carry on
            del live[name]
            first.pop(name, None)
            seconds.pop(name, None)
            if on_error is not None:
                on_error(name, error)
            return None
        return time.perf_counter() - start

    for name in list(live):
        t = timed(name, warmups.get(name))
        if t is not None:
            first[name], seconds[name] = t, []
    for _ in range(rounds):
        for name in list(live):
            t = timed(name)
            if t is not None:
                seconds[name].append(t)
    return first, seconds


def paired_ratio(a, b):
    """Median over rounds of ``a[i] / b[i]`` (two lists of seconds from one :func:`call_in_turns`)."""
    ratios = sorted(x / y for x, y in zip(a, b))
    if not ratios:
        return None
    mid = len(ratios) // 2
    return ratios[mid] if len(ratios) % 2 else 0.5 * (ratios[mid - 1] + ratios[mid])


def median(values):
    """The median of a non-empty list."""
    return paired_ratio(values, [1.0] * len(values))
