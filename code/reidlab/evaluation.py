r"""ReID ranking metrics: the CMC curve and mAP under the Market-1501 protocol.

Chapter *How ReID is scored*, and every chapter after it. Every query image is compared with
every gallery image; sorting the gallery by distance gives the query's **ranking**. Two numbers
summarise the rankings:

* **CMC** (cumulative matching characteristic): ``cmc[k]`` is the share of queries whose first
  correct match is among the top ``k + 1``; ``cmc[0]`` is the **rank-1** accuracy.
* **mAP** (mean average precision): for one query with :math:`K` correct matches at ranks
  :math:`r_1 < \dots < r_K`, :math:`\mathrm{AP} = \frac1K \sum_k \frac{k}{r_k}` (precision at each
  correct match); mAP is the mean over queries. Unlike rank-1 it rewards finding *all* images of
  the person, not only the easiest one. This is the AP of torchreid and fast-reid, and of most
  papers since. Market-1501's own evaluation code (Zheng et al., 2015) averages, at each correct
  match, the precision just before it and at it (a trapezoid under the precision-recall curve):
  :math:`\frac1K \sum_k \tfrac12 \bigl(\frac{k-1}{r_k-1} + \frac{k}{r_k}\bigr)`, with the first
  term 1 when :math:`r_k = 1`. Choose with ``ap="at_hits"`` (default) or ``ap="trapezoid"``.

The Market-1501 protocol (Zheng et al., ICCV 2015): gallery images of the query's identity taken
by the query's own camera are **junk**, removed from that query's ranking (finding the same person
in the same camera is too easy to count); a query with no correct match left is skipped.

Ties: a correct match at the same distance as a wrong one is ranked *after* it. The result then
does not depend on the order of the gallery, and a network that gives every pair the same
distance scores as badly as it deserves.

How it is vectorised: AP and CMC only need the rank of each correct match, and the rank of the
:math:`k`-th closest correct match is :math:`k` plus the number of wrong gallery images that are
no farther. Those counts come from a binary search of every wrong image's distance among the few
correct matches' distances: no full sort of the gallery, which is what a per-query loop spends
its time on.

Re-ranking: :func:`re_rank` (k-reciprocal re-ranking, Zhong et al. 2017; written in
:mod:`reidlab.reranking`, where its steps are explained) turns query and gallery features into
re-ranked distances, which :func:`evaluate_rank` scores like any others. It is importable from
here, beside the metrics it feeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from ._checks import check_float_tensor
from .reranking import re_rank as re_rank  # re-exported: evaluation's second look


@dataclass(frozen=True)
class RankResult:
    """The outcome of :func:`evaluate_rank`.

    Attributes:
        cmc: ``(max_rank,)`` float64, ``cmc[k]`` = share of evaluated queries whose first correct
            match is at rank ``k + 1`` or better.
        mAP: mean of ``ap`` over the evaluated queries.
        ap: ``(Q,)`` float64, each query's average precision; NaN for skipped queries.
        first_match: ``(Q,)`` int64, the 0-based rank of each query's first correct match; -1 for
            skipped queries.
    """

    cmc: torch.Tensor
    mAP: float
    ap: torch.Tensor
    first_match: torch.Tensor

    @property
    def n_skipped(self) -> int:
        """Queries with no correct match in the gallery once junk is removed."""
        return int((self.first_match < 0).sum())


def _as_tensor(x: object, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x)
    if isinstance(x, torch.Tensor):
        return x
    raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")


def _check_ids(x: object, name: str, length: int, what: str) -> torch.Tensor:
    t = _as_tensor(x, name)
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise TypeError(f"{name} must hold integers, got {t.dtype}")
    if t.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), one per {what}, got {tuple(t.shape)}")
    return t.long()


def _check_ranking(
    distmat: object, q_pids: object, g_pids: object, q_camids: object, g_camids: object
) -> tuple[torch.Tensor, ...]:
    """A finite ``(Q, G)`` distance matrix and one integer id and camera per row and column."""
    d = check_float_tensor(_as_tensor(distmat, "distmat"), "distmat", ndim=2)
    n_q, n_g = d.shape
    return (
        d,
        _check_ids(q_pids, "q_pids", n_q, "query (row of distmat)"),
        _check_ids(g_pids, "g_pids", n_g, "gallery image (column of distmat)"),
        _check_ids(q_camids, "q_camids", n_q, "query (row of distmat)"),
        _check_ids(g_camids, "g_camids", n_g, "gallery image (column of distmat)"),
    )


def match_masks(
    q_pids: torch.Tensor, g_pids: torch.Tensor, q_camids: torch.Tensor, g_camids: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(Q, G)`` masks of the protocol: ``same`` (gallery image shows the query's person) and
    ``junk`` (the same person seen by the query's own camera). Correct matches: ``same & ~junk``."""
    same = q_pids[:, None] == g_pids[None, :]
    return same, same & (q_camids[:, None] == g_camids[None, :])


