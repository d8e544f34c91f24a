"""Figures for the chapter *How ReID is scored* (CMC curves are used by later chapters too)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from reidlab.evaluation import RankResult
from reidlab.plots import figure

HIT, MISS = "#009E73", "#D55E00"


def precision_along_ranking(hits: list[bool]) -> Figure:
    """One query's ranking (junk removed), left to right: each result green if correct, orange
    if not, and the precision after each rank. The two average precisions are the means of the
    precision at each correct result (dots) and of the mean of the precision just before it and
    at it (the trapezoid rule of Market-1501's code)."""
    h = np.asarray(hits, dtype=bool)
    if h.ndim != 1 or not h.any():
        raise ValueError("hits must be a 1-D list with at least one correct result")
    ranks = np.arange(1, len(h) + 1)
    precision = np.cumsum(h) / ranks
    before = np.concatenate([[1.0], precision[:-1]])
    at_hits = precision[h].mean()
    trapezoid = ((before[h] + precision[h]) / 2).mean()
    fig, ax = figure(6.4, 2.9)
    ax.bar(ranks, 0.06, bottom=-0.1, color=np.where(h, HIT, MISS), width=0.85)
    ax.step(ranks, precision, where="post", color="#555555", lw=1.2, label="precision after rank r")
    ax.plot(ranks[h], precision[h], "o", color=HIT, ms=7, label=f"at each correct result: AP {at_hits:.3f}")
    for r, b, p in zip(ranks[h], before[h], precision[h], strict=True):
        ax.plot([r, r], [b, p], color="#0072B2", lw=3, alpha=0.6)
    ax.plot([], [], color="#0072B2", lw=3, alpha=0.6, label=f"from just before to at it: AP {trapezoid:.3f}")
    ax.set(
        xlabel="rank r, junk removed (green: correct, orange: wrong)",
        ylabel="precision",
        ylim=(-0.12, 1.08),
        xticks=ranks,
    )
    ax.legend(fontsize=8, loc="upper right")
    return fig


def cmc_curves(results: dict[str, RankResult]) -> Figure:
    """CMC curves: the share of queries with a correct match within the top k."""
    fig, ax = figure(5.0, 3.2)
    for name, r in results.items():
        k = np.arange(1, len(r.cmc) + 1)
        ax.plot(k, r.cmc.numpy(), lw=2, marker="o", ms=3, label=f"{name} (mAP {r.mAP:.2f})")
    ax.set(xlabel="rank k", ylabel="correct match in top k", ylim=(0, 1.02), xlim=(1, len(k)))
    ax.legend(fontsize=8, loc="lower right")
    return fig
