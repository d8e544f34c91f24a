r"""Classification losses: margin losses for two classes, cross-entropy for many.

Taught in the chapter *Classification losses and outliers* (``chapters/classification_losses.md``).

**Margin losses.** With labels :math:`y \in \{-1, +1\}` and a score :math:`f(x)`, the *margin*
:math:`m = y f(x)` is positive when the point is on the right side of the boundary and grows
with confidence. A margin loss is a function :math:`\ell(m)` alone, and a point's *weight* in
training is how hard gradient descent pulls on it, :math:`|\ell'(m)|`: by the chain rule
:math:`\nabla_\theta \ell = \ell'(m)\, y\, \nabla_\theta f(x)`.

**Cross-entropy.** For :math:`C` classes and logits :math:`z`,
:math:`\ell = -\log \operatorname{softmax}(z)_y`; ReID uses it to classify training identities.

Each loss here is a plain function of tensors (no module state, no hidden normalisation) and
is tested against PyTorch's own implementation or against autograd.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from reidlab._checks import check_float_tensor, lookup

# --- margin losses --------------------------------------------------------------------------


def zero_one(m: torch.Tensor) -> torch.Tensor:
    r""":math:`\ell(m) = \mathbb 1[m \le 0]`: counts mistakes; no gradient to learn from."""
    return (m <= 0).to(m.dtype)


def logistic(m: torch.Tensor) -> torch.Tensor:
    r"""Logistic loss (binomial deviance): :math:`\ell(m) = \log(1 + e^{-m})`."""
    return F.softplus(-m)  # log(1 + e^{-m}) without overflow for very negative m


def exponential(m: torch.Tensor) -> torch.Tensor:
    r"""Exponential loss, the one AdaBoost minimises: :math:`\ell(m) = e^{-m}`."""
    return torch.exp(-m)


def hinge(m: torch.Tensor) -> torch.Tensor:
    r"""Hinge loss (support vector machines): :math:`\ell(m) = \max(0, 1 - m)`."""
    return torch.clamp(1 - m, min=0)


def squared_hinge(m: torch.Tensor) -> torch.Tensor:
    r"""Squared hinge loss: :math:`\ell(m) = \max(0, 1 - m)^2`."""
    return torch.clamp(1 - m, min=0).pow(2)


def squared_error(m: torch.Tensor) -> torch.Tensor:
    r"""Squared error on labels :math:`\pm 1`: :math:`(y - f)^2 = (1 - m)^2` (as :math:`y^2 = 1`).
    It also punishes points that are *too* right (:math:`m > 1`)."""
    return (1 - m).pow(2)


def savage(m: torch.Tensor) -> torch.Tensor:
    r"""Savage loss, bounded and non-convex: :math:`\ell(m) = (1 + e^{2m})^{-2}`.

    Its weight vanishes for very wrong points, so an outlier cannot pull the boundary far
    (Masnadi-Shirazi & Vasconcelos, 2008).
    """
    return torch.sigmoid(-2 * m).pow(2)  # 1/(1 + e^{2m}) = sigmoid(-2m)


@dataclass(frozen=True)
class MarginLoss:
    """A margin loss :math:`\\ell(m)` with its training weight :math:`|\\ell'(m)|` in closed form."""

    name: str
    loss: Callable[[torch.Tensor], torch.Tensor]
    weight: Callable[[torch.Tensor], torch.Tensor]
    bounded: bool

    def __call__(self, m: torch.Tensor) -> torch.Tensor:
        return self.loss(m)


#: Every margin loss of the chapter, with :math:`|\ell'(m)|` written out (tested against autograd).
MARGIN_LOSSES: dict[str, MarginLoss] = {
    loss.name: loss
    for loss in (
        MarginLoss("0-1", zero_one, lambda m: torch.zeros_like(m), bounded=True),
        MarginLoss("logistic", logistic, lambda m: torch.sigmoid(-m), bounded=False),
        MarginLoss("exponential", exponential, lambda m: torch.exp(-m), bounded=False),
        MarginLoss("hinge", hinge, lambda m: (m < 1).to(m.dtype), bounded=False),
        MarginLoss(
            "squared hinge",
            squared_hinge,
            lambda m: 2 * torch.clamp(1 - m, min=0),
            bounded=False,
        ),
        MarginLoss("squared error", squared_error, lambda m: 2 * (1 - m).abs(), bounded=False),
        # d/dm sigmoid(-2m)^2 = -4 sigmoid(-2m)^2 sigmoid(2m)
        MarginLoss(
            "savage",
            savage,
            lambda m: 4 * torch.sigmoid(-2 * m).pow(2) * torch.sigmoid(2 * m),
            bounded=True,
        ),
    )
}


def margin_loss(name: str) -> MarginLoss:
    """Look up a margin loss by name (see :data:`MARGIN_LOSSES`)."""
    return lookup(MARGIN_LOSSES, name, "name")


def margins(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    r"""Margins :math:`m_i = y_i f(x_i)` for labels in :math:`\{-1, +1\}`, both of shape ``(N,)``."""
    scores = check_float_tensor(scores, "scores", ndim=1)
    if not isinstance(labels, torch.Tensor) or labels.shape != scores.shape:
        raise ValueError(f"labels must be a tensor of shape {tuple(scores.shape)} like scores")
    if not ((labels == 1) | (labels == -1)).all():
        raise ValueError("labels must be -1 or +1 for a margin loss")
    return labels.to(scores.dtype) * scores


# --- cross-entropy --------------------------------------------------------------------------


def _check_targets(logits: torch.Tensor, target: torch.Tensor) -> None:
    if not isinstance(target, torch.Tensor) or target.dtype not in (torch.int64, torch.int32):
        raise TypeError("target must be an integer tensor of class indices")
    if target.shape != logits.shape[:1]:
        raise ValueError(
            f"target must have shape ({logits.shape[0]},) to match logits, got {tuple(target.shape)}"
        )
    if ((target < 0) | (target >= logits.shape[1])).any():
        raise ValueError(f"target holds class indices outside 0..{logits.shape[1] - 1}")


def cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    r"""Mean softmax cross-entropy, written out; equal to ``F.cross_entropy`` with the same options.

    .. math::

        \ell_i = -\sum_c q_{ic}\, w_c \log p_{ic}, \qquad
        p_{ic} = \frac{e^{z_{ic}}}{\sum_k e^{z_{ik}}}, \qquad
        q_{ic} = (1 - \varepsilon)\,\mathbb 1[c = y_i] + \frac{\varepsilon}{C},

        L = \frac{\sum_i \ell_i}{\sum_i w_{y_i}}

    Args:
        logits: :math:`z`, shape ``(N, C)``.
        target: :math:`y`, class indices, shape ``(N,)``.
        weight: :math:`w`, one weight per class, shape ``(C,)`` (default: all 1).
        label_smoothing: :math:`\varepsilon \in [0, 1]`: spreads that much of each target's
            probability evenly over all classes.
    """
    logits = check_float_tensor(logits, "logits", ndim=2)
    _check_targets(logits, target)
    c = logits.shape[1]
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if weight is None:
        weight = torch.ones(c, dtype=logits.dtype)
    elif check_float_tensor(weight, "weight", ndim=1).shape != (c,):
        raise ValueError(f"weight must have one entry per class, shape ({c},)")
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)  # (N, C): log softmax, stable
    nll = -log_p.gather(1, target[:, None]).squeeze(1)  # (N,): -log p_{i, y_i}
    w_y = weight[target]  # (N,)
    smooth = -(log_p * weight).mean(dim=1)  # (N,): (1/C) sum_c w_c (-log p_ic)
    per_sample = (1 - label_smoothing) * w_y * nll + label_smoothing * smooth
    return per_sample.sum() / w_y.sum()


def binary_cross_entropy_with_logits(
    logits: torch.Tensor, target: torch.Tensor, pos_weight: float | None = None
) -> torch.Tensor:
    r"""Mean binary cross-entropy on logits, written out; equal to the PyTorch function.

    .. math::

        \ell_i = -\bigl[\, p\, t_i \log \sigma(z_i) + (1 - t_i) \log(1 - \sigma(z_i)) \bigr]

    with targets :math:`t_i \in [0, 1]` and ``pos_weight`` :math:`p` (default 1). Uses
    :math:`\log \sigma(z) = -\operatorname{softplus}(-z)` so large :math:`|z|` cannot overflow.
    For :math:`t \in \{0, 1\}` and :math:`p = 1` this is the logistic margin loss with
    :math:`y = 2t - 1`.
    """
    logits = check_float_tensor(logits, "logits")
    target = check_float_tensor(target, "target")
    if target.shape != logits.shape:
        raise ValueError(
            f"target must have the shape of logits {tuple(logits.shape)}, got {tuple(target.shape)}"
        )
    if ((target < 0) | (target > 1)).any():
        raise ValueError("target must lie in [0, 1]")
    p = 1.0 if pos_weight is None else pos_weight
    log_sig, log_one_minus_sig = -F.softplus(-logits), -F.softplus(logits)
    return -(p * target * log_sig + (1 - target) * log_one_minus_sig).mean()
