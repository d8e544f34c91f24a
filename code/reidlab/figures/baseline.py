"""Figures for the chapter *From the toy world to Market-1501*, and the search measurements behind
its scale figure.

* :func:`files_on_disk`: images read back from a data set's folders, titled with their file names;
* :func:`chance_rank1`: the rank-1 a random ranking scores on average, under the protocol;
* :func:`trick_ladder`: the strong baseline's ablation, the paper's numbers beside the toy's seeds;
* :func:`search_costs` (measures) and :func:`search_scaling` (draws): how the cost of a query grows
  with the gallery, exact and with FAISS's indexes (:mod:`reidlab.search`), at sizes a chapter can
  afford; ``benchmarks/bench_search.py`` (``make bench``) runs the same methods up to 10^6.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from reidlab.datasets import load_image
from reidlab.hashing import pack_bits, random_hyperplanes
from reidlab.plots import COLORS, figure, show_image
from reidlab.search import (
    binary_index,
    binary_search,
    build_index,
    exact_search,
    recall_at_1,
    synthetic_embeddings,
)

METRIC_COLORS = {"rank1": COLORS["euclidean"], "mAP": COLORS["cosine"]}
METHOD_COLORS = {
    "exact (book)": COLORS["neutral"],
    "faiss flat": "#56B4E9",
    "faiss IVF": COLORS["cosine"],
    "faiss HNSW": COLORS["normalised"],
    "faiss binary": COLORS["highlight"],
}


def files_on_disk(rows: Mapping[str, Sequence[Path]], size: tuple[int, int] = (64, 32)) -> Figure:
    """One row per entry of ``rows`` (a label, and image files): each image loaded from its file
    (:func:`reidlab.datasets.load_image`) and titled with its file name, in two lines."""
    if not rows or any(len(paths) == 0 for paths in rows.values()):
        raise ValueError("rows must map each label to one or more image files")
    ncols = max(len(paths) for paths in rows.values())
    fig, axes = figure(1.05 * ncols + 1.3, 1.75 * len(rows), layout=None, nrows=len(rows), ncols=ncols)
    axes = np.array(axes).reshape(len(rows), ncols)
    fig.subplots_adjust(left=0.14, right=0.99, bottom=0.02, top=0.9, wspace=0.15, hspace=0.55)
    for row, (label, paths) in zip(axes, rows.items(), strict=True):
        for k, ax in enumerate(row):
            ax.axis("off")
            if k < len(paths):
                path = Path(paths[k])
                head, _, tail = path.stem.partition("_")
                image = load_image(path, size).permute(1, 2, 0).numpy()
                show_image(ax, image, f"{head}_\n{tail}")
                ax.title.set_fontsize(7)
        row[0].text(-0.25, 0.5, label, transform=row[0].transAxes, ha="right", va="center", fontsize=9)
    return fig


def chance_rank1(
    query_pids: torch.Tensor,
    query_camids: torch.Tensor,
    gallery_pids: torch.Tensor,
    gallery_camids: torch.Tensor,
) -> float:
    r"""The expected rank-1 of a ranking drawn at random,
    :math:`\frac{1}{|Q'|} \sum_{q \in Q'} m_q / n_q`, under the Market-1501 protocol: for query
    :math:`q`, the gallery images of its person from its own camera are left out, :math:`n_q`
    images are left and :math:`m_q` of them show its person, so the first of a random order is a
    match with probability :math:`m_q / n_q`; :math:`Q'` are the queries with :math:`m_q > 0`, the
    ones the book's rank-1 counts."""
    for name, t in (("query_pids", query_pids), ("query_camids", query_camids)):
        if not isinstance(t, torch.Tensor) or t.ndim != 1 or t.shape != query_pids.shape or len(t) == 0:
            raise ValueError(f"{name} must be a non-empty (Nq,) tensor of the queries' length")
    for name, t in (("gallery_pids", gallery_pids), ("gallery_camids", gallery_camids)):
        if not isinstance(t, torch.Tensor) or t.ndim != 1 or t.shape != gallery_pids.shape or len(t) == 0:
            raise ValueError(f"{name} must be a non-empty (Ng,) tensor of the gallery's length")
    same = query_pids[:, None] == gallery_pids[None, :]
    kept = ~(same & (query_camids[:, None] == gallery_camids[None, :]))
    matches, left = (same & kept).sum(dim=1), kept.sum(dim=1)
    has = matches > 0
    if not has.any():
        raise ValueError("no query has a match in the gallery from another camera")
    return (matches[has].double() / left[has].double()).mean().item()


def trick_ladder(
    rows: Sequence[str],
    toy: Mapping[str, torch.Tensor],
    paper: Mapping[str, tuple[float, float]],
) -> Figure:
    """The ablation, a row per trick from top to bottom. Left: the paper's rank-1 and mAP on
    Market-1501 (``paper[row] = (rank-1 %, mAP %)``). Right: the toy's, one dot per seed
    (``toy["rank1"]``, ``toy["mAP"]``: ``(rows, seeds)`` in [0, 1]) and the mean over seeds."""
    if any(toy[key].shape[0] != len(rows) for key in ("rank1", "mAP")):
        raise ValueError(f"toy scores must have one row per entry of rows ({len(rows)})")
    missing = [r for r in rows if r not in paper]
    if missing:
        raise ValueError(f"paper has no numbers for {missing}")
    fig, (left, right) = figure(8.6, 0.42 * len(rows) + 1.3, ncols=2, sharey=True)
    y = np.arange(len(rows))
    for k, (key, label) in enumerate((("rank1", "rank-1"), ("mAP", "mAP"))):
        colour = METRIC_COLORS[key]
        left.plot([paper[r][k] for r in rows], y, "o-", color=colour, label=label)
        values = toy[key].double()  # (rows, seeds)
        for i in range(len(rows)):
            right.plot(100 * values[i], np.full(values.shape[1], y[i]), "o", color=colour, ms=3, alpha=0.5)
        right.plot(100 * values.mean(dim=1), y, "D-", color=colour, ms=6, label=f"{label}, mean")
    left.set_yticks(y, list(rows))
    left.invert_yaxis()
    left.set_xlabel("%")
    left.set_title("paper: ResNet-50 on Market-1501", fontsize=10)
    right.set_xlabel("%")
    right.set_title(f"toy: small CNN, {toy['mAP'].shape[1]} seeds (dots)", fontsize=10)
    left.legend(fontsize=8, loc="lower left")
    right.legend(fontsize=8, loc="center right")
    return fig


