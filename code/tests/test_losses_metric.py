"""reidlab.losses.metric against a pair-by-pair version of Hadsell et al.'s formula."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.losses.metric import contrastive_grad, contrastive_loss


def brute_force(d: list[float], same: list[bool], margin: float) -> list[float]:
    return [0.5 * x * x if s else 0.5 * max(0.0, margin - x) ** 2 for x, s in zip(d, same, strict=True)]


@pytest.mark.parametrize("margin", [0.3, 1.0, 2.5])
def test_matches_brute_force_and_autograd(margin):
    g = torch.Generator().manual_seed(0)
    d = (torch.rand(200, generator=g, dtype=torch.float64) * 3).requires_grad_(True)
    same = torch.rand(200, generator=g) < 0.4
    per_pair = contrastive_loss(d, same, margin, reduction="none")
    ref = brute_force(d.tolist(), same.tolist(), margin)
    assert per_pair.tolist() == pytest.approx(ref, abs=1e-12)
    assert contrastive_loss(d, same, margin).item() == pytest.approx(sum(ref) / 200)
    assert contrastive_loss(d, same, margin, "sum").item() == pytest.approx(sum(ref))
    (grad,) = torch.autograd.grad(per_pair.sum(), d)
    torch.testing.assert_close(grad, contrastive_grad(d.detach(), same, margin))


def test_edge_cases_at_zero_and_at_the_margin():
    d = torch.tensor([0.0, 0.0, 1.0, 1.0, 5.0])
    same = torch.tensor([True, False, True, False, False])
    assert contrastive_loss(d, same, 1.0, "none").tolist() == [0.0, 0.5, 0.5, 0.0, 0.0]
    assert contrastive_grad(d, same, 1.0).tolist() == [0.0, -1.0, 1.0, 0.0, 0.0]


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 10), st.floats(0.01, 5), st.booleans())
def test_properties(d, margin, same):
    t, s = torch.tensor([d], dtype=torch.float64), torch.tensor([same])
    loss, grad = contrastive_loss(t, s, margin).item(), contrastive_grad(t, s, margin).item()
    assert loss >= 0 and math.isfinite(loss)
    if same:
        assert grad >= 0  # positive pairs are only ever pulled together
    else:
        assert grad <= 0 and (loss == 0) == (d >= margin)  # negatives pushed until the margin


@pytest.mark.parametrize(
    ("d", "same", "margin", "error", "message"),
    [
        (torch.tensor([0.5]), torch.tensor([1]), 1.0, TypeError, "same must be a bool tensor"),
        (torch.tensor([0.5, 0.2]), torch.tensor([True]), 1.0, ValueError, "one entry per distance"),
        (torch.tensor([-0.5]), torch.tensor([True]), 1.0, ValueError, "never negative"),
        (torch.tensor([float("nan")]), torch.tensor([True]), 1.0, ValueError, "NaN"),
        (torch.tensor([0.5]), torch.tensor([True]), 0.0, ValueError, "margin must be positive"),
        (torch.tensor([[0.5]]), torch.tensor([[True]]), 1.0, ValueError, "d must be 1-D"),
        (torch.tensor([1]), torch.tensor([True]), 1.0, TypeError, "floating-point"),
    ],
)
def test_bad_input(d, same, margin, error, message):
    with pytest.raises(error, match=message):
        contrastive_loss(d, same, margin)
