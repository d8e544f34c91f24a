"""Image distortions of different kinds, each tuned to the same mean squared error.

Chapter *L1, L2, Huber and SSIM*: MSE cannot tell a brightness change from noise or blur of the
same size, SSIM can. Each distortion has a strength ``t >= 0`` (0: no change);
:func:`at_mse` finds by bisection the strength that gives a chosen MSE.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

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
