"""reidlab.worlds.images: seeded grey images and shapes."""

from __future__ import annotations

import pytest
import torch


def test_scene_is_deterministic_and_in_range() -> None:
    from reidlab.worlds.images import scene

    a, b = scene(40, seed=7), scene(40, seed=7)
    assert a.shape == (1, 40, 40) and torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    assert not torch.equal(a, scene(40, seed=8)) and a.std() > 0.05


def test_shifted_bars() -> None:
    from reidlab.worlds.images import shifted_bars

    x, y = shifted_bars(n=500, size=24, shift=3, p_left=0.6, seed=0)
    cx, cy = x[:, 0, 12].argmax(-1), y[:, 0, 12].argmax(-1)
    assert set((cy - cx).tolist()) == {-3, 3}
    assert 0.5 < (cy < cx).float().mean().item() < 0.7
    assert x.sum(dim=(1, 2, 3)).unique().tolist() == [24.0]  # a 2 x 12 bar each


def test_shape_image() -> None:
    from reidlab.worlds.images import SHAPES, shape_image

    for kind in ["circle", *SHAPES]:
        img = shape_image(kind, 32)
        assert img.shape == (32, 32) and img.min() >= 0 and img.max() <= 1 and img.mean() > 0.1
    assert torch.equal(
        shape_image("square", 32, noise=0.1, seed=1), shape_image("square", 32, noise=0.1, seed=1)
    )
    small, big = shape_image("circle", 64, scale=0.5), shape_image("circle", 64, scale=1.0)
    assert big.sum() / small.sum() == pytest.approx(4.0, rel=0.05)  # area grows with scale^2
    moved = shape_image("circle", 64, offset=(8.0, 0.0))
    assert torch.allclose(moved[:, 8:], shape_image("circle", 64)[:, :-8])
    with pytest.raises(ValueError, match="kind must be"):
        shape_image("star")
