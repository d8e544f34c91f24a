"""Drawing the toy pedestrians: a batch of people seen through their cameras, in one pass.

Used by :mod:`reidlab.worlds.pedestrians` (one image per person and camera) and
:mod:`reidlab.worlds.walking` (clips, through a :class:`Pose`). :func:`render` reads top to
bottom as a painter works: the camera's background, the body's measures, legs, torso and arms,
head, bag, whatever stands in front; then the camera itself (mirror, blur, colour cast, noise).

Every body part is a mask over the whole batch, and a per-image parameter (a tensor of shape
``(N, 1, 1)``) says where it goes. Painting writes the part's number into a label map; colours
are looked up once at the end. Every random choice comes from one generator, in a fixed order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from reidlab.filters import gaussian_blur

if TYPE_CHECKING:
    from reidlab.worlds.pedestrians import Camera, Identity

COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.80, 0.15, 0.15),
    "orange": (0.95, 0.55, 0.10),
    "yellow": (0.95, 0.85, 0.20),
    "green": (0.20, 0.60, 0.25),
    "teal": (0.10, 0.55, 0.55),
    "blue": (0.15, 0.30, 0.80),
    "navy": (0.10, 0.12, 0.35),
    "purple": (0.50, 0.25, 0.65),
    "pink": (0.95, 0.55, 0.70),
    "white": (0.92, 0.92, 0.90),
    "grey": (0.55, 0.55, 0.55),
    "black": (0.10, 0.10, 0.10),
    "brown": (0.45, 0.30, 0.15),
    "beige": (0.85, 0.75, 0.55),
}
HAIR = {"black": (0.08, 0.07, 0.06), "brown": (0.35, 0.22, 0.12), "blond": (0.85, 0.72, 0.40)}
SKIN = (0.87, 0.70, 0.58)
_SKIN_RGB = torch.tensor(SKIN)  # (3,): painted on legs, hands and heads
SUPERSAMPLE = 2  # draw at twice the size, then average: smooth edges


@dataclass(frozen=True)
class Pose:
    """Per-image overrides for :func:`render`, for frames of a clip (:mod:`reidlab.worlds.walking`).

    ``scene[i]`` names the image whose random view image ``i`` shares: the frames of one clip
    share one scene (mirror, scale, clutter, occluder), so only the person moves. ``x`` is the
    body's centre across the image (in image heights, 0 = the middle), ``stride`` the signed
    swing of the feet (in body heights; the legs cross when it is negative) and ``lift`` how
    far the body sinks (in body heights). All are tensors of shape ``(N,)``."""

    scene: torch.Tensor
    x: torch.Tensor
    stride: torch.Tensor
    lift: torch.Tensor


class Canvas:
    """``n`` label maps of ``size`` pixels (drawn :data:`SUPERSAMPLE` times larger), the
    coordinates ``y`` (0 at the top, 1 at the bottom) and ``x`` (in the same unit, 0 in the
    middle) to draw masks with, and the random draws of each image's scene."""

    def __init__(self, n: int, size: tuple[int, int], scene: torch.Tensor, g: torch.Generator) -> None:
        h_px, w_px = size
        self.n, self.scene, self.g = n, scene, g
        ys = (torch.arange(h_px * SUPERSAMPLE) + 0.5) / (h_px * SUPERSAMPLE)
        xs = ((torch.arange(w_px * SUPERSAMPLE) + 0.5) / (w_px * SUPERSAMPLE) - 0.5) * (w_px / h_px)
        self.y, self.x = ys.view(1, -1, 1), xs.view(1, 1, -1)  # (1, H, 1) and (1, 1, W): masks broadcast
        self.labels = torch.zeros(n, len(ys), len(xs), dtype=torch.uint8)  # which paint each pixel shows
        self.palette: list[torch.Tensor] = []  # (N, 3) colour of each paint, per image

    def per_image(self, values: list[float]) -> torch.Tensor:  # (N, 1, 1), broadcasts against y, x
        return torch.tensor(values, dtype=torch.float32).view(self.n, 1, 1)

    def rgb(self, values: list[tuple[float, float, float]]) -> torch.Tensor:  # (N, 3, 1, 1)
        return torch.tensor(values, dtype=torch.float32).view(self.n, 3, 1, 1)

    def rand(self, *shape: int) -> torch.Tensor:  # (N, *shape), one draw per image (per scene)
        return torch.rand(self.n, *shape, generator=self.g)[self.scene]

    def uniform(self, lo: float, hi: float) -> torch.Tensor:  # (N, 1, 1)
        return lo + (hi - lo) * self.rand(1, 1)

    def box(self, x0, x1, y0, y1) -> torch.Tensor:
        x, y = self.x, self.y
        return ((x >= x0) & (x < x1)) & ((y >= y0) & (y < y1))  # (N, 1, W) & (N, H, 1)

    def paint(self, mask: torch.Tensor, colour: torch.Tensor) -> None:
        self.labels.masked_fill_(mask, len(self.palette))
        self.palette.append(colour.reshape(-1, 3).expand(self.n, 3))

    def image(self) -> torch.Tensor:
        """The colours of the paints, looked up once: ``(N, 3, H, W)`` at the final size."""
        colours = torch.stack(self.palette, dim=1)  # (N, paints, 3)
        img = colours[torch.arange(self.n)[:, None, None], self.labels.long()]  # (N, H, W, 3)
        return F.avg_pool2d(img.permute(0, 3, 1, 2), SUPERSAMPLE)


