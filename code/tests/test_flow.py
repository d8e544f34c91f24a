import math

import numpy as np
import pytest
import torch
from skimage.registration import optical_flow_ilk

from reidlab.filters import gaussian_blur
from reidlab.flow import clip_flows, frame_differences, lucas_kanade, to_gray, warp


def texture(seed: int, h: int = 64, w: int = 48) -> torch.Tensor:
    """A smooth random image (N=1, H, W) in [0, 1]: texture everywhere, so flow is defined."""
    img = gaussian_blur(torch.rand(1, 1, h, w, generator=torch.Generator().manual_seed(seed)), 1.5)[0]
    return (img - img.min()) / (img.max() - img.min())


def moved(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """The second frame of a known motion: frame1(x + u) = frame0(x), i.e. frame1 = frame0 warped by -flow
    (exact for constant flows)."""
    return warp(img, -flow)


def interior(flow: torch.Tensor, border: int = 8) -> torch.Tensor:
    return flow[..., border:-border, border:-border]


@pytest.mark.parametrize(("u", "v"), [(0.4, 0.0), (0.0, -0.7), (1.2, 0.6), (-1.5, 1.0)])
def test_translations_are_recovered(u, v):
    img = texture(0)
    truth = torch.tensor([u, v]).view(1, 2, 1, 1).expand(1, 2, *img.shape[1:]).contiguous()
    flow = lucas_kanade(img, moved(img, truth))
    error = (interior(flow) - interior(truth)).norm(dim=1).flatten()  # end-point error per pixel
    assert error.median() < 0.08 and error.quantile(0.95) < 0.2


def test_a_small_rotation_is_recovered():
    img = texture(1, 64, 64)
    angle = math.radians(3)
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    cx = cy = 31.5
    # frame1(R p) = frame0(p): the flow at p is R p - p
    u = (math.cos(angle) - 1) * (xs - cx) - math.sin(angle) * (ys - cy)
    v = math.sin(angle) * (xs - cx) + (math.cos(angle) - 1) * (ys - cy)
    truth = torch.stack((u, v))[None]
    # frame1(q) = frame0(R^-1 q): sample frame0 at the inverse-rotated grid
    xb = math.cos(angle) * (xs - cx) + math.sin(angle) * (ys - cy) + cx
    yb = -math.sin(angle) * (xs - cx) + math.cos(angle) * (ys - cy) + cy
    frame1 = warp(img, torch.stack((xb - xs, yb - ys))[None])
    flow = lucas_kanade(img, frame1, radius=3, warps=8)
    error = (interior(flow, 12) - interior(truth, 12)).norm(dim=1)
    assert truth.norm(dim=1).max() > 1.5  # the corners move by more than a pixel
    assert error.median() < 0.1


@pytest.mark.parametrize(("u", "v"), [(0.5, 0.0), (0.8, -0.6)])
def test_agrees_with_scikit_image_ilk(u, v):
    img = texture(2)
    truth = torch.tensor([u, v]).view(1, 2, 1, 1).expand(1, 2, *img.shape[1:]).contiguous()
    frame1 = moved(img, truth)
    ours = lucas_kanade(img, frame1, radius=3, warps=10)[0]
    rows_cols = optical_flow_ilk(img[0].numpy(), frame1[0].numpy(), radius=3, num_warp=10)
    theirs = torch.from_numpy(np.stack((rows_cols[1], rows_cols[0])))  # skimage: (v, u)
    assert (interior(ours) - interior(theirs)).abs().median() < 0.05


def test_no_motion_no_flow_and_flat_images_stay_zero():
    img = texture(3)
    assert lucas_kanade(img, img).abs().max() < 1e-5
    flat = torch.full((2, 20, 20), 0.5)
    assert torch.equal(lucas_kanade(flat, flat + 0.1), torch.zeros(2, 2, 20, 20))  # aperture: nothing to see


def test_warp_by_zero_is_the_identity():
    img = texture(4)
    assert torch.allclose(warp(img, torch.zeros(1, 2, *img.shape[1:])), img, atol=1e-6)


def test_colour_frames_become_grey():
    rgb = torch.rand(2, 3, 16, 16)
    assert torch.allclose(to_gray(rgb), 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2])
    assert lucas_kanade(rgb, rgb).shape == (2, 2, 16, 16)


def test_clip_flows_and_differences_shapes():
    clips = torch.rand(3, 5, 3, 16, 8)
    assert clip_flows(clips, chunk=4).shape == (3, 4, 2, 16, 8)
    diff = frame_differences(clips)
    assert diff.shape == (3, 4, 3, 16, 8) and torch.allclose(diff[:, 0], clips[:, 1] - clips[:, 0])


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="same shape"):
        lucas_kanade(torch.rand(1, 8, 8), torch.rand(1, 8, 9))
    with pytest.raises(TypeError, match="frame0"):
        lucas_kanade(torch.zeros(1, 8, 8, dtype=torch.long), torch.zeros(1, 8, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="NaN"):
        lucas_kanade(torch.full((1, 8, 8), float("nan")), torch.rand(1, 8, 8))
    with pytest.raises(ValueError, match="clips"):
        clip_flows(torch.rand(2, 1, 3, 8, 8))


def test_the_flow_key_has_the_colour_of_each_direction():
    from reidlab.figures.video import flow_colours, flow_key

    key = flow_key(41)
    assert key.shape == (41, 41, 4) and key[0, 0, 3] == 0 and key[20, 20, 3] == 1  # a disc
    right, down = key[20, 40, :3], key[40, 20, :3]  # on the rim: full length
    assert np.allclose(right, flow_colours(torch.tensor([1.0, 0.0]).view(2, 1, 1), 1.0)[0, 0])
    assert np.allclose(down, flow_colours(torch.tensor([0.0, 1.0]).view(2, 1, 1), 1.0)[0, 0])
    assert np.allclose(key[20, 20, :3], 0.0, atol=1e-6)  # no motion: black
