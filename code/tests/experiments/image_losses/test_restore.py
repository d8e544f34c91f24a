"""reidlab.experiments.image_losses.restore: what each loss teaches a model, and the evaluation helpers."""

from __future__ import annotations

import pytest
import torch

from reidlab.experiments.image_losses.restore import (
    Denoiser,
    add_noise,
    denoising_scores,
    psnr,
    train_denoiser,
    train_mapping,
)
from reidlab.worlds.images import scene, shifted_bars


def test_l2_predicts_the_mean_and_l1_the_median_under_ambiguity() -> None:
    inputs, targets = shifted_bars(n=256, p_left=0.7, seed=0)
    probe = shifted_bars(n=1, seed=5)[0]
    col = probe[0, 0, 12].argmax().item()  # the input bar's first column
    l2_model, l1_model = train_mapping("L2", inputs, targets), train_mapping("L1", inputs, targets)
    with torch.no_grad():
        l2, l1 = l2_model(probe)[0, 0, 12], l1_model(probe)[0, 0, 12]
    left, right = col - 3, col + 3
    assert 0.45 < l2[left].item() < 0.9 and 0.1 < l2[right].item() < 0.5  # both ghosts
    assert l1[left].item() > 0.85 and l1[right].abs().item() < 0.1  # one sharp bar


def test_denoiser_training_is_deterministic_and_helps() -> None:
    clean = torch.stack([scene(32, s) for s in range(4)])
    a = train_denoiser("L1", clean, steps=20)
    b = train_denoiser("L1", clean, steps=20)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    noisy_psnr, _ = denoising_scores(torch.nn.Identity(), clean)
    trained_psnr, _ = denoising_scores(train_denoiser("L2", clean, steps=120), clean)
    assert trained_psnr > noisy_psnr + 2


def test_psnr_and_noise() -> None:
    clean = torch.full((1, 1, 8, 8), 0.5)
    assert psnr(clean + 0.1, clean) == pytest.approx(20.0, abs=1e-4)
    noisy = add_noise(clean, 0.1, torch.Generator().manual_seed(0))
    assert noisy.min() >= 0 and noisy.max() <= 1 and not torch.equal(noisy, clean)
    assert Denoiser()(noisy).shape == noisy.shape


def test_unknown_loss() -> None:
    with pytest.raises(ValueError, match="loss must be one of"):
        train_denoiser("L3", torch.zeros(2, 1, 16, 16))
    with pytest.raises(ValueError, match="loss must be one of"):
        train_mapping("L3", torch.zeros(2, 1, 8, 8), torch.zeros(2, 1, 8, 8))


def test_compare_losses_scores_every_loss_on_every_seed() -> None:
    from reidlab.experiments.image_losses.restore import IMAGE_LOSSES, compare_losses
    from reidlab.worlds.images import scene

    clean = torch.stack([scene(168, s) for s in range(2)])
    results, nets = compare_losses(clean, clean[:1], seeds=(0, 1), steps=3, batch=2, channels=4)
    assert set(results) == set(IMAGE_LOSSES) == set(nets)
    assert all(r.shape == (2, 3) for r in results.values())
    assert all((r[:, 0] > 10).all() and (r[:, 1] > 0).all() for r in results.values())  # PSNR, SSIM
    assert not torch.equal(results["L2"][0], results["L2"][1])  # the seeds differ


def test_format_results_shows_every_seed_and_the_sample_spread() -> None:
    from reidlab.experiments.image_losses.restore import format_results

    r = torch.tensor([[28.0, 0.70, 0.01], [30.0, 0.80, -0.01]], dtype=torch.float64)
    text = format_results({"L2": r}, seeds=(100, 101))
    assert "seed 100" in text and "seed 101" in text
    psnr_line = next(line for line in text.splitlines() if line.startswith("L2") and "28.00" in line)
    assert "29.00 ± 1.41" in psnr_line  # sample standard deviation (n - 1) of 28 and 30
    with pytest.raises(ValueError, match="one"):
        format_results({"L2": r}, seeds=(0, 1, 2))


def test_compare_losses_rejects_bad_input() -> None:
    from reidlab.experiments.image_losses.restore import compare_losses

    clean = torch.zeros(2, 1, 168, 168)
    with pytest.raises(ValueError, match="seeds"):
        compare_losses(clean, clean, seeds=())
    with pytest.raises(ValueError, match="test_set"):
        compare_losses(clean, torch.zeros(2, 168, 168), seeds=(0,))
