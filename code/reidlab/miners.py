r"""Miners: which pairs, triplets or quadruplets of a batch a metric loss should look at.

Chapters *Siamese networks* (pairs) and *Triplet and quadruplet losses* (the rest). The
contract, as in pytorch-metric-learning: a miner takes the batch's labels (and, if it chooses
by difficulty, the ``(B, B)`` distance matrix) and returns **index tuples**; a loss takes the
distances and those indices (:mod:`reidlab.losses.metric`). So any miner works with any loss,
and the distances are computed once.

Notation for a batch with labels :math:`y`: an anchor :math:`a`, a positive :math:`p \ne a` with
:math:`y_p = y_a`, a negative :math:`n` with :math:`y_n \ne y_a`.

* :func:`all_pairs`: every pair :math:`i < j`, and whether it is positive.
* :func:`all_triplets`: every valid :math:`(a, p, n)` ("batch all").
* :func:`batch_hard_triplets`: per anchor, its farthest positive and closest negative
  (Hermans, Beyer & Leibe, 2017).
* :func:`semi_hard_triplets`: the triplets whose negative is farther than the positive but by
  less than the margin, :math:`d_{ap} < d_{an} < d_{ap} + m` (Schroff, Kalenichenko & Philbin,
  2015).
* :func:`batch_hard_quadruplets`: batch-hard triplets plus, for each anchor, the closest pair of
  two *other* people who are not the anchor's (Chen et al., 2017).

Ties (equal distances) go to the lowest index, so the result never depends on chance. Each
function raises ``ValueError`` when the batch cannot form what it asks for.
"""

from __future__ import annotations

import torch

from reidlab._checks import check_float_tensor


def _check_labels(labels: object) -> torch.Tensor:
    if not isinstance(labels, torch.Tensor) or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise TypeError(
            f"labels must be an integer tensor, got {getattr(labels, 'dtype', type(labels).__name__)}"
        )
    if labels.ndim != 1 or len(labels) < 2:
        raise ValueError(f"labels must be 1-D with at least two entries, got shape {tuple(labels.shape)}")
    return labels


def _check_dist(dist: object, labels: torch.Tensor) -> torch.Tensor:
    dist = check_float_tensor(dist, "dist", ndim=2)
    if dist.shape != (len(labels), len(labels)):
        raise ValueError(
            f"dist must be ({len(labels)}, {len(labels)}) for {len(labels)} labels, got {tuple(dist.shape)}"
        )
    return dist


def _masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, B)`` masks: positive pairs (same label, not the same item) and negative pairs."""
    same = labels[:, None] == labels[None, :]
    return same & ~torch.eye(len(labels), dtype=torch.bool), ~same


def all_pairs(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every pair ``i < j`` of the batch: indices ``(P,)``, ``(P,)`` and whether each pair shows
    one person. Raises if the batch has no positive or no negative pair."""
    labels = _check_labels(labels)
    i, j = torch.triu_indices(len(labels), len(labels), offset=1)
    same = labels[i] == labels[j]
    if same.all() or not same.any():
        raise ValueError("a batch needs both pairs of one person and pairs of two people")
    return i, j, same


def all_triplets(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every valid triplet ``(a, p, n)`` of the batch, in lexicographic order."""
    labels = _check_labels(labels)
    pos, neg = _masks(labels)
    valid = pos[:, :, None] & neg[:, None, :]  # (B, B, B): a, p, n
    if not valid.any():
        raise ValueError("the batch has no triplet: it needs a label seen twice and another label")
    a, p, n = torch.nonzero(valid, as_tuple=True)
    return a, p, n


def _hardest(dist: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Per anchor with a positive and a negative: anchor, farthest positive, closest negative."""
    usable = pos.any(dim=1) & neg.any(dim=1)
    if not usable.any():
        raise ValueError("no anchor has both a positive and a negative in the batch")
    d = dist.detach()
    # argmax / argmin return the first index among ties
    hard_p = torch.where(pos, d, -torch.inf).argmax(dim=1)
    hard_n = torch.where(neg, d, torch.inf).argmin(dim=1)
    a = torch.nonzero(usable).flatten()
    return a, hard_p[a], hard_n[a]


def batch_hard_triplets(
    dist: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""For every anchor that has a positive and a negative in the batch, the triplet of its
    hardest positive :math:`\arg\max_p d_{ap}` and hardest negative :math:`\arg\min_n d_{an}`."""
    labels = _check_labels(labels)
    dist = _check_dist(dist, labels)
    return _hardest(dist, *_masks(labels))


def semi_hard_triplets(
    dist: torch.Tensor, labels: torch.Tensor, margin: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Every triplet with :math:`d_{ap} < d_{an} < d_{ap} + m`: the negative is already farther
    than the positive, but not by the margin, so the loss still pushes it. May be empty."""
    labels = _check_labels(labels)
    dist = _check_dist(dist, labels).detach()
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    a, p, n = all_triplets(labels)
    d_ap, d_an = dist[a, p], dist[a, n]
    keep = (d_an > d_ap) & (d_an < d_ap + margin)
    return a[keep], p[keep], n[keep]


def batch_hard_quadruplets(
    dist: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Per anchor: its batch-hard triplet ``(a, p, n)`` and the closest pair ``(i, j)`` of two
    different people, neither of them the anchor's: the pair the quadruplet loss's second,
    weaker margin pushes apart (Chen et al., 2017). Returns ``a, p, n, i, j``."""
    labels = _check_labels(labels)
    dist = _check_dist(dist, labels)
    pos, neg = _masks(labels)
    a, p, n = _hardest(dist, pos, neg)
    d = dist.detach()
    other = labels[a][:, None] != labels[None, :]  # (A, B): not the anchor's person
    pair_ok = neg[None, :, :] & other[:, :, None] & other[:, None, :]  # (A, B, B)
    has_pair = pair_ok.flatten(1).any(dim=1)
    if not has_pair.all():
        raise ValueError("a quadruplet needs at least two people besides the anchor's in the batch")
    flat = torch.where(pair_ok, d[None], torch.inf).flatten(1).argmin(dim=1)  # first of ties
    i, j = flat // len(labels), flat % len(labels)
    return a, p, n, i, j
