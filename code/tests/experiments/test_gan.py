"""reidlab.experiments.gan: the 1-D mixture, the earth mover's distance, and the training loop's behaviour."""

from __future__ import annotations

import pytest
import torch
from scipy.stats import wasserstein_distance

from reidlab.experiments.gan import Mixture, fit_discriminator, train_gan_1d, wasserstein_1d
from reidlab.losses.adversarial import optimal_discriminator


def test_mixture_samples_follow_its_density() -> None:
    mix = Mixture((-2.0, 1.0), (0.5, 0.3), (1.0, 3.0))
    x = mix.sample(40_000, torch.Generator().manual_seed(0))[:, 0]
    assert x.shape == (40_000,)
    assert (x > -0.5).double().mean().item() == pytest.approx(0.75, abs=0.01)
    grid = torch.linspace(-8, 8, 4001, dtype=torch.float64)
    assert (mix.density(grid).sum() * (grid[1] - grid[0])).item() == pytest.approx(1.0, abs=1e-6)


def test_wasserstein_matches_scipy() -> None:
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(500, generator=g), 2 + 0.5 * torch.randn(500, generator=g)
    assert wasserstein_1d(a, b) == pytest.approx(wasserstein_distance(a.numpy(), b.numpy()), rel=1e-5)
    assert wasserstein_1d(a, a) == 0.0
    with pytest.raises(ValueError, match="one size"):
        wasserstein_1d(a, b[:10])


def test_fitted_discriminator_approaches_the_optimal_one() -> None:
    data, fake = Mixture((1.0,), (0.7,)), Mixture((-0.5,), (1.0,))
    disc = fit_discriminator(data, fake, steps=1500, seed=0)
    x = torch.linspace(-2.5, 3.0, 200, dtype=torch.float64)
    with torch.no_grad():
        d = torch.sigmoid(disc(x[:, None].float())).double()
    assert (d - optimal_discriminator(data.density(x), fake.density(x))).abs().max() < 0.05


def test_training_is_deterministic_and_non_saturating_reaches_the_data() -> None:
    data = Mixture((2.0,), (0.5,))
    runs = [train_gan_1d(data, steps=150, head_start=100, snapshot_at=(0, 150), seed=3) for _ in range(2)]
    assert torch.equal(runs[0].snapshots[-1].samples, runs[1].snapshots[-1].samples)
    real = data.sample(2000, torch.Generator().manual_seed(9))[:, 0]
    before, after = (wasserstein_1d(s.samples, real) for s in runs[0].snapshots)
    assert before > 1.5 and after < 0.6


def test_saturating_generator_stalls_behind_a_winning_discriminator() -> None:
    data = Mixture((2.0,), (0.5,))
    kw = dict(steps=60, head_start=300, d_steps=2, snapshot_at=(60,), seed=1)
    stalled = train_gan_1d(data, form="saturating", **kw).snapshots[-1]
    moving = train_gan_1d(data, form="non-saturating", **kw).snapshots[-1]
    assert stalled.d_on_fakes < 0.02 and stalled.samples.mean() < 0.5
    assert moving.samples.mean() > 1.5


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="stds must be positive"):
        Mixture((0.0,), (0.0,))
    with pytest.raises(ValueError, match="one length"):
        Mixture((0.0, 1.0), (1.0,))
    with pytest.raises(ValueError, match="form must be one of"):
        train_gan_1d(Mixture((0.0,), (1.0,)), form="minimax")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="snapshot_at"):
        train_gan_1d(Mixture((0.0,), (1.0,)), steps=5, snapshot_at=(6,))


def test_figures_draw_and_check_their_arguments() -> None:
    from reidlab.figures.gan import final_samples, optimal_discriminator_check
    from reidlab.plots import to_svg

    data, fake = Mixture((1.0,), (0.7,)), Mixture((-0.5,), (1.0,))
    x = torch.linspace(-6, 6, 241, dtype=torch.float64)
    p, q = data.density(x), fake.density(x)
    d = optimal_discriminator(p, q)
    svg = to_svg(optimal_discriminator_check(x, p, q, d, d, (p + q) > 0.05))
    assert "few samples" in svg and "D(x)" in svg
    with pytest.raises(ValueError, match="sampled must be a boolean mask"):
        optimal_discriminator_check(x, p, q, d, d, (p + q)[:10] > 0.05)
    run = train_gan_1d(Mixture((-2.0, 2.0), (0.4, 0.4)), steps=5, snapshot_at=(5,), seed=0)
    svg = to_svg(final_samples(data, {"plain steps": [run, run]}, seeds=[100, 101]))
    assert "seed 101" in svg and "D(x), density" in svg
    with pytest.raises(ValueError, match="seeds must name"):
        final_samples(data, {"plain steps": [run, run]}, seeds=[100])
