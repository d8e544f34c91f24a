"""Seeded grey images: a test scene with every kind of structure, shifted bars (an ambiguity no
model can resolve), and anti-aliased shapes (chapters *L1, L2, Huber and SSIM* and *Image feature
vectors*)."""

from __future__ import annotations

import math

import torch


def scene(size: int = 64, seed: int = 0) -> torch.Tensor:
    """A grey test image ``(1, size, size)`` in [0, 1]: a smooth gradient, a few flat rectangles
    and discs with sharp edges, and a patch of fine stripes; enough of each kind of structure
    for losses to disagree about (chapter *L1, L2, Huber and SSIM*)."""
    g = torch.Generator().manual_seed(seed)
    u = torch.linspace(0, 1, size)
    yy, xx = torch.meshgrid(u, u, indexing="ij")
    angle = 2 * torch.pi * torch.rand(1, generator=g)
    img = 0.3 + 0.3 * (xx * torch.cos(angle) + yy * torch.sin(angle))
    for _ in range(4):
        x0, y0 = torch.rand(2, generator=g) * 0.8
        w, h = 0.1 + 0.3 * torch.rand(2, generator=g)
        inside = (xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)
        img = torch.where(inside, torch.rand(1, generator=g), img)
    for _ in range(3):
        cx, cy = torch.rand(2, generator=g)
        rad = 0.05 + 0.15 * torch.rand(1, generator=g)
        img = torch.where((xx - cx) ** 2 + (yy - cy) ** 2 < rad**2, torch.rand(1, generator=g), img)
    sx, sy = torch.rand(2, generator=g) * 0.6
    patch = (xx >= sx) & (xx < sx + 0.35) & (yy >= sy) & (yy < sy + 0.35)
    stripes = 0.5 + 0.4 * torch.sin(2 * torch.pi * xx * size / 6)
    img = torch.where(patch, stripes, img)
    return img.clamp(0, 1).unsqueeze(0)


def shifted_bars(
    n: int = 256, size: int = 24, shift: int = 3, p_left: float = 0.6, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs: a vertical bar at a random column. Targets: the same bar moved ``shift`` pixels
    left (probability ``p_left``) or right: an ambiguity no model can resolve, which shows
    what each loss predicts when unsure (chapter *L1, L2, Huber and SSIM*). ``(n, 1, size, size)`` each."""
    g = torch.Generator().manual_seed(seed)
    cols = torch.randint(shift + 2, size - shift - 3, (n,), generator=g)
    left = torch.rand(n, generator=g) < p_left
    target_cols = torch.where(left, cols - shift, cols + shift)
    grid = torch.arange(size)

    def bars(c: torch.Tensor) -> torch.Tensor:
        on_col = (grid[None, :] >= c[:, None]) & (grid[None, :] < c[:, None] + 2)  # (n, W): 2 px wide
        on_row = (grid >= size // 4) & (grid < 3 * size // 4)  # (H,)
        return (on_row[None, :, None] & on_col[:, None, :]).float().unsqueeze(1)

    return bars(cols), bars(target_cols)


SHAPES: dict[str, list[tuple[float, float]]] = {
    # convex outlines as (x, y) corners on a unit scale, centred on the origin
    "trapezoid": [(-0.8, 0.5), (0.8, 0.5), (0.45, -0.5), (-0.45, -0.5)],
    "square": [(-0.6, -0.6), (0.6, -0.6), (0.6, 0.6), (-0.6, 0.6)],
    "triangle": [(0.0, -0.7), (0.7, 0.5), (-0.7, 0.5)],
    "hexagon": [(0.7 * math.cos(k * math.pi / 3), 0.7 * math.sin(k * math.pi / 3)) for k in range(6)],
}


def shape_image(
    kind: str,
    size: int = 64,
    scale: float = 1.0,
    rotation: float = 0.0,
    offset: tuple[float, float] = (0.0, 0.0),
    noise: float = 0.0,
    seed: int = 0,
) -> torch.Tensor:
    """A bright shape on a dark background, ``(size, size)`` in [0, 1], edges anti-aliased
    (4 x 4 samples a pixel). ``kind``: ``"circle"`` or a key of :data:`SHAPES`; ``scale``
    relative to half the image; ``rotation`` in degrees; ``offset`` in pixels (x, y); ``noise``:
    the standard deviation of added Gaussian noise (chapter on image feature vectors)."""
    if kind != "circle" and kind not in SHAPES:
        raise ValueError(f"kind must be 'circle' or one of {list(SHAPES)}, got {kind!r}")
    if size < 4 or scale <= 0:
        raise ValueError("size must be at least 4 and scale positive")
    sub = 4
    u = (torch.arange(size * sub, dtype=torch.float64) + 0.5) / sub  # sample positions in pixels
    yy, xx = torch.meshgrid(u, u, indexing="ij")
    half = size / 2
    x = (xx - half - offset[0]) / (half * scale)
    y = (yy - half - offset[1]) / (half * scale)
    t = math.radians(rotation)
    x, y = x * math.cos(t) + y * math.sin(t), -x * math.sin(t) + y * math.cos(t)  # rotate the frame
    if kind == "circle":
        inside = x**2 + y**2 <= 0.6**2
    else:
        corners = SHAPES[kind]
        inside = torch.ones_like(x, dtype=torch.bool)
        for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
            cross = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)  # which side of each edge
            inside &= cross >= 0 if _clockwise(corners) else cross <= 0
    img = inside.double().view(size, sub, size, sub).mean(dim=(1, 3)).float()
    if noise > 0:
        img = img + noise * torch.randn(img.shape, generator=torch.Generator().manual_seed(seed))
    return img.clamp(0, 1)


def _clockwise(corners: list[tuple[float, float]]) -> bool:
    area = sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True)
    )
    return area > 0


def shape_set(
    n_per_kind: int = 8,
    size: int = 64,
    max_rotation: float = 30.0,
    max_shift: float = 6.0,
    scale_range: tuple[float, float] = (0.75, 1.05),
    noise: float = 0.05,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images of every kind of shape, each drawn ``n_per_kind`` times with a random rotation
    (up to ``max_rotation`` degrees either way), shift, scale and noise: ``(N, size, size)``
    images and ``(N,)`` labels (index into ``["circle", *SHAPES]``)."""
    kinds = ["circle", *SHAPES]
    g = torch.Generator().manual_seed(seed)
    images, labels = [], []
    for label, kind in enumerate(kinds):
        for i in range(n_per_kind):
            rot, dx, dy, sc = torch.rand(4, generator=g).tolist()
            images.append(
                shape_image(
                    kind,
                    size,
                    scale=scale_range[0] + sc * (scale_range[1] - scale_range[0]),
                    rotation=(2 * rot - 1) * max_rotation,
                    offset=((2 * dx - 1) * max_shift, (2 * dy - 1) * max_shift),
                    noise=noise,
                    seed=seed * 1000 + label * 100 + i,
                )
            )
            labels.append(label)
    return torch.stack(images), torch.tensor(labels)
