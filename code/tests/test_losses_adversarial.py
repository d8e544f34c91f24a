"""reidlab.losses.adversarial against PyTorch's binary cross-entropy, autograd and closed forms."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.losses.adversarial import (
    discriminator_loss,
    generator_logit_gradient,
    generator_loss,
    info_loss,
    jensen_shannon,
    mutual_information_bound,
    optimal_discriminator,
    optimal_value,
    value,
)


def _logits(seed: int, n: int, scale: float = 3.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(n, generator=g, dtype=torch.float64)).requires_grad_(True)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_real=st.integers(1, 40), n_fake=st.integers(1, 40))
def test_discriminator_loss_equals_pytorch_in_value_and_gradient(seed: int, n_real: int, n_fake: int) -> None:
    real, fake = _logits(seed, n_real), _logits(seed + 1, n_fake)
    ours = discriminator_loss(real, fake)
    theirs = F.binary_cross_entropy_with_logits(
        real, torch.ones_like(real)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    torch.testing.assert_close(ours, theirs)
    g_ours = torch.autograd.grad(ours, (real, fake))
    g_theirs = torch.autograd.grad(theirs, (real, fake))
    for a, b in zip(g_ours, g_theirs, strict=True):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(value(real, fake), -theirs)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40))
def test_generator_losses_equal_pytorch_in_value_and_gradient(seed: int, n: int) -> None:
    fake = _logits(seed, n)
    forms = {
        "saturating": -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)),
        "non-saturating": F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake)),
    }
    for form, theirs in forms.items():
        ours = generator_loss(fake, form)
        torch.testing.assert_close(ours, theirs)
        torch.testing.assert_close(torch.autograd.grad(ours, fake)[0], torch.autograd.grad(theirs, fake)[0])


def test_the_saturating_loss_is_the_minimax_term() -> None:
    """E[log(1 - D(G(z)))]: the fake half of V, written with probabilities."""
    fake = torch.tensor([-3.0, 0.0, 2.5], dtype=torch.float64)
    d = torch.sigmoid(fake)
    torch.testing.assert_close(generator_loss(fake, "saturating"), torch.log(1 - d).mean())
    torch.testing.assert_close(generator_loss(fake, "non-saturating"), -torch.log(d).mean())


@pytest.mark.parametrize("form", ["saturating", "non-saturating"])
def test_logit_gradient_is_autograd_per_sample(form: str) -> None:
    s = torch.linspace(-12, 12, 97, dtype=torch.float64).requires_grad_(True)
    (grad,) = torch.autograd.grad(generator_loss(s, form) * len(s), s)  # undo the batch mean
    torch.testing.assert_close(generator_logit_gradient(torch.sigmoid(s.detach()), form), grad)


def test_saturating_gradient_vanishes_when_the_discriminator_wins() -> None:
    d = torch.tensor([1e-4])
    assert generator_logit_gradient(d, "saturating").abs().item() < 1e-3
    assert generator_logit_gradient(d, "non-saturating").abs().item() > 0.999


def test_losses_are_finite_for_huge_logits() -> None:
    s = torch.tensor([-1e4, 1e4])
    assert torch.isfinite(discriminator_loss(s, s))
    for form in ("saturating", "non-saturating"):
        assert torch.isfinite(generator_loss(s, form))


def test_optimal_discriminator_and_value() -> None:
    x = torch.linspace(-10, 10, 20_001, dtype=torch.float64)
    dx = float(x[1] - x[0])

    def normal(mu: float, sd: float) -> torch.Tensor:
        return torch.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))

    p, q = normal(0, 1), normal(1.5, 0.7)
    torch.testing.assert_close(optimal_discriminator(p, p), torch.full_like(p, 0.5))
    assert optimal_value(p, p, dx).item() == pytest.approx(-math.log(4), abs=1e-9)  # p_g = p_data
    torch.testing.assert_close(optimal_value(p, q, dx), -math.log(4) + 2 * jensen_shannon(p, q, dx))
    far = normal(9.0, 0.1) * 0 + (x > 5).double() * (x <= 6).double()  # disjoint supports
    near = (x > -6).double() * (x <= -5).double()
    assert jensen_shannon(far, near, dx).item() == pytest.approx(math.log(2), abs=1e-3)
    assert optimal_discriminator(torch.zeros(2), torch.zeros(2)).tolist() == [0.5, 0.5]


def test_optimal_discriminator_beats_any_other_on_the_value() -> None:
    """V(D, G) is largest at D*: perturbing D* lowers it."""
    x = torch.linspace(-8, 8, 4001, dtype=torch.float64)
    p = torch.exp(-0.5 * x**2)
    q = torch.exp(-0.5 * (x - 1) ** 2)
    d = optimal_discriminator(p, q)
    best = (torch.xlogy(p, d) + torch.xlogy(q, 1 - d)).sum()
    for shift in (-0.05, 0.05):
        other = (d + shift).clamp(1e-6, 1 - 1e-6)
        assert (torch.xlogy(p, other) + torch.xlogy(q, 1 - other)).sum() < best


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), k=st.integers(2, 10), m=st.integers(1, 4))
def test_info_loss_is_cross_entropy_plus_gaussian_nll(seed: int, n: int, k: int, m: int) -> None:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=g, dtype=torch.float64)
    codes = torch.randint(k, (n,), generator=g)
    mean = torch.randn(n, m, generator=g, dtype=torch.float64)
    cont = 2 * torch.rand(n, m, generator=g, dtype=torch.float64) - 1
    var = torch.full_like(mean, 0.5**2)
    theirs = F.cross_entropy(logits, codes) + m * F.gaussian_nll_loss(mean, cont, var, full=True)
    torch.testing.assert_close(info_loss(logits, codes, mean, cont, cont_std=0.5), theirs)
    torch.testing.assert_close(info_loss(logits, codes), F.cross_entropy(logits, codes))


def test_mutual_information_bound_runs_from_zero_to_log_k() -> None:
    codes = torch.arange(4).repeat(5)
    blind = torch.zeros(20, 4)  # Q cannot tell: bound 0
    sure = 50 * F.one_hot(codes, 4).float()  # Q reads every code: bound log 4
    assert mutual_information_bound(blind, codes).item() == pytest.approx(0.0, abs=1e-6)
    assert mutual_information_bound(sure, codes).item() == pytest.approx(math.log(4), abs=1e-6)


def test_bad_inputs_name_the_argument() -> None:
    ok = torch.zeros(3)
    with pytest.raises(ValueError, match="real_logits is empty"):
        discriminator_loss(torch.zeros(0), ok)
    with pytest.raises(ValueError, match="fake_logits contains NaN"):
        discriminator_loss(ok, torch.tensor([float("nan")]))
    with pytest.raises(ValueError, match="form must be one of"):
        generator_loss(ok, "minimax")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="d_fake"):
        generator_logit_gradient(torch.tensor([1.5]))
    with pytest.raises(ValueError, match="p_data"):
        optimal_discriminator(torch.ones(3), torch.ones(2))
    with pytest.raises(ValueError, match="non-negative"):
        optimal_discriminator(-torch.ones(2), torch.ones(2))
    with pytest.raises(TypeError, match="cat_codes"):
        info_loss(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(ValueError, match="cat_codes must have shape"):
        info_loss(torch.zeros(3, 2), torch.zeros(2, dtype=torch.int64))
    with pytest.raises(ValueError, match="cont_codes must have the shape"):
        info_loss(None, None, torch.zeros(3, 2), torch.zeros(3, 1))
    with pytest.raises(ValueError, match="both cat_logits and cat_codes"):
        info_loss(torch.zeros(3, 2), None)
    with pytest.raises(ValueError, match="needs a categorical or a continuous"):
        info_loss(None, None)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), scale=st.sampled_from([0.1, 3.0, 30.0]))
def test_losses_are_the_packages_bce_bit_for_bit(seed: int, n: int, scale: float) -> None:
    """The module's shortcut (one softplus term per label) is the package's written-out BCE."""
    from reidlab.losses.classification import binary_cross_entropy_with_logits as bce

    real, fake = _logits(seed, n, scale).detach(), _logits(seed + 1, n, scale).detach()
    ones, zeros = torch.ones_like(real), torch.zeros_like(fake)
    assert torch.equal(discriminator_loss(real, fake), bce(real, ones) + bce(fake, zeros))
    assert torch.equal(generator_loss(fake, "non-saturating"), bce(fake, ones))
    assert torch.equal(generator_loss(fake, "saturating"), -bce(fake, zeros))
