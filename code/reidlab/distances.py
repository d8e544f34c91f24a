r"""Distances between feature vectors: Euclidean, squared Euclidean and cosine.

Taught in the chapter *Euclidean or cosine distance?* (``chapters/distances.md``).

Row-wise functions take two tensors of shape ``(..., D)`` that broadcast against each other and
return one value per row, shape ``(...)``. :func:`pairwise_distances` takes a query matrix
``(N, D)`` and a reference matrix ``(M, D)`` and returns the ``(N, M)`` matrix that ReID ranks
by. Nothing is normalised behind your back: cosine functions normalise because that is their
definition; the Euclidean ones never do.

The central identity, for any vectors and then for unit vectors:

.. math::

    \lVert a - b \rVert^2 = \lVert a \rVert^2 + \lVert b \rVert^2 - 2\, a \cdot b,
    \qquad
    \lVert \hat a - \hat b \rVert^2 = 2 - 2 \cos(a, b).

Left out: Mahalanobis and learned metrics (later chapters), and sparse inputs.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch

from reidlab._checks import check_compatible, check_float_tensor

Metric = Literal["euclidean", "sqeuclidean", "cosine"]


def _check_pair(a: object, b: object) -> tuple[torch.Tensor, torch.Tensor]:
    a = check_float_tensor(a, "a")
    b = check_float_tensor(b, "b")
    check_compatible(a, b, ("a", "b"))
    try:
        torch.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except RuntimeError:
        raise ValueError(
            f"a and b must broadcast against each other, got shapes {tuple(a.shape)} and {tuple(b.shape)}"
        ) from None
    return a, b


def _norms(x: torch.Tensor, name: str) -> torch.Tensor:
    """Euclidean norms along the last dimension; zero vectors have no direction, so no cosine."""
    norms = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
    if (norms == 0).any():
        raise ValueError(f"{name} contains a zero vector, whose direction (and cosine) is undefined")
    return norms


def l2_normalize(x: torch.Tensor) -> torch.Tensor:
    r"""Scale every row to unit length: :math:`\hat x = x / \lVert x \rVert_2`.

    Args:
        x: tensor ``(..., D)``; no row may be all zeros.
    """
    x = check_float_tensor(x, "x")
    return x / _norms(x, "x")


def squared_euclidean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""Row-wise squared distance :math:`\lVert a - b \rVert^2 = \sum_k (a_k - b_k)^2`.

    Computed from the differences themselves, so it is accurate even for near-duplicates.
    """
    a, b = _check_pair(a, b)
    return (a - b).pow(2).sum(dim=-1)


def euclidean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""Row-wise Euclidean distance :math:`\lVert a - b \rVert = \sqrt{\sum_k (a_k - b_k)^2}`."""
    return squared_euclidean(a, b).sqrt()


def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""Row-wise cosine of the angle between rows: :math:`\cos(a, b) = \frac{a \cdot b}{\lVert a
    \rVert \lVert b \rVert}`, in :math:`[-1, 1]`. Zero rows raise ``ValueError``.
    """
    a, b = _check_pair(a, b)
    cos = ((a / _norms(a, "a")) * (b / _norms(b, "b"))).sum(dim=-1)
    return cos.clamp(-1.0, 1.0)  # rounding can step just past +-1


