r"""Hand-crafted image features: gradients, direction histograms, and HOG, batched in torch.

For the chapter *Image feature vectors: from gradient directions to HOG*. Two readings of the
diary's recipe (a global direction histogram, :func:`direction_histogram`, and one direction
per cell in reading order, :func:`cell_directions`) and HOG.

HOG, the histogram of oriented gradients (Dalal & Triggs, 2005), follows scikit-image's
definition so the two can be compared number for number. That is a simplified HOG: a pixel
votes into one orientation bin of one cell (Dalal and Triggs split each vote between the two
nearest bins and the four nearest cells), and a block's cells are not weighted by a Gaussian
window before normalisation:

1. gradients by central differences, :math:`g_r = I_{r+1,c} - I_{r-1,c}` and
   :math:`g_c = I_{r,c+1} - I_{r,c-1}`, zero on the image border;
2. magnitude :math:`\sqrt{g_r^2 + g_c^2}` and unsigned orientation
   :math:`\theta = \operatorname{atan2}(g_r, g_c) \bmod 180°`;
3. per cell of :math:`p \times p` pixels, a histogram of :math:`\theta` over ``orientations``
   equal bins, each pixel voting its magnitude into its bin, divided by the cell's pixel count;
4. blocks of :math:`b \times b` neighbouring cells (overlapping, stride one cell), each
   normalised by L2-Hys: :math:`v / \sqrt{\lVert v \rVert^2 + \epsilon^2}`, clip at 0.2,
   normalise again;
5. all blocks flattened into one vector.

Everything works on batches ``(N, H, W)`` of grey images at once. Left out: colour images
(use a grey version), signed orientations in HOG, and the gamma correction option.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from reidlab._checks import check_float_tensor

BlockNorm = Literal["L1", "L2", "L2-Hys"]


def _check_images(images: object, name: str = "images") -> torch.Tensor:
    images = check_float_tensor(images, name)
    if images.ndim == 2:
        images = images.unsqueeze(0)
    if images.ndim != 3:
        raise ValueError(
            f"{name} must be (H, W) or a batch (N, H, W) of grey images, got {tuple(images.shape)}"
        )
    return images


def gradients(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences along rows and columns, zero on the border: two ``(N, H, W)`` tensors."""
    images = _check_images(images)
    g_row = torch.zeros_like(images)
    g_col = torch.zeros_like(images)
    g_row[:, 1:-1, :] = images[:, 2:, :] - images[:, :-2, :]
    g_col[:, :, 1:-1] = images[:, :, 2:] - images[:, :, :-2]
    return g_row, g_col


