"""Timing helpers shared by the benchmarks: interleaved rounds, median of per-round ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(
    ours: Callable[[], object], reference: Callable[[], object], rounds: int = 5
) -> dict[str, float]:
    """Time both ``rounds`` times, alternating which goes first; return medians and the median
    of the per-round speed ratios (reference time / our time: above 1 means ours is faster)."""
    ours(), reference()  # warm-up: allocations, thread pools, caches
    t_ours, t_ref = [], []
    for r in range(rounds):
        pair = [(t_ours, ours), (t_ref, reference)]
        for times, fn in pair if r % 2 == 0 else pair[::-1]:
            times.append(seconds(fn))
    ratios = [ref / o for o, ref in zip(t_ours, t_ref, strict=True)]
    return {
        "ours_s": statistics.median(t_ours),
        "reference_s": statistics.median(t_ref),
        "speed_ratio": statistics.median(ratios),
    }
