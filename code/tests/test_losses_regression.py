"""reidlab.losses.regression against torch.nn.functional."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.losses.regression import huber_loss, irls_weight, l1_loss, mse_loss


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [0.1, 1.0, 3.0])
def test_match_torch_values_and_gradients(reduction: str, delta: float) -> None:
    g = torch.Generator().manual_seed(0)
    pred = (torch.randn(6, 5, generator=g, dtype=torch.float64) * 3).requires_grad_(True)
    target = torch.randn(6, 5, generator=g, dtype=torch.float64)
    for ours, ref in (
        (l1_loss(pred, target, reduction), F.l1_loss(pred, target, reduction=reduction)),
        (mse_loss(pred, target, reduction), F.mse_loss(pred, target, reduction=reduction)),
        (
            huber_loss(pred, target, delta, reduction),
            F.huber_loss(pred, target, reduction=reduction, delta=delta),
        ),
    ):
        torch.testing.assert_close(ours, ref)
        (ga,) = torch.autograd.grad(ours.sum(), pred)
        (gb,) = torch.autograd.grad(ref.sum(), pred)
        torch.testing.assert_close(ga, gb)


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(0.01, 10))
def test_huber_sits_between_half_l2_and_delta_l1(r: float, delta: float) -> None:
    """rho_delta(r) <= r^2 / 2 always, and <= delta |r|: quadratic near 0, linear far out."""
    t = torch.tensor([r], dtype=torch.float64)
    h = huber_loss(t, torch.zeros_like(t), delta).item()
    assert h <= 0.5 * r * r + 1e-9 and h <= delta * abs(r) + 1e-9 and h >= 0


def test_irls_weights() -> None:
    r = torch.tensor([-4.0, -0.5, 0.0, 0.5, 4.0])
    assert irls_weight(r, "L2").tolist() == [1.0] * 5
    torch.testing.assert_close(irls_weight(r, "Huber", delta=1.0), torch.tensor([0.25, 1.0, 1.0, 1.0, 0.25]))
    assert (
        irls_weight(r, "L1")[0].item() == pytest.approx(0.25) and torch.isfinite(irls_weight(r, "L1")).all()
    )
    with pytest.raises(ValueError, match="loss must be"):
        irls_weight(r, "l3")


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same shape"):
        l1_loss(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="reduction must be"):
        mse_loss(torch.zeros(3), torch.zeros(3), reduction="max")
    with pytest.raises(ValueError, match="delta must be positive"):
        huber_loss(torch.zeros(3), torch.zeros(3), delta=0.0)
    with pytest.raises(ValueError, match="pred contains NaN"):
        l1_loss(torch.tensor([float("nan")]), torch.zeros(1))
    with pytest.raises(TypeError, match="target must have a floating"):
        l1_loss(torch.zeros(2), torch.zeros(2, dtype=torch.int64))
