r"""The Gaussian blur: the one image filter the book uses, in three places.

* :mod:`reidlab.losses.ssim` takes local means and variances under a Gaussian window (no
  padding: only window positions that fit inside the image count);
* :mod:`reidlab.experiments.image_losses.distortions` blurs an image as one of its distortions
  (edges reflected);
* :mod:`reidlab.worlds.pedestrians` renders each camera's blur (edges repeated).

The window is the sampled Gaussian :math:`w_t \propto e^{-t^2 / 2\sigma^2}` for
:math:`t = -r, \dots, r`, normalised to sum 1. A 2-D Gaussian is the product of two 1-D ones,
so the blur filters the rows, then the columns.

How: filtering an axis of length :math:`n` with no padding is a product with an
:math:`n \times (n - 2r)` banded matrix whose column :math:`j` holds the window at rows
:math:`j .. j + 2r`. Most of its entries are zero, so this does more arithmetic than a
convolution, yet on a CPU it is faster (measured: 90 ms against 155 ms for a grouped
``conv2d`` on 16 x 15 x 256 x 256), because matrix products are what CPU libraries do best.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F

Padding = Literal["valid", "reflect", "replicate"]


def gaussian_window(size: int, sigma: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The normalised 1-D Gaussian of ``size`` taps (odd) and standard deviation ``sigma``."""
    if size < 1 or size % 2 == 0 or not sigma > 0:
        raise ValueError(f"need an odd size >= 1 and sigma > 0, got size={size}, sigma={sigma}")
    t = torch.arange(size, dtype=dtype) - size // 2
    w = torch.exp(-(t**2) / (2 * sigma**2))
    return w / w.sum()


def _band(n: int, win: torch.Tensor) -> torch.Tensor:
    """``(n, n - k + 1)`` matrix whose column j holds the window at rows j..j+k-1."""
    k = win.shape[0]
    offset = torch.arange(n)[:, None] - torch.arange(n - k + 1)[None, :]  # row - column
    inside = (offset >= 0) & (offset < k)
    return torch.where(inside, win[offset.clamp(0, k - 1)], torch.zeros((), dtype=win.dtype))


def filter_valid(x: torch.Tensor, win: torch.Tensor) -> torch.Tensor:
    """Filter the last two axes of ``x`` ``(..., H, W)`` with the 1-D window ``win`` (k taps)
    along each, no padding: ``(..., H - k + 1, W - k + 1)``."""
    h, w = x.shape[-2:]
    if min(h, w) < len(win):
        raise ValueError(f"an image of {h} x {w} cannot hold a window of {len(win)} taps")
    return _band(h, win).T @ (x @ _band(w, win))


def gaussian_blur(
    x: torch.Tensor, sigma: float, radius: int | None = None, padding: Padding = "reflect"
) -> torch.Tensor:
    r"""Blur the last two axes of ``x`` ``(..., H, W)`` with a Gaussian of standard deviation
    ``sigma`` pixels, cut off at ``radius`` pixels (default :math:`\lceil 3\sigma \rceil`).

    ``padding``: ``"valid"`` keeps only positions where the whole window fits (the result is
    ``2 * radius`` smaller); ``"reflect"`` and ``"replicate"`` extend the image by mirroring or
    repeating its edge, so the result has the input's size.
    """
    radius = math.ceil(3 * sigma) if radius is None else radius
    if radius < 0:
        raise ValueError(f"radius must be at least 0, got {radius}")
    win = gaussian_window(2 * radius + 1, sigma, dtype=x.dtype)
    if padding == "valid":
        return filter_valid(x, win)
    if padding not in ("reflect", "replicate"):
        raise ValueError(f"padding must be 'valid', 'reflect' or 'replicate', got {padding!r}")
    flat = x.reshape(-1, 1, *x.shape[-2:])  # F.pad wants (N, C, H, W)
    padded = F.pad(flat, (radius, radius, radius, radius), mode=padding)
    return filter_valid(padded, win).reshape(x.shape)
