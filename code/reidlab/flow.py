r"""Optical flow: how far each pixel moved between two frames (chapter *Video ReID*).

**Lucas–Kanade.** If a pixel keeps its brightness while it moves by :math:`(u, v)`, then
:math:`I_1(x + u, y + v) = I_0(x, y)`, and to first order

.. math::

    I_x u + I_y v + I_t = 0 ,

one equation for two unknowns at each pixel. Lucas and Kanade (1981) assume that the flow is
the same in a small window around the pixel and solve the equations of the window by least
squares: with sums :math:`\sum` over the window,

.. math::

    \begin{pmatrix} \sum I_x^2 & \sum I_x I_y \\ \sum I_x I_y & \sum I_y^2 \end{pmatrix}
    \begin{pmatrix} u \\ v \end{pmatrix}
    = - \begin{pmatrix} \sum I_x I_t \\ \sum I_y I_t \end{pmatrix} .

Where the window has no texture the matrix is (nearly) singular and the flow cannot be told:
it stays 0 there. Along a single straight edge only the motion across the edge can be told
(the *aperture problem*). The first-order step is only right for motions
below about a pixel, so :func:`lucas_kanade` repeats it: warp :math:`I_1` back by the flow so
far and solve again for the whole flow (the iterative version of scikit-image's
``optical_flow_ilk``, on one scale instead of a pyramid: our frames are 64 pixels high).

**Frame differences**, :math:`I_1 - I_0`, are the cheap alternative: no solve, but they mix
how far something moved with how much contrast it has.

Flows here are ``(N, 2, H, W)``: channel 0 is the horizontal displacement :math:`u` (pixels to
the right), channel 1 the vertical :math:`v` (pixels down).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reidlab._checks import check_float_tensor


def to_gray(frames: torch.Tensor) -> torch.Tensor:
    """``(..., 3, H, W)`` RGB -> ``(..., H, W)`` luminance (ITU-R BT.601 weights)."""
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=frames.dtype)
    return torch.einsum("...chw,c->...hw", frames, weights)


def _box(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2 radius + 1)^2 window, edges repeated: ``(N, C, H, W)``."""
    padded = F.pad(x, (radius,) * 4, mode="replicate")
    return F.avg_pool2d(padded, 2 * radius + 1, stride=1)


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``image(x + u, y + v)`` for images ``(N, H, W)`` and flows ``(N, 2, H, W)``, bilinear,
    edges repeated: the second frame moved back onto the first."""
    h, w = image.shape[-2:]
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=image.dtype), torch.arange(w, dtype=image.dtype), indexing="ij"
    )
    gx = 2 * (xs + flow[:, 0]) / max(w - 1, 1) - 1  # grid_sample wants [-1, 1]
    gy = 2 * (ys + flow[:, 1]) / max(h - 1, 1) - 1
    grid = torch.stack((gx, gy), dim=-1)
    return F.grid_sample(image[:, None], grid, mode="bilinear", padding_mode="border", align_corners=True)[
        :, 0
    ]


def lucas_kanade(
    frame0: torch.Tensor, frame1: torch.Tensor, radius: int = 3, warps: int = 5, min_det: float = 1e-6
) -> torch.Tensor:
    """Dense flow ``(N, 2, H, W)`` from ``frame0`` to ``frame1``: ``frame1(x + u, y + v) ≈
    frame0(x, y)``. Frames are grey ``(N, H, W)`` or colour ``(N, 3, H, W)`` (made grey).

    ``radius``: half the window's side, in pixels. ``warps``: how many times the step is
    repeated. Where the window's matrix has a determinant below ``min_det`` the step is 0.
    """
    frame0 = check_float_tensor(frame0, "frame0")
    frame1 = check_float_tensor(frame1, "frame1")
    if frame0.shape != frame1.shape:
        raise ValueError(
            f"frame0 and frame1 must have the same shape, got {tuple(frame0.shape)} and {tuple(frame1.shape)}"
        )
    if frame0.ndim == 4 and frame0.shape[1] == 3:
        frame0, frame1 = to_gray(frame0), to_gray(frame1)
    if frame0.ndim != 3 or min(frame0.shape[1:]) < 2:
        raise ValueError(f"frames must be (N, H, W) or (N, 3, H, W), got {tuple(frame0.shape)}")
    if radius < 1 or warps < 1:
        raise ValueError(f"radius and warps must be at least 1, got {radius} and {warps}")
    n, h, w = frame0.shape
    flow = frame0.new_zeros(n, 2, h, w)
    for _ in range(warps):
        moved = warp(frame1, flow)
        iy, ix = torch.gradient(moved, dim=(1, 2))  # central differences, one-sided at the edges
        # I_x u + I_y v = I_x u_old + I_y v_old + I_0 - I_1(x + flow): solved for the whole flow, each
        # pixel's old flow entering its neighbours' equations (so noise is averaged, not amplified)
        e = ix * flow[:, 0] + iy * flow[:, 1] + frame0 - moved
        sums = _box(torch.stack((ix * ix, ix * iy, iy * iy, ix * e, iy * e), dim=1), radius)
        a, b, c, p, q = sums.unbind(1)
        det = a * c - b * b
        ok = det > min_det
        safe = torch.where(ok, det, torch.ones_like(det))
        u = torch.where(ok, (c * p - b * q) / safe, flow[:, 0])  # the 2 x 2 solve, written out
        v = torch.where(ok, (a * q - b * p) / safe, flow[:, 1])
        flow = torch.stack((u, v), dim=1)
    return flow


def clip_flows(clips: torch.Tensor, chunk: int = 512, **kwargs: int | float) -> torch.Tensor:
    """Flow between consecutive frames of clips ``(N, T, 3, H, W)``: ``(N, T - 1, 2, H, W)``.
    Keyword arguments go to :func:`lucas_kanade`."""
    if clips.ndim != 5 or clips.shape[2] != 3 or clips.shape[1] < 2:
        raise ValueError(f"clips must be (N, T, 3, H, W) with T >= 2, got {tuple(clips.shape)}")
    n, t, _, h, w = clips.shape
    gray = to_gray(clips)
    first, second = gray[:, :-1].reshape(-1, h, w), gray[:, 1:].reshape(-1, h, w)
    parts = [
        lucas_kanade(first[i : i + chunk], second[i : i + chunk], **kwargs)
        for i in range(0, len(first), chunk)
    ]
    return torch.cat(parts).view(n, t - 1, 2, h, w)


def frame_differences(clips: torch.Tensor) -> torch.Tensor:
    """``I_{t+1} - I_t`` for clips ``(N, T, 3, H, W)``: ``(N, T - 1, 3, H, W)``."""
    if clips.ndim != 5 or clips.shape[1] < 2:
        raise ValueError(f"clips must be (N, T, C, H, W) with T >= 2, got {tuple(clips.shape)}")
    return clips[:, 1:] - clips[:, :-1]