def magnitude_orientation(
    g_row: torch.Tensor, g_col: torch.Tensor, signed: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Gradient magnitude and direction in degrees: :math:`[0, 180)` unsigned (an edge and its
    mirror image count alike), :math:`[0, 360)` signed."""
    magnitude = torch.hypot(g_row, g_col)
    orientation = torch.rad2deg(torch.atan2(g_row, g_col)) % (360.0 if signed else 180.0)
    return magnitude, orientation


def cell_histograms(
    images: torch.Tensor, pixels_per_cell: tuple[int, int] = (8, 8), orientations: int = 9
) -> torch.Tensor:
    """Per-cell orientation histograms ``(N, cells_r, cells_c, orientations)``; pixels beyond the
    last whole cell are ignored. Each cell's votes are divided by its pixel count."""
    images = _check_images(images)
    pr, pc = pixels_per_cell
    n, h, w = images.shape
    if pr < 1 or pc < 1 or h < pr or w < pc:
        raise ValueError(f"images of {h} x {w} cannot hold one cell of {pr} x {pc} pixels")
    if orientations < 1:
        raise ValueError(f"orientations must be at least 1, got {orientations}")
    magnitude, orientation = magnitude_orientation(*gradients(images))
    cr, cc = h // pr, w // pc
    magnitude = magnitude[:, : cr * pr, : cc * pc]
    orientation = orientation[:, : cr * pr, : cc * pc]
    # bin i holds [i, i+1) x 180/orientations degrees
    bins = torch.clamp((orientation * (orientations / 180.0)).long(), max=orientations - 1)  # (N, H', W')
    rows = torch.arange(cr * pr) // pr
    cols = torch.arange(cc * pc) // pc
    cell = (rows[:, None] * cc + cols[None, :]).flatten()  # (H'W',): each pixel's cell
    slot = (cell * orientations + bins.flatten(1)).reshape(n, -1)  # (N, H'W'): cell and bin
    hist = torch.zeros(n, cr * cc * orientations, dtype=images.dtype)
    hist.scatter_add_(1, slot, magnitude.reshape(n, -1))  # every pixel votes its magnitude
    return hist.view(n, cr, cc, orientations) / (pr * pc)


def normalize_blocks(
    hist: torch.Tensor,
    cells_per_block: tuple[int, int] = (2, 2),
    method: BlockNorm = "L2-Hys",
    eps: float = 1e-5,
) -> torch.Tensor:
    """Overlapping blocks of cells, each normalised: ``(N, blocks_r, blocks_c, b_r, b_c, o)``."""
    br, bc = cells_per_block
    cr, cc = hist.shape[1:3]
    if br < 1 or bc < 1 or cr < br or cc < bc:
        raise ValueError(f"{cr} x {cc} cells cannot hold one block of {br} x {bc} cells")
    blocks = hist.unfold(1, br, 1).unfold(2, bc, 1)  # (N, Br, Bc, o, br, bc)
    blocks = blocks.permute(0, 1, 2, 4, 5, 3)  # (N, Br, Bc, br, bc, o), cells in reading order
    dims = (3, 4, 5)
    if method == "L1":
        return blocks / (blocks.abs().sum(dims, keepdim=True) + eps)
    if method not in ("L2", "L2-Hys"):
        raise ValueError(f"method must be 'L1', 'L2' or 'L2-Hys', got {method!r}")
    out = blocks / torch.sqrt(blocks.pow(2).sum(dims, keepdim=True) + eps**2)
    if method == "L2-Hys":
        out = out.clamp(max=0.2)
        out = out / torch.sqrt(out.pow(2).sum(dims, keepdim=True) + eps**2)
    return out


def hog(
    images: torch.Tensor,
    orientations: int = 9,
    pixels_per_cell: tuple[int, int] = (8, 8),
    cells_per_block: tuple[int, int] = (2, 2),
    block_norm: BlockNorm = "L2-Hys",
) -> torch.Tensor:
    """HOG feature vectors ``(N, D)`` of a batch ``(N, H, W)`` (or one image ``(H, W)``), with
    the parameters of ``skimage.feature.hog`` and the same result."""
    hist = cell_histograms(images, pixels_per_cell, orientations)
    return normalize_blocks(hist, cells_per_block, block_norm).flatten(1)


def direction_histogram(
    images: torch.Tensor,
    bins: int = 8,
    relative_to_centre: bool = True,
    centre: tuple[float, float] | None = None,
) -> torch.Tensor:
    r"""The diary's feature: one histogram of gradient directions over the whole image, each
    pixel voting its gradient magnitude, normalised to sum 1: ``(N, bins)``. Bin k is centred
    on :math:`k \cdot 360° / \text{bins}`.

    With ``relative_to_centre`` the direction is measured against the direction from the
    ``centre`` (default: the image centre) to the pixel, so that 0° means "pointing straight
    outwards": a circle around the centre puts all its weight in one bin, and the histogram no
    longer changes when the shape is rotated about the centre. Without it, directions are
    absolute (:math:`[0, 360)`, signed): a circle spreads evenly over all bins, a polygon
    piles up in a few.
    """
    images = _check_images(images)
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    g_row, g_col = gradients(images)
    magnitude, direction = magnitude_orientation(g_row, g_col, signed=True)
    if relative_to_centre:
        direction = (direction - _radial(*images.shape[-2:], centre, images.dtype)) % 360.0
    width = 360.0 / bins  # bins centred on 0, width, 2 width, ... degrees
    idx = ((direction + width / 2) / width).long() % bins  # (N, H, W)
    hist = torch.zeros(images.shape[0], bins, dtype=images.dtype)
    hist.scatter_add_(1, idx.flatten(1), magnitude.flatten(1))
    total = hist.sum(dim=1, keepdim=True)
    return hist / torch.where(total > 0, total, torch.ones_like(total))


def _radial(h: int, w: int, centre: tuple[float, float] | None, dtype: torch.dtype) -> torch.Tensor:
    """``(H, W)``: the direction (degrees) from ``centre`` (default: the image centre) to each pixel."""
    cy, cx = centre if centre is not None else ((h - 1) / 2, (w - 1) / 2)
    rows = torch.arange(h, dtype=dtype).view(-1, 1) - cy
    cols = torch.arange(w, dtype=dtype).view(1, -1) - cx
    return torch.rad2deg(torch.atan2(rows, cols))


def cell_directions(
    images: torch.Tensor,
    cell: int = 8,
    relative_to_centre: bool = True,
    centre: tuple[float, float] | None = None,
) -> torch.Tensor:
    r"""The diary's recipe read literally: one gradient direction per cell, measured from the
    centre, with the cells kept in reading order: ``(N, 2 * cells)``.

    Each cell of ``cell`` x ``cell`` pixels gets the sum of its pixels' gradients as unit
    vectors weighted by magnitude, :math:`\sum_i m_i (\cos\phi_i, \sin\phi_i)`, where
    :math:`\phi_i` is the gradient direction relative to the line from the centre to the pixel
    (absolute with ``relative_to_centre=False``). Its direction is the cell's typical gradient
    direction and its length how strong and how consistent the edges in it are; an empty cell
    gives (0, 0). The whole vector is scaled to unit length, as :func:`direction_histogram` is
    scaled to sum 1, so that a change of contrast does not change it.
    """
    images = _check_images(images)
    n, h, w = images.shape
    if cell < 1 or h < cell or w < cell:
        raise ValueError(f"images of {h} x {w} cannot hold one cell of {cell} x {cell} pixels")
    magnitude, direction = magnitude_orientation(*gradients(images), signed=True)
    if relative_to_centre:
        direction = direction - _radial(h, w, centre, images.dtype)
    phi = torch.deg2rad(direction)
    vectors = torch.stack([magnitude * phi.cos(), magnitude * phi.sin()], dim=1)  # (N, 2, H, W)
    cr, cc = h // cell, w // cell
    vectors = vectors[:, :, : cr * cell, : cc * cell].reshape(n, 2, cr, cell, cc, cell)
    per_cell = vectors.sum(dim=(3, 5)).permute(0, 2, 3, 1).reshape(n, -1)  # (N, cells * 2), reading order
    norm = per_cell.norm(dim=1, keepdim=True)
    return per_cell / torch.where(norm > 0, norm, torch.ones_like(norm))


def hog_glyphs(hist: torch.Tensor, pixels_per_cell: tuple[int, int] = (8, 8)) -> torch.Tensor:
    """A picture of cell histograms ``(cells_r, cells_c, o)``: in every cell, a line through its
    centre for each orientation bin, as bright as the bin is full, drawn *along* the edge (at
    90° to the gradient). Returns an ``(H, W)`` image."""
    if hist.ndim != 3:
        raise ValueError(f"hist must be (cells_r, cells_c, orientations), got {tuple(hist.shape)}")
    cr, cc, o = hist.shape
    pr, pc = pixels_per_cell
    ys, xs = torch.meshgrid(
        torch.arange(pr, dtype=hist.dtype) - (pr - 1) / 2,
        torch.arange(pc, dtype=hist.dtype) - (pc - 1) / 2,
        indexing="ij",
    )
    radius = min(pr, pc) / 2
    stamps = []
    for i in range(o):
        theta = math.radians((i + 0.5) * 180.0 / o) + math.pi / 2  # along the edge
        dist = (xs * math.sin(theta) - ys * math.cos(theta)).abs()  # distance to the line
        stamps.append(((dist < 0.6) & (xs**2 + ys**2 <= radius**2)).to(hist.dtype))
    stamp = torch.stack(stamps)  # (o, pr, pc)
    cells = torch.einsum("rco,oyx->rycx", hist, stamp)  # (cells_r, pr, cells_c, pc)
    return cells.reshape(cr * pr, cc * pc)
