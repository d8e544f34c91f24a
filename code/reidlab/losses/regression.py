r"""Regression losses: L1, L2 (mean squared error) and Huber, on the residual :math:`r = \hat y - y`.

Taught in the chapter *L1, L2, Huber and SSIM* (``chapters/image_losses.md``).

Each is an element-wise penalty :math:`\rho(r)` followed by a reduction (``"mean"``, ``"sum"``
or ``"none"``), and each matches ``torch.nn.functional`` (``l1_loss``, ``mse_loss``,
``huber_loss``). As in the classification chapter, the *weight* a residual gets in a fit is
what matters for outliers: in iteratively reweighted least squares a point counts with
:math:`w(r) = \rho'(r) / r`, which is 1 for L2, :math:`1/|r|` for L1, and
:math:`\min(1, \delta/|r|)` for Huber (:func:`irls_weight`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch

from reidlab._checks import check_float_tensor, lookup

Reduction = Literal["mean", "sum", "none"]


def _residual(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    pred = check_float_tensor(pred, "pred")
    target = check_float_tensor(target, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    return pred - target


def _reduce(x: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    if reduction == "mean":
        return x.mean()
    if reduction == "sum":
        return x.sum()
    if reduction == "none":
        return x
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def l1_loss(pred: torch.Tensor, target: torch.Tensor, reduction: Reduction = "mean") -> torch.Tensor:
    r"""L1 (absolute error): :math:`\rho(r) = |r|`. Every unit of error costs the same."""
    return _reduce(_residual(pred, target).abs(), reduction)


def mse_loss(pred: torch.Tensor, target: torch.Tensor, reduction: Reduction = "mean") -> torch.Tensor:
    r"""L2 (squared error): :math:`\rho(r) = r^2`. Errors below 1 shrink, errors above 1 grow."""
    return _reduce(_residual(pred, target).pow(2), reduction)


def huber_loss(
    pred: torch.Tensor, target: torch.Tensor, delta: float = 1.0, reduction: Reduction = "mean"
) -> torch.Tensor:
    r"""Huber: quadratic near zero, linear beyond :math:`\delta`.

    .. math::

        \rho_\delta(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
        \delta\,(|r| - \tfrac12 \delta) & |r| > \delta \end{cases}
    """
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta}")
    a = _residual(pred, target).abs()
    return _reduce(torch.where(a <= delta, 0.5 * a.pow(2), delta * (a - 0.5 * delta)), reduction)


#: The regression losses by name: the one spelling used across the book ("L1", not "l1").
REGRESSION_LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "L1": l1_loss,
    "L2": mse_loss,
    "Huber": huber_loss,
}


def irls_weight(residual: torch.Tensor, loss: str, delta: float = 1.0, eps: float = 1e-8) -> torch.Tensor:
    r"""How much a residual counts in a reweighted least-squares fit: :math:`w(r) = \rho'(r)/r`.

    ``loss`` is a name of :data:`REGRESSION_LOSSES`. L2: 1 (every point alike, however far);
    L1: :math:`1/|r|` (far points count less); Huber: :math:`\min(1, \delta/|r|)` (L2 near the
    fit, L1 far from it). ``eps`` keeps L1's weight finite at :math:`r = 0`. Constant factors
    are dropped: only ratios matter.
    """
    a = residual.abs()
    weight = lookup(
        {
            "L2": lambda: torch.ones_like(a),
            "L1": lambda: 1.0 / a.clamp_min(eps),
            "Huber": lambda: torch.clamp(delta / a.clamp_min(eps), max=1.0),
        },
        loss,
        "loss",
    )
    return weight()
