"""The strong baseline's ablation as an experiment: the tricks switched on one at a time, over seeds.

For the capstone chapter, *From the toy world to Market-1501*. Luo et al. (2019) start from a
standard baseline (every trick off, :meth:`~reidlab.baseline.config.Tricks.standard`) and add the
tricks one after the other, keeping the earlier ones on; each row of their table is one more
trick. :func:`ladder` builds those rows, :func:`run_ladder` trains every row with every seed
through :func:`reidlab.baseline.run` and collects the scores, so that a chapter can show each
trick's change with its spread between seeds. :data:`PAPER_MARKET1501` holds the authors' own
numbers on Market-1501 for the same rows.

Left out: the paper's other ablations (backbones, batch and image sizes, which feature to
retrieve with), and any row order but the paper's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from reidlab.baseline.config import Config, Tricks
from reidlab.baseline.training import run

#: The rows of the ablation, in the paper's order: a name and the trick the row switches on.
ROWS: tuple[tuple[str, str | None], ...] = (
    ("standard baseline", None),
    ("+ warm-up", "warmup"),
    ("+ random erasing", "random_erasing"),
    ("+ label smoothing", "label_smoothing"),
    ("+ last stride 1", "last_stride_1"),
    ("+ BNNeck", "bnneck"),
    ("+ centre loss", "center_loss"),
)

#: Rank-1 and mAP (%) on Market-1501 of each row, ResNet-50, single query, no re-ranking, as the
#: authors publish them with their code (github.com/michuanhaohao/reid-strong-baseline, README,
#: "Results (rank1/mAP)"). The last row is the paper's abstract: 94.5 % rank-1, 85.9 % mAP.
PAPER_MARKET1501: dict[str, tuple[float, float]] = {
    "standard baseline": (87.7, 74.0),
    "+ warm-up": (88.7, 75.2),
    "+ random erasing": (91.3, 79.3),
    "+ label smoothing": (91.4, 80.3),
    "+ last stride 1": (92.0, 81.7),
    "+ BNNeck": (94.1, 85.7),
    "+ centre loss": (94.5, 85.9),
}

#: The same list with re-ranking (Zhong et al. 2017) on top of the last row.
PAPER_MARKET1501_RERANKED: tuple[float, float] = (95.4, 94.2)


def ladder() -> list[tuple[str, Tricks]]:
    """Every row's name and :class:`~reidlab.baseline.config.Tricks`: the standard baseline, then
    one more trick on per row (the earlier ones stay on); the last row is the strong baseline
    with the optional centre loss."""
    rows, tricks = [], Tricks.standard()
    for name, trick in ROWS:
        if trick is not None:
            tricks = replace(tricks, **{trick: True})
        rows.append((name, tricks))
    return rows


@dataclass(frozen=True)
class LadderResult:
    """Scores of every row and seed: ``scores["rank1"]`` and ``scores["mAP"]`` are
    ``(rows, seeds)`` tensors (float64, in [0, 1]); ``reranked`` has the same keys, ``(seeds,)``
    each, for the last row re-ranked (empty if it was not asked for)."""

    rows: tuple[str, ...]
    seeds: tuple[int, ...]
    scores: dict[str, torch.Tensor]
    reranked: dict[str, torch.Tensor]

    def changes(self, metric: str = "mAP") -> torch.Tensor:
        """What each trick changed, seed by seed: row ``i + 1`` minus row ``i``, ``(rows - 1, seeds)``."""
        if metric not in self.scores:
            raise ValueError(f"metric must be one of {sorted(self.scores)}, got {metric!r}")
        values = self.scores[metric]
        return values[1:] - values[:-1]


def run_ladder(
    config: Config,
    splits: Any,
    seeds: Sequence[int],
    *,
    rows: Sequence[tuple[str, Tricks]] | None = None,
    rerank_last: bool = False,
) -> LadderResult:
    """Train ``config`` on ``splits`` (anything with ``train``, ``query`` and ``gallery``, as
    :func:`reidlab.baseline.run` takes) once per row of ``rows`` (default :func:`ladder`) and seed
    of ``seeds``, with that row's tricks and that seed; score rank-1 and mAP of each run, and with
    ``rerank_last`` the last row re-ranked as well. ``config.tricks`` and ``config.seed`` are
    replaced; ``config.out`` must be ``None`` (nothing is written)."""
    if not isinstance(config, Config):
        raise TypeError(f"config must be a reidlab.baseline.Config, got {type(config).__name__}")
    if config.out is not None:
        raise ValueError("config.out must be None: a ladder trains many runs and writes none of them")
    seeds = tuple(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be one or more non-negative ints, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must differ from each other, got {seeds!r}")
    rows = list(ladder() if rows is None else rows)
    if not rows or any(not isinstance(t, Tricks) for _, t in rows):
        raise ValueError("rows must be one or more (name, Tricks) pairs")
    scores = {"rank1": torch.zeros(len(rows), len(seeds), dtype=torch.float64)}
    scores["mAP"] = torch.zeros_like(scores["rank1"])
    reranked = {key: torch.zeros(len(seeds), dtype=torch.float64) for key in scores} if rerank_last else {}
    for i, (_, tricks) in enumerate(rows):
        last = i == len(rows) - 1
        for j, seed in enumerate(seeds):
            result = run(replace(config, tricks=tricks, seed=seed, rerank=rerank_last and last), splits)
            for key in scores:
                scores[key][i, j] = result.metrics["plain"][key]
                if rerank_last and last:
                    reranked[key][j] = result.metrics["reranked"][key]
    return LadderResult(tuple(name for name, _ in rows), seeds, scores, reranked)
