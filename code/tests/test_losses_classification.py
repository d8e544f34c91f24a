"""reidlab.losses.classification against PyTorch's functions and autograd."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.losses.classification import (
    MARGIN_LOSSES,
    binary_cross_entropy_with_logits,
    cross_entropy,
    margin_loss,
    margins,
)

M = torch.linspace(-6, 6, 241, dtype=torch.float64)


@pytest.mark.parametrize("name", [n for n in MARGIN_LOSSES if n != "0-1"])
def test_weight_is_the_derivative(name: str) -> None:
    """The closed-form weight |l'(m)| equals autograd's derivative (away from hinge kinks)."""
    m = M[(M - 1).abs() > 1e-6].clone().requires_grad_(True)
    ell = MARGIN_LOSSES[name]
    (grad,) = torch.autograd.grad(ell(m).sum(), m)
    torch.testing.assert_close(ell.weight(m.detach()), grad.abs())


def test_known_values() -> None:
    m = torch.tensor([-2.0, 0.0, 0.5, 2.0], dtype=torch.float64)
    torch.testing.assert_close(margin_loss("logistic")(m), torch.log1p(torch.exp(-m)))
    torch.testing.assert_close(margin_loss("exponential")(m), torch.exp(-m))
    torch.testing.assert_close(
        margin_loss("hinge")(m), torch.tensor([3.0, 1.0, 0.5, 0.0], dtype=torch.float64)
    )
    torch.testing.assert_close(margin_loss("squared error")(m), (1 - m) ** 2)
    torch.testing.assert_close(margin_loss("savage")(m), 1 / (1 + torch.exp(2 * m)) ** 2)
    assert margin_loss("0-1")(m).tolist() == [1.0, 1.0, 0.0, 0.0]


def test_logistic_is_stable_for_huge_margins() -> None:
    m = torch.tensor([-1000.0, 1000.0])
    assert torch.isfinite(margin_loss("logistic")(m)).all()
    assert margin_loss("logistic")(m)[0] == pytest.approx(1000.0)


def test_bounded_losses_have_vanishing_weight_for_outliers_and_convex_ones_do_not() -> None:
    far = torch.tensor([-20.0])
    for name, ell in MARGIN_LOSSES.items():
        if name == "0-1":
            continue
        if ell.bounded:
            assert ell.weight(far).item() < 1e-6, name
        else:
            assert ell.weight(far).item() >= 1.0, name
    assert margin_loss("exponential").weight(far).item() > 1e8  # the explosion the diary worried about


@settings(max_examples=100, deadline=None)
@given(st.floats(-30, 30), st.floats(-30, 30))
def test_margin_losses_never_increase_with_the_margin_below_one(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    if hi > 1:
        return
    for name, ell in MARGIN_LOSSES.items():
        la, lb = ell(torch.tensor([lo], dtype=torch.float64)), ell(torch.tensor([hi], dtype=torch.float64))
        assert la.item() >= lb.item() - 1e-12, name


def test_margins_and_bad_labels() -> None:
    assert margins(torch.tensor([2.0, -1.0]), torch.tensor([-1, 1])).tolist() == [-2.0, -1.0]
    with pytest.raises(ValueError, match="labels must be -1 or \\+1"):
        margins(torch.tensor([1.0, 2.0]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="labels must be a tensor of shape"):
        margins(torch.tensor([1.0, 2.0]), torch.tensor([1]))
    with pytest.raises(ValueError, match="name must be one of"):
        margin_loss("focal")


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_torch(smoothing: float, weighted: bool) -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 7, generator=g, dtype=torch.float64) * 3
    target = torch.randint(7, (64,), generator=g)
    weight = torch.rand(7, generator=g, dtype=torch.float64) + 0.1 if weighted else None
    ours = cross_entropy(logits, target, weight=weight, label_smoothing=smoothing)
    ref = F.cross_entropy(logits, target, weight=weight, label_smoothing=smoothing)
    torch.testing.assert_close(ours, ref)
    # and gradients
    a, b = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
    cross_entropy(a, target, weight=weight, label_smoothing=smoothing).backward()
    F.cross_entropy(b, target, weight=weight, label_smoothing=smoothing).backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_cross_entropy_survives_huge_logits() -> None:
    logits = torch.tensor([[1000.0, -1000.0, 0.0]])
    assert torch.isfinite(cross_entropy(logits, torch.tensor([1])))
    torch.testing.assert_close(
        cross_entropy(logits, torch.tensor([1])), F.cross_entropy(logits, torch.tensor([1]))
    )


@pytest.mark.parametrize("pos_weight", [None, 3.0])
def test_binary_cross_entropy_matches_torch(pos_weight: float | None) -> None:
    g = torch.Generator().manual_seed(1)
    z = torch.randn(100, generator=g, dtype=torch.float64) * 10
    t = torch.rand(100, generator=g, dtype=torch.float64).round()
    pw = None if pos_weight is None else torch.tensor(pos_weight, dtype=torch.float64)
    torch.testing.assert_close(
        binary_cross_entropy_with_logits(z, t, pos_weight=pos_weight),
        F.binary_cross_entropy_with_logits(z, t, pos_weight=pw),
    )


def test_binary_cross_entropy_gradients_pass_gradcheck() -> None:
    g = torch.Generator().manual_seed(3)
    z = (3 * torch.randn(12, generator=g, dtype=torch.float64)).requires_grad_()
    t = torch.rand(12, generator=g, dtype=torch.float64).requires_grad_()  # soft targets in (0, 1)
    assert torch.autograd.gradcheck(
        lambda z, t: binary_cross_entropy_with_logits(z, t, pos_weight=2.0), (z, t)
    )


def test_binary_cross_entropy_is_the_logistic_margin_loss() -> None:
    z = torch.linspace(-5, 5, 11, dtype=torch.float64)
    t = (torch.arange(11) % 2).double()
    y = 2 * t - 1
    torch.testing.assert_close(binary_cross_entropy_with_logits(z, t), margin_loss("logistic")(y * z).mean())


@pytest.mark.parametrize(
    ("logits", "target", "error", "match"),
    [
        (torch.randn(4, 3), torch.tensor([0, 1, 2]), ValueError, "target must have shape \\(4,\\)"),
        (torch.randn(3, 3), torch.tensor([0, 1, 3]), ValueError, "outside 0..2"),
        (torch.randn(3, 3), torch.tensor([0, -1, 2]), ValueError, "outside 0..2"),
        (torch.randn(3, 3), torch.tensor([0.0, 1.0, 2.0]), TypeError, "integer tensor"),
        (torch.tensor([[float("nan"), 0.0]]), torch.tensor([0]), ValueError, "logits contains NaN"),
        (torch.randn(0, 3), torch.zeros(0, dtype=torch.int64), ValueError, "logits is empty"),
        (torch.randn(3), torch.tensor([0, 1, 2]), ValueError, "logits must be 2-D"),
    ],
)
def test_cross_entropy_rejects_bad_input(logits, target, error, match) -> None:
    with pytest.raises(error, match=match):
        cross_entropy(logits, target)


def test_cross_entropy_rejects_bad_options() -> None:
    logits, target = torch.randn(2, 3), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="label_smoothing"):
        cross_entropy(logits, target, label_smoothing=1.5)
    with pytest.raises(ValueError, match="one entry per class"):
        cross_entropy(logits, target, weight=torch.ones(4))


def test_binary_cross_entropy_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="shape of logits"):
        binary_cross_entropy_with_logits(torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match="lie in \\[0, 1\\]"):
        binary_cross_entropy_with_logits(torch.zeros(2), torch.tensor([0.0, 2.0]))
