r"""The strong baseline's three losses, each with the paper's setting, and their sum.

Luo et al. 2019 (*Bag of Tricks*), trained on batches of :math:`P` people x :math:`K` images with
labels :math:`y` (training identities :math:`0 \dots N-1`):

.. math::

    L = L_\mathrm{ID}(W f_i, y) + L_\mathrm{triplet}(f_t, y) + \beta\, L_C(f_t, y)

* :func:`id_loss`: cross-entropy with **label smoothing** (Szegedy et al., CVPR 2016),
  :math:`\varepsilon = 0.1`: the target puts :math:`1 - \tfrac{N-1}{N}\varepsilon` on the true
  person and :math:`\varepsilon / N` on every other, so the classifier cannot grow its logits
  without bound to fit the training people (who never appear at test time).
* :func:`hard_triplet_loss`: the batch-hard triplet loss (Hermans, Beyer & Leibe, 2017) with
  margin :math:`m = 0.3` on Euclidean distances between :math:`f_t`'s: the book's miner
  (:func:`reidlab.miners.batch_hard_triplets`) and loss (:func:`reidlab.losses.metric.triplet_loss`).
* :func:`center_loss` (Wen et al., ECCV 2016), optional, weight :math:`\beta = 0.0005`: pulls each
  :math:`f_t` towards a learned centre of its person, which the triplet loss (only relative
  distances count) does not do. The centres have their own optimiser, SGD with learning rate 0.5
  (:func:`center_step`).

Left out: other metric losses (the paper's ablations of softmax-only or triplet-only training
are :class:`LossConfig` with a weight of 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from reidlab._checks import check_float_tensor
from reidlab.baseline.model import BaselineOutput
from reidlab.losses.classification import cross_entropy
from reidlab.losses.metric import batch_distances, triplet_loss
from reidlab.miners import batch_hard_triplets


def id_loss(logits: torch.Tensor, labels: torch.Tensor, epsilon: float = 0.1) -> torch.Tensor:
    r"""ID loss with label smoothing, the mean over the batch of

    .. math::

        L_\mathrm{ID} = -\sum_{c=1}^{N} q_c \log p_c, \qquad
        q_c = \begin{cases} 1 - \frac{N-1}{N}\varepsilon & c = y \\ \varepsilon / N & c \ne y \end{cases}

    with :math:`p = \operatorname{softmax}(\text{logits})` over the :math:`N` training identities.
    ``epsilon`` :math:`\varepsilon`: 0.1 in the paper; 0 is the plain cross-entropy. The same
    as ``F.cross_entropy(logits, labels, label_smoothing=epsilon)``
    (:func:`reidlab.losses.classification.cross_entropy`, tested against it)."""
    if not 0.0 <= epsilon < 1.0:
        raise ValueError(f"epsilon must lie in [0, 1), got {epsilon}")
    return cross_entropy(logits, labels, label_smoothing=epsilon)


def hard_triplet_loss(features: torch.Tensor, labels: torch.Tensor, margin: float = 0.3) -> torch.Tensor:
    r"""Batch-hard triplet loss on ``features`` ``(B, D)`` (:math:`f_t`), the mean over anchors of

    .. math::

        \bigl[\max_{p:\,y_p = y_a} d(a, p) - \min_{n:\,y_n \ne y_a} d(a, n) + m\bigr]_+,

    :math:`d` Euclidean (:func:`reidlab.losses.metric.batch_distances`), margin :math:`m` = 0.3 in
    the paper."""
    dist = batch_distances(features)  # (B, B)
    return triplet_loss(dist, batch_hard_triplets(dist, labels), margin=margin)


def center_loss(features: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    r"""Centre loss of ``features`` ``(B, D)`` to the ``centers`` ``(N, D)`` of their ``labels``:

    .. math::

        L_C = \frac1B \sum_{j=1}^{B} \lVert f_{t,j} - c_{y_j} \rVert_2^2 .

    The paper writes :math:`\tfrac12 \sum_j`; the authors' code, with which :math:`\beta = 0.0005`
    was tuned, takes the mean over the batch without the :math:`\tfrac12`, as here. The centres of
    the batch are picked by a product with the one-hot labels rather than by indexing, so their
    gradient (summed over a person's :math:`K` images) adds in a fixed order."""
    features = check_float_tensor(features, "features", ndim=2)
    centers = check_float_tensor(centers, "centers", ndim=2)
    if centers.shape[1] != features.shape[1]:
        raise ValueError(f"centers must be (N, {features.shape[1]}), got {tuple(centers.shape)}")
    if labels.shape != features.shape[:1] or ((labels < 0) | (labels >= len(centers))).any():
        raise ValueError(f"labels must be ({len(features)},) identities in 0..{len(centers) - 1}")
    one_hot = torch.nn.functional.one_hot(labels, len(centers)).to(features.dtype)  # (B, N)
    own = one_hot @ centers  # (B, D): c_{y_j}
    return (features - own).pow(2).sum(dim=1).mean()


class CenterLoss(nn.Module):
    r"""Holds the centres ``(num_classes, dim)``, drawn from :math:`\mathcal N(0, 1)` as in the
    authors' code; ``forward(features, labels)`` is :func:`center_loss`."""

    def __init__(self, num_classes: int, dim: int, *, generator: torch.Generator) -> None:
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, dim, generator=generator))

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return center_loss(features, labels, self.centers)


def center_step(centers: CenterLoss, optimizer: torch.optim.Optimizer, weight: float) -> None:
    r"""Step the centres' own optimiser on the gradient of :math:`L_C` itself: after the backward
    pass of :math:`L` the centres hold :math:`\beta\, \partial L_C / \partial c`, so it is divided
    by :math:`\beta` first (the authors' code), and SGD moves each centre by
    :math:`-0.5\, \partial L_C / \partial c` (learning rate 0.5)."""
    if not weight > 0:
        raise ValueError(f"weight must be positive, got {weight}")
    for p in centers.parameters():
        if p.grad is not None:
            p.grad.div_(weight)
    optimizer.step()


@dataclass(frozen=True)
class LossConfig:
    """The loss's settings; the defaults are the paper's (centre loss off: pass ``center_weight=5e-4``)."""

    label_smoothing: float = 0.1
    margin: float = 0.3
    id_weight: float = 1.0
    triplet_weight: float = 1.0
    center_weight: float = 0.0


def baseline_loss(
    out: BaselineOutput, labels: torch.Tensor, config: LossConfig, centers: CenterLoss | None = None
) -> dict[str, torch.Tensor]:
    r"""The parts ``"id"``, ``"triplet"`` (and ``"center"``) and their weighted sum ``"loss"``:
    the ID loss on ``out.logits`` (from :math:`f_i`), the triplet and centre losses on ``out.f_t``."""
    if config.center_weight and centers is None:
        raise ValueError("config.center_weight > 0 needs the centers (a CenterLoss)")
    parts = {}
    if config.id_weight:
        parts["id"] = id_loss(out.logits, labels, config.label_smoothing)
    if config.triplet_weight:
        parts["triplet"] = hard_triplet_loss(out.f_t, labels, config.margin)
    if config.center_weight:
        parts["center"] = centers(out.f_t, labels)
    if not parts:
        raise ValueError("every loss weight is 0: nothing to train")
    weights = {"id": config.id_weight, "triplet": config.triplet_weight, "center": config.center_weight}
    parts["loss"] = sum(weights[name] * value for name, value in parts.items())
    return parts
