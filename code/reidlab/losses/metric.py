r"""Metric losses: losses on *distances* between embeddings rather than on class scores.

Taught in the chapters *Siamese networks* (contrastive) and *Triplet and quadruplet losses*.
The contract, as in pytorch-metric-learning: a distance function turns a batch of embeddings
into a ``(B, B)`` matrix (:func:`batch_distances`), a miner picks index tuples
(:mod:`reidlab.miners`), and the loss only sees the distances at those indices.

**Contrastive loss** (Hadsell, Chopra and LeCun, 2006), for a pair at distance :math:`d`:

.. math::

    \ell(d) = \begin{cases}
        \tfrac12 d^2 & \text{same person: pull together, always}\\
        \tfrac12 \max(0,\ m - d)^2 & \text{different people: push apart, until } d \ge m
    \end{cases}

The margin :math:`m` is how far apart two different people must be before the loss stops caring.
Its gradient :math:`\partial \ell / \partial d` is :math:`d` for a positive pair and
:math:`-(m - d)` for a negative pair closer than :math:`m` (:func:`contrastive_grad`).

**Triplet loss** (Weinberger & Saul, 2009; Schroff et al., 2015), for an anchor, a positive and a
negative: :math:`\ell = [d_{ap} - d_{an} + m]_+`, or its soft version
:math:`\log(1 + e^{d_{ap} - d_{an}})` (Hermans et al., 2017). Only *relative* distances count.

**Quadruplet loss** (Chen et al., 2017) adds a second, weaker margin :math:`m_2 < m` over a pair
:math:`(i, j)` of two other people: :math:`[d_{ap} - d_{an} + m]_+ + [d_{ap} - d_{ij} + m_2]_+`,
so a positive distance must also be smaller than distances between *other* people.

Gathering ``dist[a, p]`` with repeated index pairs is safe for reproducibility: its backward
pass accumulates serially on the CPU (tested: bitwise-equal gradients), unlike gathering whole
rows of the embeddings, ``embeddings[idx]``, whose backward adds in a thread-dependent order.
"""

from __future__ import annotations

from typing import Literal

import torch

from reidlab._checks import check_float_tensor
from reidlab.losses.regression import Reduction, _reduce


def _check_pairs(d: object, same: object, margin: float) -> tuple[torch.Tensor, torch.Tensor]:
    d = check_float_tensor(d, "d", ndim=1)
    if not isinstance(same, torch.Tensor) or same.dtype != torch.bool:
        raise TypeError(f"same must be a bool tensor (True: the pair shows one person), got {same!r:.60}")
    if same.shape != d.shape:
        raise ValueError(
            f"same must have one entry per distance, got {tuple(same.shape)} and {tuple(d.shape)}"
        )
    if (d < 0).any():
        raise ValueError("d must hold distances, which are never negative")
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    return d, same


def contrastive_loss(
    d: torch.Tensor, same: torch.Tensor, margin: float = 1.0, reduction: Reduction = "mean"
) -> torch.Tensor:
    r"""Contrastive loss (Hadsell, Chopra & LeCun, 2006) of pairs at distances :math:`d`:

    .. math::

        \ell(d) = s\,\tfrac12 d^2 + (1 - s)\,\tfrac12 \max(0,\ m - d)^2

    Args:
        d: :math:`d`, distances ``(N,)``, never negative.
        same: :math:`s`, bool ``(N,)``: True where the pair shows one person.
        margin: :math:`m > 0`: different people farther apart than this cost nothing.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (one loss per pair).
    """
    d, same = _check_pairs(d, same, margin)
    pull = 0.5 * d.pow(2)
    push = 0.5 * (margin - d).clamp(min=0).pow(2)
    return _reduce(torch.where(same, pull, push), reduction)