def has(people: list[Identity], attribute: str, value: str) -> torch.Tensor:
    """``(N, 1, 1)``: which people have ``attribute == value``."""
    return torch.tensor([getattr(p, attribute) == value for p in people]).view(len(people), 1, 1)


@dataclass(frozen=True)
class Body:
    """Where each image's body is, ``(N, 1, 1)`` each, in the canvas's units."""

    h: torch.Tensor  # height
    cx: torch.Tensor  # centre across
    top: torch.Tensor
    build: torch.Tensor  # the identity's build: scales the torso's and the legs' widths
    half: torch.Tensor  # half the torso's width
    stride: torch.Tensor  # how far the feet swing apart
    ground: torch.Tensor  # where the feet stand
    torso_top: torch.Tensor
    hip: torch.Tensor


def paint_background(c: Canvas, cameras: list[Camera]) -> None:
    """The camera's wall and floor, and up to 8 objects behind the person."""
    c.paint(torch.ones(1, 1, 1, dtype=torch.bool), c.rgb([cam.background for cam in cameras]))
    c.paint((c.y > c.uniform(0.78, 0.88)), c.rgb([cam.floor for cam in cameras]))
    n_objects = torch.poisson(torch.tensor([cam.clutter for cam in cameras]), generator=c.g)[c.scene]
    for k in range(8):
        x0, y0 = c.uniform(-0.3, 0.25), c.uniform(0.0, 0.8)
        obj = c.box(x0, x0 + c.uniform(0.03, 0.2), y0, y0 + c.uniform(0.05, 0.4))
        c.paint(obj & (k < n_objects).view(c.n, 1, 1), c.rand(3, 1, 1))


def measure_body(c: Canvas, people: list[Identity], pose: Pose | None) -> Body:
    """The person, standing on the floor, centred near x = 0 (a pose moves them)."""
    n = c.n
    h = 0.86 * c.per_image([p.height for p in people]) * c.uniform(0.93, 1.05)
    cx, top = c.uniform(-0.03, 0.03), 0.97 - h + c.uniform(-0.02, 0.01)
    build = c.per_image([p.build for p in people])
    half = 0.085 * h * build
    stride, ground = c.uniform(0.0, 0.06) * h, top + h
    if pose is not None:  # walking: the body moves across, swings its legs and sinks (not the feet)
        cx, stride = pose.x.view(n, 1, 1), pose.stride.view(n, 1, 1) * h
        top = top + pose.lift.view(n, 1, 1) * h
    return Body(h, cx, top, build, half, stride, ground, torso_top=top + 0.14 * h, hip=top + 0.50 * h)


def paint_legs(c: Canvas, people: list[Identity], b: Body) -> None:
    """Legs slanting apart towards the ground by the stride; trousers, shorts or a skirt; shoes."""
    x, y, h, cx, hip, ground = c.x, c.y, b.h, b.cx, b.hip, b.ground
    leg_w = 0.05 * h * b.build
    bottom_rgb = c.rgb([COLOURS[p.bottom] for p in people])
    for side in (-1, 1):
        along = ((y - hip) / (ground - hip)).clamp(0, 1)
        leg = ((x - cx - side * (0.03 * h + b.stride * along)).abs() < leg_w / 2) & (y >= hip) & (y < ground)
        c.paint(leg, _SKIN_RGB)
        covered = (has(people, "bottom_cut", "trousers") & (y < ground - 0.03 * h)) | (
            has(people, "bottom_cut", "shorts") & (y < hip + 0.18 * h)
        )
        c.paint(leg & covered, bottom_rgb)
        c.paint(leg & (y >= ground - 0.03 * h), torch.tensor(COLOURS["black"]))  # shoes
    skirt = ((x - cx).abs() < b.half + (y - hip) * 0.45) & (y >= hip - 0.01) & (y < hip + 0.22 * h)
    waist = c.box(cx - b.half, cx + b.half, hip - 0.01, hip + 0.06 * h)
    c.paint(torch.where(has(people, "bottom_cut", "skirt"), skirt, waist), bottom_rgb)


