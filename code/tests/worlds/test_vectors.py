"""reidlab.worlds.vectors: seeded feature vectors and points."""

from __future__ import annotations

import pytest
import torch

from reidlab.worlds.vectors import scaled_gallery


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
    from reidlab.worlds.vectors import line_with_outliers

    x, y, out = line_with_outliers(n=10, n_outliers=3, offset=5.0, noise=0.0)
    assert x.shape == y.shape == out.shape == (13,) and out.sum() == 3
    assert torch.allclose(y[~out], 0.5 * x[~out] + 1)
    assert torch.allclose(y[out], 0.5 * x[out] + 6)