def contrastive_grad(d: torch.Tensor, same: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    r""":math:`\partial \ell / \partial d` per pair, in closed form: positive means "move closer"
    under gradient descent, negative "move apart", zero "leave alone"."""
    d, same = _check_pairs(d, same, margin)
    return torch.where(same, d, -(margin - d).clamp(min=0))


def batch_distances(embeddings: torch.Tensor) -> torch.Tensor:
    r"""Euclidean distances between every two rows of a batch ``(B, D)``: ``(B, B)``, for training.

    Computed by the expansion :math:`\lVert x_i\rVert^2 + \lVert x_j\rVert^2 - 2 x_i \cdot x_j`:
    one matrix product, as fast as it gets. For the unit-length embeddings the book trains its
    rounding error is about :math:`10^{-7}`; for long, nearly equal vectors it cancels (chapter
    *Euclidean or cosine distance?*), where :func:`reidlab.distances.pairwise_distances` is exact.
    The diagonal is exactly 0. Squared distances under :math:`10^{-12}` (duplicates) are
    clamped before the square root, whose slope at 0 is infinite, so they pass no gradient.
    """
    x = check_float_tensor(embeddings, "embeddings", ndim=2)
    sq = x.pow(2).sum(dim=1)  # (B,)
    d2 = sq[:, None] + sq[None, :] - 2 * (x @ x.T)  # (B, B)
    # clamp first: its slope is 0 below the bound, so the square root's infinite slope at 0
    # never reaches the embeddings (0 * inf would be NaN); then zero the diagonal exactly
    return d2.clamp(min=1e-12).sqrt() * (1 - torch.eye(len(x), dtype=x.dtype))


def balanced_contrastive_loss(
    dist: torch.Tensor, pairs: tuple[torch.Tensor, torch.Tensor, torch.Tensor], margin: float = 1.0
) -> torch.Tensor:
    r"""The contrastive loss of the pairs ``(i, j, same)`` (from :func:`reidlab.miners.all_pairs`)
    on ``dist`` ``(B, B)``: the mean over positive pairs plus the mean over negative pairs, as if
    pairs had been drawn half and half (a batch holds far more negative pairs). Chapter
    *Siamese networks*."""
    i, j, same = pairs
    if same.all() or not same.any():
        raise ValueError("pairs must hold both pairs of one person and pairs of two people")
    losses = contrastive_loss(dist[i, j], same, margin, reduction="none")
    return losses[same].mean() + losses[~same].mean()


TripletReduction = Literal["mean", "mean_active", "sum", "none"]


def _check_indices(dist: object, names: str, indices: tuple[torch.Tensor, ...], count: int) -> torch.Tensor:
    dist = check_float_tensor(dist, "dist", ndim=2)
    if dist.shape[0] != dist.shape[1]:
        raise ValueError(f"dist must be a square (B, B) matrix, got {tuple(dist.shape)}")
    if len(indices) != count or not all(isinstance(t, torch.Tensor) and t.ndim == 1 for t in indices):
        raise ValueError(f"{names} must be {count} 1-D index tensors (from reidlab.miners)")
    if len({len(t) for t in indices}) != 1:
        raise ValueError(f"the {count} index tensors of {names} must have one length")
    if len(indices[0]) == 0:
        raise ValueError(f"{names} is empty: the miner found nothing to learn from in this batch")
    return dist


def _reduce_triplets(losses: torch.Tensor, reduction: TripletReduction) -> torch.Tensor:
    if reduction == "mean_active":  # Hermans et al.'s batch-all: the mean over non-zero losses
        active = losses > 0
        return losses.sum() / active.sum().clamp(min=1)
    return _reduce(losses, reduction)


def triplet_loss(
    dist: torch.Tensor,
    triplets: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    margin: float = 0.3,
    soft: bool = False,
    reduction: TripletReduction = "mean",
) -> torch.Tensor:
    r"""Triplet loss of the triplets ``(a, p, n)`` (from :mod:`reidlab.miners`) on the distance
    matrix ``dist`` ``(B, B)``:

    .. math::

        \ell_{apn} = [d_{ap} - d_{an} + m]_+ \quad\text{or, with ``soft``,}\quad
        \log\bigl(1 + e^{d_{ap} - d_{an}}\bigr)

    Args:
        dist: :math:`d`, e.g. :func:`batch_distances` of the batch's embeddings.
        triplets: anchor, positive and negative indices, three ``(T,)`` tensors.
        margin: :math:`m > 0` (unused by the soft version, which has no margin).
        reduction: ``"mean"`` over the triplets, ``"mean_active"`` over those with a non-zero
            loss (batch-all training), ``"sum"``, or ``"none"``.
    """
    dist = _check_indices(dist, "triplets", triplets, 3)
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    a, p, n = triplets
    gap = dist[a, p] - dist[a, n]  # (T,): d_ap - d_an, negative when the triplet is right
    losses = torch.nn.functional.softplus(gap) if soft else (gap + margin).clamp(min=0)
    return _reduce_triplets(losses, reduction)


def quadruplet_loss(
    dist: torch.Tensor,
    quadruplets: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    margin: float = 0.3,
    margin2: float = 0.15,
    reduction: TripletReduction = "mean",
) -> torch.Tensor:
    r"""Quadruplet loss (Chen et al., 2017) of ``(a, p, n, i, j)`` from
    :func:`reidlab.miners.batch_hard_quadruplets`, on ``dist`` ``(B, B)``:

    .. math::

        \ell = [d_{ap} - d_{an} + m]_+ + [d_{ap} - d_{ij} + m_2]_+

    The first term is the triplet loss; the second asks the positive distance to be smaller, by
    the weaker margin :math:`m_2`, than the distance between two *other* people :math:`i, j`,
    which ties the scale of distances together across identities. (Chen et al. write the loss
    on squared distances of a learned metric; here it takes the same distances as the triplet
    loss, so the two compare directly.)
    """
    dist = _check_indices(dist, "quadruplets", quadruplets, 5)
    if not 0 < margin2 <= margin:
        raise ValueError(f"need 0 < margin2 <= margin, got margin={margin}, margin2={margin2}")
    a, p, n, i, j = quadruplets
    d_ap = dist[a, p]
    losses = (d_ap - dist[a, n] + margin).clamp(min=0) + (d_ap - dist[i, j] + margin2).clamp(min=0)
    return _reduce_triplets(losses, reduction)