def paint_top(c: Canvas, people: list[Identity], b: Body) -> torch.Tensor:
    """Torso and sleeves, hands, the top's pattern; returns the torso's mask (the bag's strap
    crosses it)."""
    x, y, h, cx, half, torso_top = c.x, c.y, b.h, b.cx, b.half, b.torso_top
    sleeve = 0.035 * h
    torso = c.box(cx - half, cx + half, torso_top, b.hip)
    arms = c.box(cx - half - sleeve, cx + half + sleeve, torso_top + 0.01, torso_top + 0.3 * h) & ~torso
    c.paint(torso | arms, c.rgb([COLOURS[p.top] for p in people]))
    hands = c.box(cx - half - sleeve, cx + half + sleeve, torso_top + 0.3 * h, torso_top + 0.34 * h)
    c.paint(hands & ~torso, _SKIN_RGB)
    stripes = has(people, "top_pattern", "stripes") & (((y - torso_top) / (0.05 * h)).floor() % 2 == 1)
    two_tone = has(people, "top_pattern", "two-tone") & (x < cx)
    chest = c.box(cx - 0.6 * half, cx - 0.1 * half, torso_top + 0.05 * h, torso_top + 0.12 * h)
    logo = has(people, "top_pattern", "logo") & chest
    c.paint(((torso | arms) & (stripes | two_tone)) | logo, c.rgb([COLOURS[p.top_second] for p in people]))
    return torso


def paint_head_and_bag(c: Canvas, people: list[Identity], b: Body, torso: torch.Tensor) -> None:
    """The head and its hair; a bag on one shoulder, its strap across the torso."""
    x, y, h, cx = c.x, c.y, b.h, b.cx
    head_y, head_r = b.top + 0.07 * h, 0.065 * h
    head = ((x - cx) / (0.8 * head_r)) ** 2 + ((y - head_y) / head_r) ** 2 < 1
    c.paint(head, _SKIN_RGB)
    c.paint(head & (y < head_y - 0.2 * head_r), c.rgb([HAIR[p.hair] for p in people]))
    side = c.per_image([{"none": 0, "left": -1, "right": 1}[p.bag] for p in people])
    bag_x, bag_rgb = cx + side * (b.half + 0.05 * h), c.rgb([COLOURS[p.bag_colour] for p in people])
    bag = c.box(bag_x - 0.05 * h, bag_x + 0.05 * h, b.hip - 0.08 * h, b.hip + 0.06 * h)
    strap = ((x - cx) + side * (y - b.torso_top) * 0.5 - side * 0.5 * b.half).abs() < 0.012
    c.paint((bag | (strap & torso)) & (side != 0), bag_rgb)


def paint_occluder(c: Canvas, cameras: list[Camera]) -> None:
    """Something in front of the person, from below or from one side, as often as the camera
    says."""
    n = c.n
    occluded = c.rand() < torch.tensor([cam.occlusion for cam in cameras])
    from_below = c.rand() < 0.5
    width, left = c.uniform(0.11, 0.17), c.rand(1, 1) < 0.5
    start = torch.where(left, -0.25, 0.25 - width + 0.05)
    front = torch.where(
        from_below.view(n, 1, 1), c.y > c.uniform(0.45, 0.7), (c.x >= start) & (c.x < start + width)
    )
    c.paint(front & occluded.view(n, 1, 1), c.rand(3, 1, 1))


def through_the_camera(img: torch.Tensor, c: Canvas, cameras: list[Camera]) -> torch.Tensor:
    """The view from the other side (for a clip: walking the other way), then each camera's blur,
    gain and colour cast, and sensor noise: ``(N, 3, H, W)`` in [0, 1]."""
    n = c.n
    mirrored = c.rand() < 0.5
    img = torch.where(mirrored.view(n, 1, 1, 1), img.flip(-1), img)
    for sigma in {cam.blur for cam in cameras}:
        same = torch.tensor([cam.blur == sigma for cam in cameras])
        if sigma >= 0.2:  # below that, a blur changes nothing visible
            img[same] = gaussian_blur(img[same], sigma, radius=math.ceil(2.5 * sigma), padding="replicate")
    img = img * torch.tensor([[cam.gain * k for k in cam.cast] for cam in cameras]).view(n, 3, 1, 1)
    img = img + 0.02 * torch.randn(img.shape, generator=c.g)
    return img.clamp(0, 1)


def render(
    people: list[Identity],
    cameras: list[Camera],
    g: torch.Generator,
    size: tuple[int, int] = (64, 32),
    pose: Pose | None = None,
) -> torch.Tensor:
    """Images ``(N, 3, H, W)``: ``people[i]`` seen through ``cameras[i]``, each with a random
    view drawn from ``g`` (mirror, position, scale, stride, clutter, occlusion, noise); a
    ``pose`` shares views between frames and sets where the body is (:class:`Pose`)."""
    if len(people) != len(cameras) or not people:
        raise ValueError(f"need one camera per person, got {len(people)} people, {len(cameras)} cameras")
    n = len(people)
    if pose is not None and any(len(t) != n for t in (pose.scene, pose.x, pose.stride, pose.lift)):
        raise ValueError(f"every field of pose must have one entry per image ({n})")
    # the same draws as without a pose; a pose makes each frame take its scene's draws
    c = Canvas(n, size, torch.arange(n) if pose is None else pose.scene, g)
    paint_background(c, cameras)
    body = measure_body(c, people, pose)
    paint_legs(c, people, body)
    torso = paint_top(c, people, body)
    paint_head_and_bag(c, people, body, torso)
    paint_occluder(c, cameras)
    return through_the_camera(c.image(), c, cameras)
