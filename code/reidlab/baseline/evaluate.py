r"""Scoring the baseline: BNNeck features of query and gallery, distances, CMC and mAP, re-ranking.

The paper's inference (Luo et al. 2019): the feature after the BNNeck, :math:`f_i`, compared by
cosine distance (the authors' code normalises the features to unit length, then ranks by
Euclidean distance: the same order). ``feature="before"`` takes :math:`f_t`, ``metric="euclidean"``
compares without normalising: the two choices of the paper's ablation. With ``rerank``, the
k-reciprocal re-ranking of Zhong et al. (2017, :func:`reidlab.reranking.re_rank`, with its
defaults :math:`k_1 = 20, k_2 = 6, \lambda = 0.3`) is scored as well, on the same features
(normalised first for cosine, as the authors' code does).

Scores follow the Market-1501 protocol (:func:`reidlab.evaluation.evaluate_rank`): rank-1, 5, 10
and mAP. Under several processes each extracts the features of its share of the images and all
are gathered (:func:`reidlab.baseline.distributed.gather_rows`); every process then holds every
feature, and the caller scores them on one.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from reidlab.baseline.augment import Augment
from reidlab.baseline.data import Images
from reidlab.baseline.distributed import Dist, gather_rows
from reidlab.baseline.model import BaselineNet, Feature
from reidlab.distances import pairwise_distances
from reidlab.evaluation import evaluate_rank
from reidlab.reranking import re_rank

Metric = Literal["cosine", "euclidean"]
RANKS = (1, 5, 10)


@torch.no_grad()
def extract(
    model: BaselineNet,
    images: Images,
    augment: Augment,
    *,
    feature: Feature = "after",
    batch_size: int = 128,
    where: Dist | None = None,
) -> torch.Tensor:
    """Features ``(N, D)`` (float32, on the CPU) of every image of ``images``, in order; with
    several processes (``where``), each computes a contiguous share and all are gathered."""
    where = where or Dist()
    per = -(-len(images) // where.world_size)  # ceil
    mine = range(where.rank * per, min((where.rank + 1) * per, len(images)))
    out = []
    for start in range(mine.start, mine.stop, batch_size):
        idx = list(range(start, min(start + batch_size, mine.stop)))
        x = augment.test(images.batch(idx)).to(where.device)  # (B, 3, H, W)
        out.append(model.embed(x, feature))
    dim = model.dim
    local = torch.cat(out) if out else torch.zeros(0, dim, device=where.device)
    return gather_rows(local).float().cpu()


def scores(distances: torch.Tensor, query: Images, gallery: Images) -> dict[str, float]:  # distances (Q, G)
    """``rank1``, ``rank5``, ``rank10`` and ``mAP`` of the rankings in ``distances``."""
    result = evaluate_rank(distances, query.pids, gallery.pids, query.camids, gallery.camids)
    out = {f"rank{r}": float(result.cmc[min(r, len(result.cmc)) - 1]) for r in RANKS}
    return out | {"mAP": result.mAP}


def score_features(
    q: torch.Tensor,
    g: torch.Tensor,
    query: Images,
    gallery: Images,
    *,
    metric: Metric = "cosine",
    rerank: bool = False,
) -> dict[str, dict[str, float]]:
    """``{"plain": scores}``, and ``"reranked"`` if ``rerank``, of query features ``q`` ``(Q, D)``
    against gallery features ``g`` ``(G, D)``."""
    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"metric must be 'cosine' or 'euclidean', got {metric!r}")
    out = {"plain": scores(pairwise_distances(q, g, metric), query, gallery)}
    if rerank:
        if metric == "cosine":
            q, g = F.normalize(q, dim=1), F.normalize(g, dim=1)
        out["reranked"] = scores(re_rank(q, g), query, gallery)
    return out


def evaluate(
    model: nn.Module,
    query: Images,
    gallery: Images,
    augment: Augment,
    *,
    feature: Feature = "after",
    metric: Metric = "cosine",
    rerank: bool = False,
    batch_size: int = 128,
    where: Dist | None = None,
) -> dict[str, dict[str, float]]:
    """Extract the features of ``query`` and ``gallery`` with ``model`` and score them
    (:func:`score_features`)."""
    q = extract(model, query, augment, feature=feature, batch_size=batch_size, where=where)
    g = extract(model, gallery, augment, feature=feature, batch_size=batch_size, where=where)
    return score_features(q, g, query, gallery, metric=metric, rerank=rerank)
