"""reidlab.worlds.drawing: the canvas paints what it is told, the camera changes the picture and
the identity decides the body."""

import pytest
import torch
import torch.nn.functional as F

from reidlab.worlds.drawing import SUPERSAMPLE, Canvas, render
from reidlab.worlds.pedestrians import random_camera, random_identity


def test_the_last_paint_wins_and_the_image_averages_the_supersampled_pixels() -> None:
    c = Canvas(2, (4, 2), torch.arange(2), torch.Generator().manual_seed(0))
    c.paint(torch.ones(1, 1, 1, dtype=torch.bool), torch.tensor([0.0, 0.0, 1.0]))  # blue everywhere
    c.paint(c.box(-1, 0, 0, 1), c.rgb([(1.0, 0.0, 0.0), (0.0, 1.0, 0.0)]))  # left half, per image
    labels = c.labels.long()  # (N, 8, 4): 0 on the right, 1 on the left
    assert labels[:, :, :2].eq(1).all() and labels[:, :, 2:].eq(0).all()
    by_hand = torch.stack([torch.stack(c.palette, 1)[i][labels[i]] for i in range(2)])  # (N, 8, 4, 3)
    expected = F.avg_pool2d(by_hand.permute(0, 3, 1, 2), SUPERSAMPLE)
    assert torch.equal(c.image(), expected)
    assert torch.equal(c.image()[1, :, 0, 0], torch.tensor([0.0, 1.0, 0.0]))


def test_camera_changes_the_picture_identity_decides_the_body():
    g = torch.Generator().manual_seed(0)
    person, cams = random_identity(g), [random_camera(g) for _ in range(2)]
    a = render([person] * 20, [cams[0]] * 20, g)
    b = render([person] * 20, [cams[1]] * 20, g)
    # the cameras differ in brightness and colour cast: mean colours differ far more than the noise
    assert (a.mean((0, 2, 3)) - b.mean((0, 2, 3))).abs().max() > 0.02
    other = render([random_identity(g) for _ in range(20)], [cams[0]] * 20, g)
    centre = slice(20, 52), slice(10, 22)  # where the body is
    same_person = (a[:10, :, centre[0], centre[1]] - a[10:, :, centre[0], centre[1]]).abs().mean()
    other_people = (a[:, :, centre[0], centre[1]] - other[:, :, centre[0], centre[1]]).abs().mean()
    assert same_person < other_people


def test_render_needs_one_camera_per_person():
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="one camera per person"):
        render([random_identity(g)] * 2, [random_camera(g)], g)