def cosine_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""Row-wise cosine distance :math:`1 - \cos(a, b) = \tfrac12 \lVert \hat a - \hat b \rVert^2`,
    in :math:`[0, 2]`.

    Computed by the right-hand side, which stays accurate for nearly parallel vectors, where
    :math:`1 - \cos` would cancel.
    """
    a, b = _check_pair(a, b)
    return 0.5 * (a / _norms(a, "a") - b / _norms(b, "b")).pow(2).sum(dim=-1)


def _recompute_threshold(dtype: torch.dtype) -> float:
    r"""Where the expansion cannot be trusted: :math:`d^2 < \tau (\lVert x\rVert^2 + \lVert y
    \rVert^2)`, with :math:`\tau = 32 \sqrt{\varepsilon}` (about 0.011 in float32)."""
    return min(1.0, 32 * torch.finfo(dtype).eps ** 0.5)


def _pairwise_sqeuclidean(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""``(N, D), (M, D) -> (N, M)`` squared distances: one matrix multiply, then a repair.

    Step 1, the fast expansion: :math:`d^2_{ij} = \lVert x_i\rVert^2 + \lVert y_j\rVert^2 - 2
    x_i \cdot y_j`, as a single matrix product of the augmented rows
    :math:`[-2x_i,\ \lVert x_i\rVert^2,\ 1]` and :math:`[y_j,\ 1,\ \lVert y_j\rVert^2]`. Its
    rounding error is about :math:`\varepsilon (\lVert x_i\rVert^2 + \lVert y_j\rVert^2)`,
    which swamps :math:`d^2_{ij}` when the two vectors nearly coincide (catastrophic
    cancellation), and can even make it negative.

    Step 2, the repair: every pair whose :math:`d^2_{ij} < \tau (\lVert x_i\rVert^2 +
    \lVert y_j\rVert^2)` is recomputed from the differences :math:`\sum_k (x_{ik} - y_{jk})^2`,
    which cannot cancel. Negative results always qualify, so no clamp is needed. A row is
    searched only if its smallest entry is below the row's loosest bound, so for typical ReID
    features the repair costs one read of the matrix and the total stays one GEMM.
    """
    x_sq = x.pow(2).sum(dim=1, keepdim=True)  # (N, 1)
    y_sq = y.pow(2).sum(dim=1, keepdim=True)  # (M, 1)
    x_aug = torch.cat([-2 * x, x_sq, torch.ones_like(x_sq)], dim=1)  # (N, D + 2)
    y_aug = torch.cat([y, torch.ones_like(y_sq), y_sq], dim=1)  # (M, D + 2)
    d2 = x_aug @ y_aug.T  # (N, M) = -2 x.y + |x|^2 + |y|^2

    tau = _recompute_threshold(x.dtype)
    x_sq, y_sq = x_sq.squeeze(1), y_sq.squeeze(1)  # (N,), (M,)
    row_bound = tau * (x_sq + y_sq.max())  # (N,): the loosest bound in each row
    for r in torch.nonzero(d2.detach().amin(dim=1) < row_bound).flatten().split(256):
        suspect = d2.detach()[r] < tau * (x_sq[r, None] + y_sq[None, :])  # (R, M)
        rows, cols = torch.nonzero(suspect, as_tuple=True)
        rows = r[rows]
        for start in range(0, rows.numel(), 4096):  # bounded memory: 4096 x D at a time
            i, j = rows[start : start + 4096], cols[start : start + 4096]
            d2[i, j] = (x[i] - y[j]).pow(2).sum(dim=1)
    return d2


def pairwise_distances(x: torch.Tensor, y: torch.Tensor, metric: Metric = "euclidean") -> torch.Tensor:
    r"""Distance matrix between every query row of ``x`` and every reference row of ``y``.

    .. math::

        D_{ij} = \begin{cases}
            \lVert x_i - y_j \rVert & \text{euclidean} \\
            \lVert x_i - y_j \rVert^2 & \text{sqeuclidean} \\
            1 - \cos(x_i, y_j) = \tfrac12 \lVert \hat x_i - \hat y_j \rVert^2 & \text{cosine}
        \end{cases}

    Args:
        x: queries, ``(N, D)``.
        y: references (the gallery), ``(M, D)``.
        metric: ``"euclidean"``, ``"sqeuclidean"`` or ``"cosine"``.

    Returns:
        ``(N, M)`` tensor of the same dtype as the inputs.

    It is as fast as ``torch.cdist`` (one matrix multiply) but, unlike it, exact to working
    precision for near-duplicate vectors with large norms; see :func:`_pairwise_sqeuclidean`.
    """
    x = check_float_tensor(x, "x", ndim=2)
    y = check_float_tensor(y, "y", ndim=2)
    check_compatible(x, y, ("x", "y"))
    if metric == "cosine":
        x, y = x / _norms(x, "x"), y / _norms(y, "y")
        return _pairwise_sqeuclidean(x, y).mul_(0.5)
    if metric == "sqeuclidean":
        return _pairwise_sqeuclidean(x, y)
    if metric == "euclidean":
        return _pairwise_sqeuclidean(x, y).sqrt_()
    raise ValueError(f"metric must be one of {get_args(Metric)}, got {metric!r}")
