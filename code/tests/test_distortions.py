"""reidlab.distortions: each distortion reaches the requested MSE."""

from __future__ import annotations

import pytest
import torch

from reidlab.data import scene
from reidlab.distortions import DISTORTIONS, at_mse, blur
from reidlab.losses.ssim import ssim


@pytest.mark.parametrize("name", list(DISTORTIONS))
def test_at_mse_hits_the_target_and_zero_strength_is_identity(name: str) -> None:
    img = scene(64, seed=1).double()
    fn, t_max = DISTORTIONS[name]
    assert torch.equal(fn(img, 0.0), img)
    out = at_mse(img, fn, mse=0.003, t_max=t_max)
    assert ((out - img) ** 2).mean().item() == pytest.approx(0.003, rel=1e-4)
    assert out.min() >= 0 and out.max() <= 1


def test_ssim_ranks_the_distortions_like_the_chapter_says() -> None:
    img = scene(128, seed=3).double()
    s = {n: ssim(at_mse(img, f, 0.004, t)[None], img[None]).item() for n, (f, t) in DISTORTIONS.items()}
    assert s["brighter"] > 0.95 and s["noise"] < 0.5
    assert min(s["blur"], s["blocking"]) > s["noise"]


def test_blur_keeps_the_mean_and_unreachable_mse_raises() -> None:
    img = scene(48, seed=2).double()
    assert blur(img, 2.0).mean().item() == pytest.approx(img.mean().item(), abs=2e-3)
    with pytest.raises(ValueError, match="stays below MSE"):
        at_mse(img, DISTORTIONS["brighter"][0], mse=0.5, t_max=0.01)
