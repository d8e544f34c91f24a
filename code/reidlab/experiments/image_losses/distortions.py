"""Image distortions of different kinds, each tuned to the same mean squared error.

Chapter *L1, L2, Huber and SSIM*: MSE cannot tell a brightness change from noise or blur of the
same size, SSIM can. Each distortion has a strength ``t >= 0`` (0: no change);
:func:`at_mse` finds by bisection the strength that gives a chosen MSE. :func:`bending_share`
finds the windows of an image that hold edges or fine texture, to read an SSIM map by region.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from reidlab._checks import check_float_tensor
from reidlab.filters import gaussian_blur

Distortion = Callable[[torch.Tensor, float], torch.Tensor]


def brighten(img: torch.Tensor, t: float) -> torch.Tensor:
    """Add ``t`` to every pixel."""
    return (img + t).clamp(0, 1)


def stretch_contrast(img: torch.Tensor, t: float) -> torch.Tensor:
    """Push every pixel away from the mean by a factor ``1 + t``."""
    m = img.mean()
    return (m + (1 + t) * (img - m)).clamp(0, 1)


def add_fixed_noise(img: torch.Tensor, t: float) -> torch.Tensor:
    """Gaussian noise of standard deviation ``t`` (the same noise pattern for every ``t``)."""
    noise = torch.randn(img.shape, generator=torch.Generator().manual_seed(0))
    return (img + t * noise).clamp(0, 1)


def blur(img: torch.Tensor, t: float) -> torch.Tensor:
    """Gaussian blur with standard deviation ``t`` pixels (edges reflected)."""
    if t <= 0:
        return img
    return gaussian_blur(img, t, radius=int(3 * t + 0.5), padding="reflect")


def blocky(img: torch.Tensor, t: float) -> torch.Tensor:
    """Mix in ``t`` of the 8 x 8 block averages: the blocking of heavy JPEG compression."""
    x = img.reshape(1, 1, *img.shape[-2:])
    blocks = F.interpolate(F.avg_pool2d(x, 8), scale_factor=8, mode="nearest").reshape(img.shape)
    return ((1 - t) * img + t * blocks).clamp(0, 1)


DISTORTIONS: dict[str, tuple[Distortion, float]] = {
    "brighter": (brighten, 1.0),
    "more contrast": (stretch_contrast, 3.0),
    "noise": (add_fixed_noise, 1.0),
    "blur": (blur, 10.0),
    "blocking": (blocky, 1.0),
}


def at_mse(img: torch.Tensor, distort: Distortion, mse: float, t_max: float, iters: int = 60) -> torch.Tensor:
    """``distort(img, t)`` with ``t`` chosen by bisection so that its MSE to ``img`` is ``mse``."""
    return distort(img, strength_at_mse(img, distort, mse, t_max, iters))


def strength_at_mse(
    img: torch.Tensor, distort: Distortion, mse: float, t_max: float, iters: int = 60
) -> float:
    """The strength ``t`` in ``[0, t_max]`` at which ``distort(img, t)`` has MSE ``mse`` to
    ``img`` (bisection: every distortion here grows with ``t``)."""
    lo, hi = 0.0, t_max
    if ((distort(img, hi) - img) ** 2).mean() < mse:
        raise ValueError(f"even the strongest distortion (t = {t_max}) stays below MSE {mse}")
    for _ in range(iters):
        mid = (lo + hi) / 2
        if ((distort(img, mid) - img) ** 2).mean() < mse:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def bending_share(
    img: torch.Tensor, window: int = 11, threshold: float = 0.05, columns: bool = False
) -> torch.Tensor:
    r"""The share of pixels in every ``window`` x ``window`` window of a grey image ``(1, H, W)``
    or ``(H, W)`` where the image bends sharply: a ``(H - window + 1, W - window + 1)`` map,
    laid out like :func:`reidlab.losses.ssim.ssim_map` (whose windows are 11 x 11).

    A pixel *bends* where the second difference along its row,
    :math:`|x_{i,j-1} - 2x_{i,j} + x_{i,j+1}|`, is above ``threshold`` (with ``columns``, or the
    one along its column). A flat region or a smooth gradient bends nowhere, a step edge only at
    the two pixels beside it, and vertical stripes a few pixels wide at most pixels: windows
    with a share above one half hold such fine texture, and with ``columns`` a share above 0
    marks the windows that hold an edge.
    """
    check_float_tensor(img, "img")
    if img.ndim == 3 and img.shape[0] == 1:
        img = img[0]
    if img.ndim != 2:
        raise ValueError(f"img must be (H, W) or (1, H, W), got shape {tuple(img.shape)}")
    if not 3 <= min(img.shape):
        raise ValueError(f"img must be at least 3 x 3, got shape {tuple(img.shape)}")
    if not 1 <= window <= min(img.shape):
        raise ValueError(f"window must be between 1 and the image's side {min(img.shape)}, got {window}")
    if not threshold >= 0:
        raise ValueError(f"threshold must be at least 0, got {threshold}")
    rows = F.pad((img[:, :-2] - 2 * img[:, 1:-1] + img[:, 2:]).abs(), (1, 1))  # (H, W)
    bend = rows
    if columns:
        bend = torch.maximum(rows, F.pad((img[:-2] - 2 * img[1:-1] + img[2:]).abs(), (0, 0, 1, 1)))
    bent = (bend > threshold).to(img.dtype)  # the border pixels count as not bending
    return F.avg_pool2d(bent[None, None], window, stride=1)[0, 0]
