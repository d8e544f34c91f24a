"""reidlab.train: deterministic, model-agnostic, clear about bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from reidlab.train import train


def fit_line(seed: int, batch_size: int | None) -> tuple[list[float], torch.Tensor]:
    torch.manual_seed(seed)
    x = torch.linspace(-1, 1, 50)[:, None]
    y = 3 * x[:, 0] - 1
    model = nn.Linear(1, 1)
    hist = train(
        model,
        lambda m, a, b: (m(a)[:, 0] - b).pow(2).mean(),
        (x, y),
        steps=300,
        lr=0.1,
        batch_size=batch_size,
        seed=seed,
    )
    return hist, torch.cat([model.weight.flatten(), model.bias])


@pytest.mark.parametrize("batch_size", [None, 8])
def test_learns_and_is_deterministic(batch_size: int | None) -> None:
    h1, p1 = fit_line(0, batch_size)
    h2, p2 = fit_line(0, batch_size)
    assert h1 == h2 and torch.equal(p1, p2)
    assert h1[-1] < 1e-3 * h1[0]
    torch.testing.assert_close(p1, torch.tensor([3.0, -1.0]), atol=0.05, rtol=0)


def test_bad_input() -> None:
    model = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="share a non-empty first dimension"):
        train(model, lambda m, a, b: m(a).sum(), (torch.zeros(3, 1), torch.zeros(2)), steps=1)
    with pytest.raises(TypeError, match="tuple of tensors"):
        train(model, lambda m, a: m(a).sum(), ([1.0],), steps=1)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        train(model, lambda m, a: m(a).sum(), (torch.zeros(3, 1),), steps=0)
    with pytest.raises(FloatingPointError, match="the loss became"):
        train(model, lambda m, a: m(a).sum() * float("nan"), (torch.zeros(3, 1),), steps=2)
