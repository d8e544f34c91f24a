r"""SSIM and MS-SSIM: image similarity by local means, contrasts and structure.

Taught in the chapter *L1, L2, Huber and SSIM* (``chapters/image_losses.md``).

SSIM (Wang, Bovik, Sheikh & Simoncelli, 2004) compares two images window by window. With local
means :math:`\mu`, standard deviations :math:`\sigma` and covariance :math:`\sigma_{xy}`, all
taken under a Gaussian window (11 taps, :math:`\sigma = 1.5`),

.. math::

    \mathrm{SSIM}(x, y) =
    \underbrace{\frac{2\mu_x\mu_y + C_1}{\mu_x^2 + \mu_y^2 + C_1}}_{\text{luminance } l}\;
    \underbrace{\frac{2\sigma_{xy} + C_2}{\sigma_x^2 + \sigma_y^2 + C_2}}_{\text{contrast}\cdot
    \text{structure } cs},
    \qquad C_i = (K_i L)^2,\ K_1 = 0.01,\ K_2 = 0.03,

averaged over every window position that fits inside the image, with :math:`L` the data range.
(The :math:`cs` term is contrast times structure with the constant :math:`C_3 = C_2/2`.)

MS-SSIM (Wang, Simoncelli & Bovik, 2003) repeats the :math:`cs` term on five scales, halving the
image between them, and takes luminance only at the coarsest:
:math:`\prod_{j=1}^{5} cs_j^{\beta_j} \cdot l_5^{\beta_5}` with
:math:`\beta = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)`.

Conventions follow the reference implementations: valid (unpadded) filtering, ReLU on each
term of MS-SSIM, 2x2 average pooling that pads odd sizes. Both functions are differentiable;
``1 - ssim`` is the loss. Inputs are batches ``(N, C, H, W)`` with values in
``[0, data_range]``; results are averaged over images and channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reidlab._checks import check_float_tensor
from reidlab.filters import filter_valid, gaussian_window

WIN_SIZE, WIN_SIGMA = 11, 1.5
MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _check(x: torch.Tensor, y: torch.Tensor, data_range: float, min_side: int) -> None:
    check_float_tensor(x, "x", ndim=4)
    check_float_tensor(y, "y", ndim=4)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    if min(x.shape[-2:]) < min_side:
        raise ValueError(f"images must be at least {min_side} x {min_side} here, got {tuple(x.shape[-2:])}")
    for name, t in (("x", x), ("y", y)):
        lo, hi = t.min().item(), t.max().item()
        if lo < -1e-6 * data_range or hi > data_range * (1 + 1e-6):
            raise ValueError(
                f"{name} has values in [{lo:.3g}, {hi:.3g}], outside [0, data_range={data_range}]: "
                "is data_range right (1.0 for [0, 1] images, 255 for 8-bit)?"
            )


def _maps(x: torch.Tensor, y: torch.Tensor, data_range: float) -> tuple[torch.Tensor, torch.Tensor]:
    r"""SSIM :math:`l \cdot cs` and the contrast-structure term :math:`cs` at every window
    position: two ``(N, C, H - 10, W - 10)`` tensors."""
    win = gaussian_window(WIN_SIZE, WIN_SIGMA, dtype=x.dtype)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    c = x.shape[1]
    # One filter pass over all five maps: x, y, x^2, y^2, xy stacked along channels.
    stats = filter_valid(torch.cat([x, y, x * x, y * y, x * y], dim=1), win)  # (N, 5C, H', W')
    mu_x, mu_y, xx, yy, xy = stats.split(c, dim=1)
    var_x, var_y, cov = xx - mu_x**2, yy - mu_y**2, xy - mu_x * mu_y
    lum = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
    cs = (2 * cov + c2) / (var_x + var_y + c2)
    return lum * cs, cs


def ssim_terms(
    x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""SSIM (luminance times contrast-structure, :math:`l \cdot cs`) and the contrast-structure
    term :math:`cs` alone, each averaged over window positions, per image and channel: two
    tensors of shape ``(N, C)``."""
    s, cs = _maps(x, y, data_range)
    return s.flatten(2).mean(-1), cs.flatten(2).mean(-1)


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    r"""SSIM of every 11 x 11 window of two image batches ``(N, C, H, W)``: ``(N, C, H - 10,
    W - 10)``, the local values whose mean :func:`ssim` returns. Shows *where* two images
    differ in structure (chapter *L1, L2, Huber and SSIM*)."""
    _check(x, y, data_range, WIN_SIZE)
    return _maps(x, y, data_range)[0]


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    r"""Mean SSIM of two image batches ``(N, C, H, W)``; 1 means identical.

    .. math::

        \mathrm{SSIM}(x, y) = \operatorname{mean}_{\text{windows}}
        \frac{2\mu_x\mu_y + C_1}{\mu_x^2 + \mu_y^2 + C_1} \cdot
        \frac{2\sigma_{xy} + C_2}{\sigma_x^2 + \sigma_y^2 + C_2},
        \qquad C_1 = (0.01 L)^2,\ C_2 = (0.03 L)^2

    with :math:`\mu, \sigma^2, \sigma_{xy}` the means, variances and covariance under an
    11-tap Gaussian window (:math:`\sigma = 1.5`) and :math:`L` = ``data_range``. Images must
    be at least 11 x 11 (one window).
    """
    _check(x, y, data_range, WIN_SIZE)
    return ssim_terms(x, y, data_range)[0].mean()


def ms_ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    r"""Mean MS-SSIM of two image batches ``(N, C, H, W)`` over five scales:

    .. math::

        \text{MS-SSIM}(x, y) = l_5^{\beta_5} \prod_{j=1}^{5} cs_j^{\beta_j},
        \qquad \beta = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)

    where :math:`cs_j` is SSIM's contrast-structure term at scale :math:`j` (the image halved
    :math:`j - 1` times) and :math:`l_5` its luminance term at the coarsest scale. Images must
    be larger than 160 x 160, so that the coarsest scale (1/16) still holds a window.
    """
    _check(x, y, data_range, (WIN_SIZE - 1) * 2**4 + 1)
    weights = torch.tensor(MS_WEIGHTS, dtype=x.dtype)
    terms = []
    for level in range(len(MS_WEIGHTS)):
        s, cs = ssim_terms(x, y, data_range)
        if level < len(MS_WEIGHTS) - 1:
            terms.append(torch.relu(cs))
            pad = [side % 2 for side in x.shape[2:]]
            x, y = F.avg_pool2d(x, 2, padding=pad), F.avg_pool2d(y, 2, padding=pad)
    terms.append(torch.relu(s))  # luminance enters at the coarsest scale only
    stacked = torch.stack(terms)  # (levels, N, C)
    return torch.prod(stacked ** weights.view(-1, 1, 1), dim=0).mean()
