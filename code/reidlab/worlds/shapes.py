"""Labelled toy shapes for InfoGAN: three kinds (circle, square, triangle), 16 x 16 pixels, with two
continuous true factors, scale and rotation (chapter *InfoGAN*)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from reidlab.worlds.images import shape_image

KINDS = ("circle", "square", "triangle")  # clearly different at 16 px (a hexagon is not)
CIRCLE = KINDS.index("circle")  # rotation means nothing for a circle
FACTORS = ("scale", "rotation")


@dataclass(frozen=True)
class Shapes:
    """``images`` ``(N, 1, S, S)`` in [0, 1]; ``kinds`` ``(N,)`` (index into :data:`KINDS`);
    ``scale`` and ``rotation`` (degrees) ``(N,)``: the true factors."""

    images: torch.Tensor
    kinds: torch.Tensor
    scale: torch.Tensor
    rotation: torch.Tensor


def make_shapes(
    n: int,
    size: int = 16,
    scale_range: tuple[float, float] = (0.75, 1.0),
    max_rotation: float = 15.0,
    seed: int = 0,
) -> Shapes:
    """``n`` centred shapes, the kinds in turn, scale and rotation uniform at random. A rotation of
    at most 15 degrees either way stays far from every kind's symmetry (square 90, triangle 120),
    so each image has one true angle."""
    if n < 1 or size < 8:
        raise ValueError(f"n must be positive and size at least 8, got n={n}, size={size}")
    if not 0 < scale_range[0] <= scale_range[1] or not 0 <= max_rotation < 45:
        raise ValueError("scale_range must be positive and ordered, max_rotation in [0, 45)")
    g = torch.Generator().manual_seed(seed)
    kinds = torch.arange(n) % len(KINDS)
    scale = scale_range[0] + (scale_range[1] - scale_range[0]) * torch.rand(n, generator=g)
    rotation = max_rotation * (2 * torch.rand(n, generator=g) - 1)
    images = torch.stack(
        [
            shape_image(KINDS[k], size, scale=s, rotation=r)
            for k, s, r in zip(kinds.tolist(), scale.tolist(), rotation.tolist(), strict=True)
        ]
    )
    return Shapes(images.unsqueeze(1), kinds, scale, rotation)


# --- the networks ----------------------------------------------------------------------------
