"""reidlab.experiments.image_losses.distortions: each distortion reaches the requested MSE."""

from __future__ import annotations

import pytest
import torch

from reidlab.experiments.image_losses.distortions import DISTORTIONS, at_mse, bending_share, blur
from reidlab.losses.ssim import ssim
from reidlab.worlds.images import scene


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


def test_bending_share_finds_stripes_but_not_edges_or_gradients() -> None:
    cols = torch.arange(40, dtype=torch.float64)
    stripes = (0.5 + 0.4 * torch.sin(2 * torch.pi * cols / 6)).expand(40, 40)
    step = (cols >= 20).double().expand(40, 40) * 0.8  # one sharp vertical edge
    ramp = (cols / 40).expand(40, 40)
    assert (bending_share(stripes) > 0.5).all()
    assert bending_share(stripes).shape == (30, 30)  # laid out like an 11 x 11 SSIM map
    assert bending_share(ramp[None], columns=True).max() == 0  # a gradient bends nowhere
    edge = bending_share(step)
    assert 0 < edge.max() <= 2 / 11 and (edge > 0).sum() == 30 * 12  # windows over columns 19, 20
    assert bending_share(step.T).max() == 0 and bending_share(step.T, columns=True).max() > 0


def test_bending_share_finds_the_scene_patch_of_stripes() -> None:
    img = scene(128, seed=3).double()
    rows, cols = (bending_share(img) > 0.5).nonzero(as_tuple=True)
    # one compact block: the patch of stripes is 0.35 of the side, about 45 pixels
    height, width = int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1
    assert 30 < height < 50 and 30 < width < 50 and len(rows) > 0.8 * height * width


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"img": torch.zeros(2, 8, 8)}, "img must be"),
        ({"img": torch.zeros(8, 8), "window": 9}, "window"),
        ({"img": torch.zeros(8, 8), "window": 3, "threshold": -1.0}, "threshold"),
        ({"img": torch.zeros(8, 8, dtype=torch.long)}, "floating-point"),
    ],
)
def test_bending_share_rejects_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        bending_share(**kwargs)
