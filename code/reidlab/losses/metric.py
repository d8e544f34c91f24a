r"""Metric losses: losses on *distances* between embeddings rather than on class scores.

Taught in the chapter *Siamese networks* (``chapters/siamese.md``). The contract, as in
pytorch-metric-learning: a distance function (:mod:`reidlab.distances`) turns pairs of
embeddings into distances; the loss only sees the distances and whether each pair shows the same
person.

**Contrastive loss** (Hadsell, Chopra and LeCun, 2006), for a pair at distance :math:`d`:

.. math::

    \ell(d) = \begin{cases}
        \tfrac12 d^2 & \text{same person: pull together, always}\\
        \tfrac12 \max(0,\ m - d)^2 & \text{different people: push apart, until } d \ge m
    \end{cases}

The margin :math:`m` is how far apart two different people must be before the loss stops caring.
Its gradient :math:`\partial \ell / \partial d` is :math:`d` for a positive pair and
:math:`-(m - d)` for a negative pair closer than :math:`m` (:func:`contrastive_grad`).
"""

from __future__ import annotations

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
