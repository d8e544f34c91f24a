r"""k-reciprocal re-ranking (Zhong, Zheng, Cao and Li, CVPR 2017): a second look at a ranking.

Used by the capstone chapter (from the toy world to Market-1501) and by any evaluation that
reports "+ re-ranking". A gallery image that is truly the query's person tends to have the query
among *its* nearest neighbours too: the two are **k-reciprocal** neighbours,

.. math::

    R(p, k) = \{\, g \in N(p, k) : p \in N(g, k) \,\},

where :math:`N(p, k)` are the :math:`k` nearest neighbours of :math:`p` (itself included) among
all query and gallery images. The set is grown by the reciprocal sets of its members that mostly
lie inside it (:math:`|R(g, k/2) \cap R(p, k)| > \tfrac23 |R(g, k/2)|`), turned into a vector
:math:`V_p` over all images (weights :math:`e^{-d(p, g)}` on the set, normalised to sum to 1),
smoothed over the :math:`k_2` nearest neighbours (local query expansion), and compared with the
Jaccard distance

.. math::

    d_J(p, g) = 1 - \frac{\sum_i \min(V_{p,i}, V_{g,i})}{\sum_i \max(V_{p,i}, V_{g,i})}.

The final distance mixes it with the original one: :math:`d^* = (1 - \lambda) d_J + \lambda d`.
Defaults are the paper's on Market-1501 (:math:`k_1 = 20, k_2 = 6, \lambda = 0.3`); distances are
squared Euclidean, each column divided by its largest value, as in the authors' code.

Left out: the cost at gallery scale. Everything here is :math:`O(N^2)` memory in the number of
query plus gallery images (fine for tens of thousands, not for a million distractors).
"""

from __future__ import annotations

import torch

from reidlab.distances import pairwise_distances


def _reciprocal(rank: torch.Tensor, i: int, k: int) -> torch.Tensor:
    """:math:`R(i, k)`: the members of ``i``'s ``k`` + 1 nearest that have ``i`` among theirs."""
    forward = rank[i, : k + 1]
    backward = rank[forward, : k + 1]  # (k + 1, k + 1)
    return forward[(backward == i).any(dim=1)]


def k_reciprocal_vectors(dist: torch.Tensor, k1: int) -> torch.Tensor:
    r"""The rows :math:`V_p` for every image: weights :math:`e^{-d}` on the expanded k-reciprocal
    set, normalised to sum to 1. ``dist`` is the ``(N, N)`` distance over all images."""
    n = len(dist)
    rank = dist.argsort(dim=1, stable=True)
    half = round(k1 / 2)  # half to even, as NumPy's around in the authors' code
    vectors = torch.zeros_like(dist)
    for i in range(n):
        core = _reciprocal(rank, i, k1)
        grown = [core]
        for j in core.tolist():
            candidate = _reciprocal(rank, j, half)
            if torch.isin(candidate, core).sum() > 2 / 3 * len(candidate):
                grown.append(candidate)
        members = torch.unique(torch.cat(grown))
        weight = torch.exp(-dist[i, members])
        vectors[i, members] = weight / weight.sum()
    return vectors


def re_rank(
    query: torch.Tensor,
    gallery: torch.Tensor,
    *,
    k1: int = 20,
    k2: int = 6,
    lam: float = 0.3,
    chunk: int = 64,
) -> torch.Tensor:
    r"""Re-ranked distances ``(Nq, Ng)`` between feature vectors ``query (Nq, D)`` and
    ``gallery (Ng, D)``: :math:`d^* = (1 - \lambda) d_J + \lambda d` (module docstring)."""
    for name, x in (("query", query), ("gallery", gallery)):
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or len(x) == 0:
            raise ValueError(f"{name} must be a non-empty (N, D) tensor, got {getattr(x, 'shape', type(x))}")
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} holds NaN or infinite values")
    if query.shape[1] != gallery.shape[1]:
        raise ValueError(
            f"query and gallery must have one dimension, got {query.shape[1]} and {gallery.shape[1]}"
        )
    n_q = len(query)
    n = n_q + len(gallery)
    if not 1 <= k1 < n or not 1 <= k2 <= n:
        raise ValueError(f"k1 must lie in 1..{n - 1} and k2 in 1..{n} for {n} images, got k1={k1}, k2={k2}")
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must lie in [0, 1], got {lam}")
    features = torch.cat([query, gallery]).double()
    dist = pairwise_distances(features, features, "sqeuclidean")  # (N, N)
    dist = dist / dist.max(dim=0, keepdim=True).values.clamp_min(1e-12)  # each column by its largest
    dist = dist.T.contiguous()  # as the authors' code: row i holds column i's scaled distances
    vectors = k_reciprocal_vectors(dist, k1)  # (N, N)
    if k2 > 1:  # local query expansion: average over the k2 nearest
        nearest = dist.argsort(dim=1, stable=True)[:, :k2]  # (N, k2)
        vectors = vectors[nearest].mean(dim=1)
    jaccard = torch.empty(n_q, n, dtype=dist.dtype)
    for start in range(0, n_q, chunk):
        stop = min(start + chunk, n_q)
        v = vectors[start:stop, None, :]  # (c, 1, N): a chunk of queries
        shared = torch.minimum(v, vectors[None]).sum(dim=-1)  # (c, N): sum of min
        jaccard[start:stop] = 1 - shared / (2 - shared)  # rows sum to 1, so sum of max = 2 - min
    final = (1 - lam) * jaccard + lam * dist[:n_q]
    return final[:, n_q:].to(query.dtype)
