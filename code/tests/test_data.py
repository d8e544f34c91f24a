"""reidlab.data: seeded synthetic data."""

from __future__ import annotations

import pytest
import torch

from reidlab.data import scaled_gallery


def test_scaled_gallery_shapes_and_determinism() -> None:
    a, b = scaled_gallery(n_ids=4, per_id=3, dim=8, seed=1), scaled_gallery(n_ids=4, per_id=3, dim=8, seed=1)
    assert a.features.shape == (12, 8) and a.ids.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert torch.equal(a.features, b.features)
    assert not torch.equal(a.features, scaled_gallery(n_ids=4, per_id=3, dim=8, seed=2).features)


def test_scaled_gallery_lengths_span_the_range_and_directions_cluster() -> None:
    g = scaled_gallery(n_ids=5, per_id=40, dim=32, spread=0.2, scale_range=(0.5, 4.0), seed=0)
    norms = g.features.norm(dim=1)
    assert norms.min() > 0.4 and norms.max() < 4.0 * 1.3 and norms.max() / norms.min() > 4
    unit = g.features / norms[:, None]
    cos = unit @ unit.T
    same = g.ids[:, None] == g.ids[None, :]
    assert cos[same].mean() > cos[~same].mean() + 0.5


@pytest.mark.parametrize(
    "kwargs", [{"n_ids": 0}, {"dim": 1}, {"scale_range": (0.0, 1.0)}, {"scale_range": (2.0, 1.0)}]
)
def test_scaled_gallery_rejects_bad_arguments(kwargs) -> None:
    with pytest.raises(ValueError):
        scaled_gallery(**kwargs)


def test_line_with_outliers() -> None:
    from reidlab.data import line_with_outliers

    x, y, out = line_with_outliers(n=10, n_outliers=3, offset=5.0, noise=0.0)
    assert x.shape == y.shape == out.shape == (13,) and out.sum() == 3
    assert torch.allclose(y[~out], 0.5 * x[~out] + 1)
    assert torch.allclose(y[out], 0.5 * x[out] + 6)


def test_scene_is_deterministic_and_in_range() -> None:
    from reidlab.data import scene

    a, b = scene(40, seed=7), scene(40, seed=7)
    assert a.shape == (1, 40, 40) and torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    assert not torch.equal(a, scene(40, seed=8)) and a.std() > 0.05


def test_shifted_bars() -> None:
    from reidlab.data import shifted_bars

    x, y = shifted_bars(n=500, size=24, shift=3, p_left=0.6, seed=0)
    cx, cy = x[:, 0, 12].argmax(-1), y[:, 0, 12].argmax(-1)
    assert set((cy - cx).tolist()) == {-3, 3}
    assert 0.5 < (cy < cx).float().mean().item() < 0.7
    assert x.sum(dim=(1, 2, 3)).unique().tolist() == [24.0]  # a 2 x 12 bar each


def test_shape_image() -> None:
    from reidlab.data import SHAPES, shape_image

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
