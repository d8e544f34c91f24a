"""reidlab.features against scikit-image's HOG and simple known cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.feature import hog as skimage_hog

from reidlab.features import (
    cell_directions,
    cell_histograms,
    direction_histogram,
    gradients,
    hog,
    hog_glyphs,
    magnitude_orientation,
    normalize_blocks,
)
from reidlab.worlds.images import shape_image

# scikit-image sums each cell in float32 (and rounds its bin edges to float32), so float64
# results agree to ~4e-8; the tests allow 1e-6 absolute.
CONFIGS = [
    ((128, 64), (8, 8), (2, 2), 9, "L2-Hys"),
    ((37, 50), (6, 6), (3, 3), 9, "L2-Hys"),
    ((40, 40), (5, 5), (2, 2), 9, "L2-Hys"),  # odd cell size
    ((64, 64), (8, 8), (2, 2), 7, "L2"),
    ((32, 32), (4, 4), (1, 1), 12, "L1"),
]


def reference(img: np.ndarray, shape_ppc_cpb_o_norm) -> np.ndarray:
    _, ppc, cpb, o, norm = shape_ppc_cpb_o_norm
    return skimage_hog(img, orientations=o, pixels_per_cell=ppc, cells_per_block=cpb, block_norm=norm)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_hog_matches_scikit_image_on_random_images(cfg) -> None:
    shape, ppc, cpb, o, norm = cfg
    images = torch.rand(3, *shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ours = hog(images, o, ppc, cpb, norm)
    for i in range(3):
        np.testing.assert_allclose(ours[i].numpy(), reference(images[i].numpy(), cfg), rtol=0, atol=1e-6)


@pytest.mark.parametrize("kind", ["circle", "trapezoid", "square"])
def test_hog_matches_scikit_image_on_shapes(kind: str) -> None:
    """Edges of synthetic shapes: exact angles, flat regions with zero gradient."""
    img = shape_image(kind, 64, rotation=15.0).double()
    ours = hog(img)[0].numpy()
    np.testing.assert_allclose(ours, reference(img.numpy(), CONFIGS[0]), rtol=0, atol=1e-6)


def test_float32_is_close_too() -> None:
    img = torch.rand(128, 64, generator=torch.Generator().manual_seed(1))
    np.testing.assert_allclose(hog(img)[0].numpy(), reference(img.numpy(), CONFIGS[0]), rtol=0, atol=1e-5)


def test_gradients_and_orientation_on_ramps() -> None:
    ramp = torch.arange(6.0).repeat(5, 1)  # brightness grows to the right
    g_row, g_col = gradients(ramp)
    assert (g_col[0, :, 1:-1] == 2).all() and (g_col[0, :, [0, -1]] == 0).all() and (g_row == 0).all()
    mag, ori = magnitude_orientation(g_row, g_col)
    assert mag[0, 2, 2] == 2 and ori[0, 2, 2] == 0
    _, ori_down = magnitude_orientation(*gradients(ramp.T.contiguous()))
    assert ori_down[0, 2, 2] == 90


def test_cell_histogram_of_a_vertical_edge_fills_the_zero_degree_bin() -> None:
    img = torch.zeros(16, 16)
    img[:, 8:] = 1.0  # a vertical edge: the gradient points right (0 degrees)
    hist = cell_histograms(img, (8, 8), 9)
    assert hist.shape == (1, 2, 2, 9)
    assert hist[0, :, :, 0].sum() > 0 and hist[0, :, :, 1:].sum() == 0


def test_l2hys_blocks_are_unit_length_and_clipped() -> None:
    hist = torch.rand(2, 4, 4, 9, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    blocks = normalize_blocks(hist, (2, 2), "L2-Hys")
    norms = blocks.flatten(3).norm(dim=-1)
    torch.testing.assert_close(norms, torch.ones_like(norms), atol=1e-6, rtol=0)
    assert blocks.shape == (2, 3, 3, 2, 2, 9)


def test_batch_equals_one_by_one() -> None:
    images = torch.rand(4, 32, 24, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(hog(images), torch.cat([hog(im) for im in images]))


def test_direction_histograms_of_circle_and_square() -> None:
    circle, square = shape_image("circle", 64), shape_image("square", 64, rotation=20)
    rel = direction_histogram(circle, 8)[0]
    assert rel[4] > 0.9  # a bright disc's gradients all point at its centre: 180 degrees
    flat = direction_histogram(circle, 8, relative_to_centre=False)[0]
    assert flat.max() < 0.2  # by absolute direction, a circle spreads evenly
    upright = direction_histogram(shape_image("square", 64), 8, relative_to_centre=False)[0]
    assert upright[[0, 2, 4, 6]].sum() > 0.95  # four edges, four directions (on bin centres)
    turned = direction_histogram(shape_image("square", 64, rotation=65), 8)[0]
    assert (direction_histogram(square, 8)[0] - turned).abs().max() < 0.05  # rotation-invariant


def test_cell_directions_of_a_circle_point_inwards_and_ignore_contrast() -> None:
    circle = shape_image("circle", 64)
    v = cell_directions(circle, cell=8)[0].view(8, 8, 2)
    edge = v.norm(dim=2) > 0.05  # the cells the outline passes through
    assert edge.sum() >= 12
    torch.testing.assert_close(
        v[edge][:, 1], torch.zeros(int(edge.sum())), atol=0.01, rtol=0
    )  # no sideways part
    assert (v[edge][:, 0] < 0).all()  # relative angle 180 degrees: inwards
    assert cell_directions(circle)[0].norm() == pytest.approx(1.0)
    torch.testing.assert_close(
        cell_directions(0.3 + 0.5 * circle), cell_directions(circle)
    )  # contrast, brightness
    torch.testing.assert_close(cell_directions(torch.zeros(16, 16)), torch.zeros(1, 8))  # no edges at all


def test_cell_directions_keep_cells_in_reading_order() -> None:
    img = torch.zeros(16, 16, dtype=torch.float64)
    img[:, 12:] = 1.0  # one vertical edge, in the right-hand cells only
    v = cell_directions(img, cell=8, relative_to_centre=False)[0].view(2, 2, 2)
    assert v[:, 0].abs().max() == 0 and (v[:, 1, 0] > 0).all()  # left column empty; right points right


def test_hog_glyphs_draw_along_the_edge() -> None:
    hist = torch.zeros(1, 1, 9)
    hist[0, 0, 0] = 1.0  # gradient at ~10 degrees: a nearly vertical edge
    glyph = hog_glyphs(hist, (9, 9))
    assert glyph.shape == (9, 9)
    assert glyph[:, 4].sum() > glyph[4, :].sum()  # drawn up and down, not across


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: hog(torch.rand(2, 3, 16, 16)), ValueError, "grey images"),
        (lambda: hog(torch.rand(6, 6)), ValueError, "cannot hold one cell"),
        (lambda: hog(torch.rand(16, 16), cells_per_block=(3, 3)), ValueError, "cannot hold one block"),
        (lambda: hog(torch.ones(16, 16, dtype=torch.int64)), TypeError, "floating-point"),
        (lambda: hog(torch.rand(16, 16), block_norm="L3"), ValueError, "method must be"),
        (lambda: hog(torch.rand(16, 16), orientations=0), ValueError, "orientations must be"),
        (lambda: direction_histogram(torch.rand(8, 8), bins=0), ValueError, "bins must be"),
        (lambda: hog_glyphs(torch.rand(2, 2)), ValueError, "hist must be"),
        (lambda: cell_directions(torch.rand(4, 4)), ValueError, "cannot hold one cell"),
    ],
)
def test_bad_input(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