def evaluate_rank(
    distmat: torch.Tensor | np.ndarray,
    q_pids: torch.Tensor | np.ndarray,
    g_pids: torch.Tensor | np.ndarray,
    q_camids: torch.Tensor | np.ndarray,
    g_camids: torch.Tensor | np.ndarray,
    max_rank: int = 50,
    ap: Literal["at_hits", "trapezoid"] = "at_hits",
) -> RankResult:
    """CMC and mAP of the rankings in ``distmat`` (``(Q, G)``, smaller = more alike) under the
    Market-1501 protocol; identities ``*_pids`` and cameras ``*_camids`` are integer arrays.
    ``ap``: precision at each correct match (``"at_hits"``, as torchreid and fast-reid) or
    Market-1501's original trapezoid (``"trapezoid"``); see the module docstring.

    Raises ``ValueError`` if no query has a correct match left after junk removal.
    """
    d, q_pids, g_pids, q_camids, g_camids = _check_ranking(distmat, q_pids, g_pids, q_camids, g_camids)
    n_q, n_g = d.shape
    if isinstance(max_rank, bool) or not isinstance(max_rank, int) or max_rank < 1:
        raise ValueError(f"max_rank must be a positive int, got {max_rank!r}")
    if ap not in ("at_hits", "trapezoid"):
        raise ValueError(f"ap must be 'at_hits' or 'trapezoid', got {ap!r}")
    trapezoid = ap == "trapezoid"

    aps = torch.full((n_q,), float("nan"), dtype=torch.float64)
    first_match = torch.full((n_q,), -1, dtype=torch.long)
    chunk = max(1, 2**22 // n_g)  # about 4 M pairs at a time keeps memory small
    for start in range(0, n_q, chunk):
        rows = slice(start, start + chunk)
        aps[rows], first_match[rows] = _rank_chunk(
            d[rows], q_pids[rows], g_pids, q_camids[rows], g_camids, trapezoid
        )

    valid = first_match >= 0
    if not valid.any():
        raise ValueError("no query has a correct match in the gallery (after removing same-camera images)")
    # queries whose first correct match is at each rank (all ranks >= max_rank in one last bin)
    firsts = torch.bincount(first_match[valid].clamp(max=max_rank), minlength=max_rank + 1)
    cmc = firsts[:max_rank].cumsum(0).double() / valid.sum()
    return RankResult(cmc=cmc, mAP=float(aps[valid].mean()), ap=aps, first_match=first_match)


def evaluate_retrieval(
    distmat: torch.Tensor | np.ndarray,
    q_labels: torch.Tensor | np.ndarray,
    g_labels: torch.Tensor | np.ndarray,
    max_rank: int = 50,
    ap: Literal["at_hits", "trapezoid"] = "at_hits",
) -> RankResult:
    """CMC and mAP for plain retrieval, where nothing is junk: every gallery image with the
    query's label is a correct match (chapters *Euclidean or cosine distance?* and on HOG).
    The same as :func:`evaluate_rank` with every gallery image from another camera."""
    d = check_float_tensor(_as_tensor(distmat, "distmat"), "distmat", ndim=2)
    q = _check_ids(q_labels, "q_labels", d.shape[0], "query (row of distmat)")
    g = _check_ids(g_labels, "g_labels", d.shape[1], "gallery item (column of distmat)")
    cameras = torch.zeros_like(q), torch.ones_like(g)  # never the same camera: nothing is junk
    return evaluate_rank(d, q, g, *cameras, max_rank=max_rank, ap=ap)


def _rank_chunk(
    d: torch.Tensor,
    q_pids: torch.Tensor,
    g_pids: torch.Tensor,
    q_cams: torch.Tensor,
    g_cams: torch.Tensor,
    trapezoid: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """AP and first-match rank for a block of queries ``d`` ``(c, G)``."""
    c = d.shape[0]
    same_id, junk = match_masks(q_pids, g_pids, q_cams, g_cams)  # (c, G) each
    good = same_id & ~junk  # the correct matches
    n_good = good.sum(1)  # (c,) K per query
    k_max = int(n_good.max())
    if k_max == 0:
        return torch.full((c,), float("nan"), dtype=torch.float64), torch.full((c,), -1)

    inf = torch.tensor(float("inf"), dtype=d.dtype)
    # s[q, k]: distance of the k-th closest correct match (padded with inf past n_good)
    s = torch.topk(torch.where(good, d, inf), k_max, dim=1, largest=False).values  # (c, K_max)
    # every wrong image falls into bin b = number of correct matches strictly closer than it;
    # it ranks before correct matches b, b+1, ... (ties go against the model)
    wrong = torch.where(same_id, inf, d)  # correct and junk images are not "wrong"
    b = torch.searchsorted(s.contiguous(), wrong.contiguous())  # (c, G), in 0..K_max
    offsets = torch.arange(c)[:, None] * (k_max + 1)
    per_bin = torch.bincount((b + offsets).flatten(), minlength=c * (k_max + 1)).view(c, k_max + 1)
    wrong_before = per_bin.cumsum(1)[:, :k_max]  # (c, K_max) wrong images before correct match k
    k = torch.arange(1, k_max + 1)  # correct matches up to and including this one
    rank = k + wrong_before  # 1-based rank of the k-th correct match
    is_real = k <= n_good[:, None]
    precision = k / rank.double()  # at the k-th correct match
    if trapezoid:  # Market-1501's code: also the precision just before it (1 before rank 1)
        before = torch.where(rank > 1, (k - 1) / (rank - 1).clamp(min=1).double(), 1.0)
        precision = (before + precision) / 2
    precision = torch.where(is_real, precision, 0.0)
    has_match = n_good > 0
    ap = torch.where(has_match, precision.sum(1) / n_good.clamp(min=1), float("nan"))
    first = torch.where(has_match, rank[:, 0] - 1, -1)
    return ap, first


def _check_verification(d: object, same: object) -> tuple[torch.Tensor, torch.Tensor]:
    """Finite distances ``(N,)`` and a bool ``(N,)`` with both positive and negative pairs."""
    d = check_float_tensor(_as_tensor(d, "d"), "d", ndim=1)
    same = _as_tensor(same, "same")
    if same.dtype != torch.bool or same.shape != d.shape:
        raise ValueError(
            f"same must be a bool tensor shaped like d {tuple(d.shape)}, got {same.dtype} {tuple(same.shape)}"
        )
    if same.all() or not same.any():
        raise ValueError("same must contain both positive (True) and negative (False) pairs")
    return d, same


def roc_curve(d: torch.Tensor, same: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Verification ROC: declare "same person" when the distance is at most a threshold, and
    sweep the threshold over every distance in ``d`` ``(N,)``. Returns the false-positive rates,
    true-positive rates (each ``(T + 1,)``, starting at 0) and the thresholds ``(T,)``, one per
    distinct distance. ``same`` ``(N,)`` bool says which pairs really show one person."""
    d, same = _check_verification(d, same)
    thresholds, group = torch.unique(d, sorted=True, return_inverse=True)
    pos = torch.zeros(len(thresholds), dtype=torch.float64).index_add_(0, group, same.double())
    neg = torch.zeros(len(thresholds), dtype=torch.float64).index_add_(0, group, (~same).double())
    zero = torch.zeros(1, dtype=torch.float64)
    tpr = torch.cat([zero, pos.cumsum(0) / pos.sum()])
    fpr = torch.cat([zero, neg.cumsum(0) / neg.sum()])
    return fpr, tpr, thresholds


def auc(fpr: torch.Tensor, tpr: torch.Tensor) -> float:
    """Area under a ROC curve (trapezoids): the chance that a random positive pair is closer
    than a random negative pair, ties counting half."""
    return float(torch.trapezoid(tpr, fpr))


def verification_pairs(
    distmat: torch.Tensor,
    q_pids: torch.Tensor,
    g_pids: torch.Tensor,
    q_camids: torch.Tensor,
    g_camids: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (query, gallery) pair except the junk ones, as verification pairs: their distances
    ``(P,)`` and whether they show one person ``(P,)``."""
    d, q_pids, g_pids, q_camids, g_camids = _check_ranking(distmat, q_pids, g_pids, q_camids, g_camids)
    same, junk = match_masks(q_pids, g_pids, q_camids, g_camids)
    return d[~junk], same[~junk]


def balanced_accuracy(predicted: torch.Tensor, actual: torch.Tensor) -> float:
    """The mean of the accuracy on the positives and the accuracy on the negatives, for yes/no
    answers ``predicted`` against the truth ``actual`` (bool tensors of one shape). A constant
    answer scores 0.5 however unbalanced the classes, where plain accuracy would reward always
    saying "no".

    Verification with a threshold: ``balanced_accuracy(d <= threshold, same)``; a two-class
    classifier: ``balanced_accuracy(scores > 0, labels > 0)``.
    """
    for name, t in (("predicted", predicted), ("actual", actual)):
        if not isinstance(t, torch.Tensor) or t.dtype != torch.bool:
            raise TypeError(f"{name} must be a bool tensor, got {getattr(t, 'dtype', type(t).__name__)}")
    if predicted.shape != actual.shape or actual.numel() == 0:
        raise ValueError(
            f"predicted and actual must share a non-empty shape, got {tuple(predicted.shape)} and "
            f"{tuple(actual.shape)}"
        )
    if actual.all() or not actual.any():
        raise ValueError("actual must contain both positives (True) and negatives (False)")
    return 0.5 * (float(predicted[actual].double().mean()) + float((~predicted[~actual]).double().mean()))


def best_threshold(d: torch.Tensor, same: torch.Tensor) -> float:
    """The distance threshold with the highest :func:`balanced_accuracy` on these pairs (pick it
    on training pairs, report accuracy on test pairs)."""
    fpr, tpr, thresholds = roc_curve(d, same)
    return float(thresholds[torch.argmax(tpr[1:] - fpr[1:])])  # balanced accuracy = (1 + tpr - fpr) / 2
