r"""Fit a straight line under L1, L2 or Huber loss, by iteratively reweighted least squares; and
a constant by plain gradient descent, to watch how each loss settles.

Taught in the chapter *L1, L2, Huber and SSIM* (``chapters/image_losses.md``).

Minimising :math:`\sum_i \rho(y_i - a x_i - b)` has a closed form only for L2. For the others,
IRLS repeats a weighted least-squares fit with weights :math:`w_i = \rho'(r_i)/r_i` from the
previous residuals (:func:`reidlab.losses.regression.irls_weight`) until it settles. It makes
the robustness visible: a point far off the line gets weight 1 under L2, but only
:math:`1/|r|` under L1 and :math:`\delta/|r|` under Huber.
"""

from __future__ import annotations

import torch

from reidlab._checks import check_float_tensor
from reidlab.losses.regression import irls_weight


def weighted_least_squares(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> tuple[float, float]:
    r"""The line :math:`(a, b)` minimising :math:`\sum_i w_i (y_i - a x_i - b)^2` (normal equations)."""
    sw, swx, swy = w.sum(), (w * x).sum(), (w * y).sum()
    swxx, swxy = (w * x * x).sum(), (w * x * y).sum()
    det = sw * swxx - swx**2
    a = (sw * swxy - swx * swy) / det
    b = (swy - a * swx) / sw
    return a.item(), b.item()


def fit_line(
    x: torch.Tensor,
    y: torch.Tensor,
    loss: str = "L2",
    delta: float = 1.0,
    iters: int = 200,
    tol: float = 1e-10,
) -> tuple[float, float]:
    """Slope and intercept minimising the total ``loss`` ("L1", "L2" or "Huber") of the residuals."""
    x = check_float_tensor(x, "x", ndim=1).double()
    y = check_float_tensor(y, "y", ndim=1).double()
    if x.shape != y.shape or len(x) < 2:
        raise ValueError(f"x and y need the same length, at least 2, got {len(x)} and {len(y)}")
    if torch.all(x == x[0]):
        raise ValueError("x has a single value: the slope is undefined")
    a, b = weighted_least_squares(x, y, torch.ones_like(x))  # the L2 fit starts every loss
    irls_weight(torch.zeros(1), loss)  # an unknown name fails here, with the names it can take
    if loss == "L2":
        return a, b
    for _ in range(iters):
        w = irls_weight(y - a * x - b, loss, delta=delta, eps=1e-9)
        a_new, b_new = weighted_least_squares(x, y, w)
        done = abs(a_new - a) + abs(b_new - b) < tol
        a, b = a_new, b_new
        if done:
            break
    return a, b


def descend_to_constant(
    y: torch.Tensor, loss: str, lr: float = 0.05, steps: int = 200, start: float = 0.0
) -> torch.Tensor:
    r"""Fit a constant :math:`c` to the values ``y`` by gradient descent on the mean ``loss``
    ("L1" or "L2") with a fixed step ``lr``; returns :math:`c` after every step, ``(steps,)``.

    The step is ``lr`` times the slope: :math:`2\,\overline{(c - y)}` for L2, which shrinks to
    zero at the mean, and :math:`\overline{\operatorname{sign}(c - y)}` for L1, which stays
    large until :math:`c` sits exactly on the median (chapter *L1, L2, Huber and SSIM*).
    """
    y = check_float_tensor(y, "y", ndim=1).double()
    if loss not in ("L1", "L2"):
        raise ValueError(f"loss must be 'L1' or 'L2', got {loss!r}")
    c, path = torch.tensor(float(start), dtype=torch.float64), []
    for _ in range(steps):
        slope = 2 * (c - y).mean() if loss == "L2" else torch.sign(c - y).mean()
        c = c - lr * slope
        path.append(c.item())
    return torch.tensor(path, dtype=torch.float64)