@dataclass(frozen=True)
class SearchCost:
    """One method at one gallery size: CPU seconds to build its index and per query, gallery
    items it compares each query with (FAISS's own counters for IVF and HNSW), recall@1 against
    the exact search, the share of queries whose first result shows their person, and bytes
    stored per gallery image."""

    size: int
    method: str
    build_seconds: float
    seconds_per_query: float
    distances_per_query: float
    recall_at_1: float
    same_person_at_1: float
    bytes_per_image: int


def _cpu(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.process_time()
    out = fn(*args, **kwargs)
    return out, time.process_time() - start


def ivf_cells(n: int) -> int:
    r""":math:`\sqrt{n}` cells, but at most :math:`n / 40`, so that k-means has 40 points per cell."""
    return max(1, min(round(n**0.5), n // 40))


def search_costs(
    sizes: Sequence[int],
    n_queries: int = 200,
    dim: int = 128,
    hnsw_max: int = 10_000,
    bits: int = 64,
    seed: int = 0,
) -> list[SearchCost]:
    """Measure every method at every gallery size of ``sizes`` on
    :func:`reidlab.search.synthetic_embeddings` (``n_queries`` queries, ``dim`` numbers each):
    the book's exact search, FAISS's flat index, an IVF index (:func:`ivf_cells` cells, 8 visited),
    an HNSW graph (only up to ``hnsw_max`` images: its build grows fastest) and ``bits``-bit hash
    codes of random hyperplanes in FAISS's binary index. Times are CPU seconds of this process."""
    import faiss

    if not sizes or any(isinstance(n, bool) or not isinstance(n, int) or n < 40 for n in sizes):
        raise ValueError(f"sizes must be gallery sizes, ints of at least 40, got {list(sizes)!r}")
    if isinstance(n_queries, bool) or not isinstance(n_queries, int) or n_queries < 1:
        raise ValueError(f"n_queries must be a positive int, got {n_queries!r}")
    out = []
    for n in sizes:
        data = synthetic_embeddings(n, n_queries, dim, seed=seed)
        q, g = data.queries, data.gallery
        exact, t = _cpu(exact_search, q, g)
        found = {"exact (book)": (0.0, t, exact, float(n), 4 * dim)}
        kinds = [("faiss flat", "flat", {}), ("faiss IVF", "ivf", {"nlist": ivf_cells(n)})]
        kinds += [("faiss HNSW", "hnsw", {})] if n <= hnsw_max else []
        for method, kind, kw in kinds:
            index, t_build = _cpu(build_index, g, kind, seed=seed, **kw)
            faiss.cvar.indexIVF_stats.reset()
            faiss.cvar.hnsw_stats.reset()
            rows, t = _cpu(index.search, q)
            counted = {"ivf": faiss.cvar.indexIVF_stats.ndis, "hnsw": faiss.cvar.hnsw_stats.ndis}
            compared = counted[kind] / n_queries if kind in counted else float(n)
            found[method] = (t_build, t, rows, compared, 4 * dim)
        planes = random_hyperplanes(dim, bits, seed=seed)
        codes_g, codes_q = pack_bits(g @ planes), pack_bits(q @ planes)
        index, t_build = _cpu(binary_index, codes_g)
        (_, rows), t = _cpu(binary_search, index, codes_q)
        found["faiss binary"] = (t_build, t, rows, float(n), bits // 8)
        for method, (build, search, rows, compared, size) in found.items():
            same = (data.gallery_ids[rows[:, 0]] == data.query_ids).double().mean().item()
            recall = recall_at_1(rows, exact)
            out.append(SearchCost(n, method, build, search / n_queries, compared, recall, same, size))
    return out


def search_scaling(costs: Sequence[SearchCost]) -> Figure:
    """Three panels against the gallery size (log scale), one line per method: CPU time per
    query, gallery items compared per query, and recall@1 against the exact search."""
    if not costs:
        raise ValueError("costs must hold at least one measurement (from search_costs)")
    fig, axes = figure(10.0, 3.4, ncols=3)
    methods = list(dict.fromkeys(c.method for c in costs))
    for method in methods:
        rows = sorted((c for c in costs if c.method == method), key=lambda c: c.size)
        x = [c.size for c in rows]
        style = {
            "color": METHOD_COLORS.get(method, COLORS["neutral"]),
            "marker": "o",
            "ms": 4,
            "label": method,
        }
        axes[0].plot(x, [1e3 * c.seconds_per_query for c in rows], **style)
        axes[1].plot(x, [c.distances_per_query for c in rows], **style)
        axes[2].plot(x, [c.recall_at_1 for c in rows], **style)
    titles = ("CPU ms per query (this build)", "gallery items compared per query", "recall@1 vs exact")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("gallery size")
        ax.set_title(title, fontsize=10)
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    axes[2].set_ylim(-0.02, 1.02)
    axes[2].legend(fontsize=8, loc="center left")
    return fig
