"""reidlab.worlds.shapes: labelled shapes carry their true factors."""

from __future__ import annotations

import pytest
import torch

from reidlab.worlds.shapes import KINDS, make_shapes


def test_shapes_carry_their_factors() -> None:
    data = make_shapes(30, seed=2)
    assert data.images.shape == (30, 1, 16, 16)
    assert data.kinds.tolist() == [i % len(KINDS) for i in range(30)]
    assert ((data.scale >= 0.75) & (data.scale <= 1.0)).all()
    assert data.rotation.abs().max() <= 15.0
    big, small = data.scale.argmax(), data.scale.argmin()
    if data.kinds[big] == data.kinds[small]:  # same kind: the bigger one has more bright pixels
        assert data.images[big].sum() > data.images[small].sum()
    assert torch.equal(make_shapes(30, seed=2).images, data.images)
    with pytest.raises(ValueError, match="max_rotation"):
        make_shapes(3, max_rotation=60)
