"""reidlab.filters: the Gaussian blur equals SciPy's, and the valid filter equals a convolution."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from reidlab.filters import filter_valid, gaussian_blur, gaussian_window


@pytest.mark.parametrize(("padding", "scipy_mode"), [("reflect", "mirror"), ("replicate", "nearest")])
@pytest.mark.parametrize(("sigma", "radius"), [(0.7, 2), (1.5, 5), (2.0, None), (3.3, 4)])
def test_blur_equals_scipy(padding: str, scipy_mode: str, sigma: float, radius: int | None) -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 23, 17, generator=g, dtype=torch.float64)
    ours = gaussian_blur(x, sigma, radius=radius, padding=padding)
    r = int(np.ceil(3 * sigma)) if radius is None else radius
    ref = ndimage.gaussian_filter(x.numpy(), sigma, mode=scipy_mode, radius=(0, 0, r, r))
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-12)


def test_valid_filter_equals_separable_convolution() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(4, 5, 30, 21, generator=g, dtype=torch.float64)
    win = gaussian_window(11, 1.5, dtype=torch.float64)
    flat = x.reshape(-1, 1, 30, 21)
    ref = F.conv2d(F.conv2d(flat, win.view(1, 1, -1, 1)), win.view(1, 1, 1, -1)).reshape(4, 5, 20, 11)
    torch.testing.assert_close(filter_valid(x, win), ref)
    assert gaussian_blur(x, 1.5, radius=5, padding="valid").shape == (4, 5, 20, 11)


def test_window_sums_to_one_and_is_symmetric() -> None:
    w = gaussian_window(9, 2.0, dtype=torch.float64)
    assert w.sum().item() == pytest.approx(1.0)
    torch.testing.assert_close(w, w.flip(0))
    assert int(w.argmax()) == 4


def test_blur_keeps_a_constant_image() -> None:
    x = torch.full((1, 12, 12), 0.3, dtype=torch.float64)
    for padding in ("reflect", "replicate"):
        torch.testing.assert_close(gaussian_blur(x, 1.2, padding=padding), x)


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="odd size"):
        gaussian_window(4, 1.0)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_window(5, 0.0)
    with pytest.raises(ValueError, match="padding"):
        gaussian_blur(torch.rand(8, 8), 1.0, padding="zeros")
    with pytest.raises(ValueError, match="cannot hold a window"):
        gaussian_blur(torch.rand(8, 8), 2.0, padding="valid")
