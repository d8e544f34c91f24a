"""reidlab.losses.ssim against pytorch-msssim and scikit-image."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_msssim
import torch
from skimage.metrics import structural_similarity

from reidlab.losses.ssim import ms_ssim, ssim, ssim_terms

# pytorch-msssim computes its Gaussian window in float32 and casts it, so in float64 it differs
# from the exact window (ours, and scikit-image's) by ~1e-7 relative; values agree to this:
REF_TOL = 2e-6


def pair(
    n: int = 2, c: int = 3, h: int = 48, w: int = 40, dtype=torch.float64, seed: int = 0, noise: float = 0.2
):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, c, h, w, generator=g, dtype=dtype)
    # a smooth image plus noise: more realistic structure than pure noise
    x = torch.nn.functional.avg_pool2d(x, 5, stride=1, padding=2)
    y = (x + noise * torch.randn(x.shape, generator=g, dtype=dtype)).clamp(0, 1)
    return x, y


@pytest.mark.parametrize("shape", [(2, 3, 48, 40), (1, 1, 11, 11), (3, 1, 64, 33)])
@pytest.mark.parametrize("noise", [0.02, 0.2, 0.6])
def test_ssim_matches_pytorch_msssim(shape, noise) -> None:
    """Random smooth images at three noise levels, including the smallest legal size."""
    x, y = pair(*shape, noise=noise)
    ref = pytorch_msssim.ssim(x, y, data_range=1.0)
    torch.testing.assert_close(ssim(x, y), ref, rtol=0, atol=REF_TOL)


def test_ssim_matches_scikit_image() -> None:
    """scikit-image with Wang et al.'s settings (Gaussian weights, sigma 1.5, population
    covariance), all in float64: agreement to 1e-7."""
    x, y = pair(n=2, c=3, h=50, w=45)
    ours = ssim(x, y).item()
    ref = np.mean(
        [
            structural_similarity(
                x[i].permute(1, 2, 0).numpy(),
                y[i].permute(1, 2, 0).numpy(),
                data_range=1.0,
                channel_axis=2,
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
            )
            for i in range(2)
        ]
    )
    assert ours == pytest.approx(ref, abs=1e-7)


@pytest.mark.parametrize("size", [(161, 161), (200, 171), (256, 256)])
def test_ms_ssim_matches_pytorch_msssim(size) -> None:
    x, y = pair(1, 2, *size, noise=0.1)
    torch.testing.assert_close(
        ms_ssim(x, y), pytorch_msssim.ms_ssim(x, y, data_range=1.0), rtol=0, atol=REF_TOL
    )


def test_data_range_255() -> None:
    x, y = pair(1, 1, 32, 32)
    torch.testing.assert_close(ssim(255 * x, 255 * y, data_range=255.0), ssim(x, y))


def test_identical_images_score_one_and_gradients_match() -> None:
    x, y = pair(1, 1, 24, 24)
    assert ssim(x, x).item() == pytest.approx(1.0)
    a, b = y.clone().requires_grad_(True), y.clone().requires_grad_(True)
    ssim(x, a).backward()
    pytorch_msssim.ssim(x, b, data_range=1.0).backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-7)  # the float32 window again


def test_gradcheck_small() -> None:
    x, y = pair(1, 1, 12, 12)
    y = y.clamp(0.05, 0.95).requires_grad_(True)  # stay inside the data range while perturbing
    assert torch.autograd.gradcheck(lambda t: ssim(x, t), (y,), eps=1e-6, atol=1e-5)


def test_terms_are_bounded() -> None:
    x, y = pair(2, 1, 30, 30, noise=0.5)
    s, cs = ssim_terms(x, y)
    assert s.shape == (2, 1) and (s <= 1).all() and (cs <= 1).all()


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (torch.rand(1, 1, 10, 10), torch.rand(1, 1, 10, 10), {}, "at least 11 x 11"),
        (torch.rand(1, 1, 100, 100), torch.rand(1, 1, 100, 100), {"fn": ms_ssim}, "at least 161 x 161"),
        (torch.rand(1, 1, 20, 20), torch.rand(1, 1, 20, 21), {}, "same shape"),
        (torch.rand(1, 20, 20), torch.rand(1, 20, 20), {}, "x must be 4-D"),
        (255 * torch.rand(1, 1, 20, 20), torch.rand(1, 1, 20, 20), {}, "outside \\[0, data_range=1.0\\]"),
        (
            torch.rand(1, 1, 20, 20),
            torch.rand(1, 1, 20, 20),
            {"data_range": 0.0},
            "data_range must be positive",
        ),
    ],
)
def test_bad_input(x, y, kwargs, match) -> None:
    fn = kwargs.pop("fn", ssim)
    with pytest.raises(ValueError, match=match):
        fn(x, y, **kwargs)


def test_ssim_map_is_local_and_averages_to_ssim() -> None:
    from reidlab.losses.ssim import ssim_map

    g = torch.Generator().manual_seed(4)
    x = torch.rand(2, 1, 40, 30, generator=g, dtype=torch.float64)
    y = x.clone()
    y[:, :, :12, :12] = torch.rand(2, 1, 12, 12, generator=g, dtype=torch.float64)  # change one corner
    m = ssim_map(x, y)
    assert m.shape == (2, 1, 30, 20)
    torch.testing.assert_close(m.mean(), ssim(x, y))
    assert (m[:, :, 14:, 14:] == 1).all()  # windows that do not reach the corner: identical
    assert m[:, :, 0, 0].max() < 0.5
    with pytest.raises(ValueError, match="same shape"):
        ssim_map(x, y[:, :, :20])
