r"""Walking clips: the toy pedestrians of :mod:`reidlab.worlds.pedestrians` on the move.

Chapter *Video ReID*. A clip is ``T`` frames of one person crossing one camera's view. Identity
now has two parts: the **appearance** (an :class:`~reidlab.worlds.pedestrians.Identity`) and the
**gait** (a :class:`Gait`: how often the legs swing, how far, and how much the body sinks
between steps). Two kinds of pairs make the point of the chapter:

* **look-alikes** (one detail of clothing apart, as in the still images) that **walk
  differently**: their gaits are drawn apart on purpose;
* **walk-alikes**: people who look different but **walk alike** (one copies the other's gait).

Frame :math:`t` of a clip, with phase :math:`\phi` drawn per clip:

.. math::

    \text{swing}(t) = s \sin(2\pi c\, t + \phi), \qquad
    \text{sink}(t) = b\, |\sin(2\pi c\, t + \phi)|, \qquad
    x(t) = x_0 + v\,(t - \tfrac{T-1}{2})

with cadence :math:`c` (cycles per frame), swing :math:`s`, bob :math:`b` and the walking speed
:math:`v` = ``SPEED`` :math:`\cdot s c` (longer, quicker steps go further). A clip keeps one
scene (background, clutter, occluder, walking direction); only the person moves.

Real clips come from a detector and a tracker, which fail now and then: :func:`corrupt` swaps
frames for an **occlusion** (something in front), a **miss** (a crop of the background or of
somebody else) or **motion blur**. Everything is drawn from one seed, like the still images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from reidlab.worlds.drawing import Pose, render
from reidlab.worlds.pedestrians import (
    Camera,
    Identity,
    check_world,
    differences,
    identities,
    random_camera,
    random_identity,
)

SPEED = 1.2  # image heights per frame, per unit of swing x cadence
CADENCE, SWING, BOB = (0.1, 0.25), (0.02, 0.1), (0.0, 0.05)  # ranges of a random gait
KINDS = ("occlusion", "miss", "blur")


@dataclass(frozen=True)
class Gait:
    """How a person walks: ``cadence`` (leg-swing cycles per frame), ``swing`` (how far a foot
    swings, in body heights) and ``bob`` (how far the body sinks when the legs are furthest apart)."""

    cadence: float
    swing: float
    bob: float

    @property
    def speed(self) -> float:
        """Image heights per frame: ``SPEED * swing * cadence``."""
        return SPEED * self.swing * self.cadence


def random_gait(g: torch.Generator) -> Gait:
    draw = [lo + (hi - lo) * torch.rand(1, generator=g).item() for lo, hi in (CADENCE, SWING, BOB)]
    return Gait(*draw)


def gait_distance(a: Gait, b: Gait) -> float:
    """How differently two people walk: the largest difference of the three parameters, each as a
    share of its range (0: the same gait, 1: opposite ends of a range)."""
    return max(
        abs(x - y) / (hi - lo)
        for x, y, (lo, hi) in zip(
            (a.cadence, a.swing, a.bob), (b.cadence, b.swing, b.bob), (CADENCE, SWING, BOB), strict=True
        )
    )


@dataclass(frozen=True)
class Walkers:
    """People for clips: ``identities[i]`` walks with ``gaits[i]``. ``look_alikes`` and
    ``walk_alikes`` are index pairs ``(i, j)``: one detail of clothing apart but walking
    differently (gait distance at least 0.4), and looking different but walking alike."""

    identities: list[Identity]
    gaits: list[Gait]
    look_alikes: list[tuple[int, int]]
    walk_alikes: list[tuple[int, int]]


def walkers(n: int, look_alike_share: float, walk_alike_share: float, g: torch.Generator) -> Walkers:
    """``n`` people; look-alike pairs as in :func:`reidlab.worlds.pedestrians.identities`, each walking
    differently; then, with probability ``walk_alike_share``, a person (not in a pair yet) copies
    the gait of the person before (who looks different)."""
    people = identities(n, look_alike_share, g)
    gaits, look_alikes, alike = [], [], []
    paired: set[int] = set()
    for i, person in enumerate(people):
        gait = random_gait(g)
        if i and len(differences(person, people[i - 1])) == 1:
            while gait_distance(gait, gaits[i - 1]) < 0.4:  # a look-alike walks differently
                gait = random_gait(g)
            look_alikes.append((i - 1, i))
            paired |= {i - 1, i}
        elif i and i - 1 not in paired and torch.rand(1, generator=g).item() < walk_alike_share:
            gait = gaits[i - 1]
            alike.append((i - 1, i))
            paired |= {i - 1, i}
        gaits.append(gait)
    return Walkers(people, gaits, look_alikes, alike)


def walk_poses(gaits: list[Gait], frames: int, g: torch.Generator) -> Pose:
    """The :class:`~reidlab.worlds.drawing.Pose` of ``frames`` frames for each gait (one clip
    each, clip after clip): a random phase and start per clip; the frames of a clip share a
    scene (the clip's first frame)."""
    n = len(gaits)
    cadence, swing, bob, speed = (
        torch.tensor([getattr(w, f) for w in gaits]).view(n, 1) for f in ("cadence", "swing", "bob", "speed")
    )
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)
    start = 0.03 * (2 * torch.rand(n, 1, generator=g) - 1)
    t = torch.arange(frames, dtype=torch.float32).view(1, frames)
    wave = torch.sin(2 * math.pi * cadence * t + phase)
    return Pose(
        scene=(torch.arange(n) * frames).repeat_interleave(frames),
        x=(start + speed * (t - (frames - 1) / 2)).flatten(),
        stride=(swing * wave).flatten(),
        lift=(bob * wave.abs()).flatten(),
    )


@dataclass(frozen=True)
class ClipSet:
    """Clips ``(N, T, 3, H, W)`` in [0, 1] with identity ``pids`` and camera ``camids`` ``(N,)``,
    and ``corrupted`` ``(N, T)``: which frames :func:`corrupt` replaced."""

    clips: torch.Tensor
    pids: torch.Tensor
    camids: torch.Tensor
    corrupted: torch.Tensor

    def __len__(self) -> int:
        return len(self.pids)


@dataclass(frozen=True)
class ToyVideo:
    """Training clips and the test split: for every test person, the clip of the first camera
    that saw them is a query and the clips of the other cameras are the gallery (so every
    query has a true match, in another camera). Pids index ``train_walkers`` and
    ``test_walkers``; camids index ``cameras``."""

    train: ClipSet
    query: ClipSet
    gallery: ClipSet
    train_walkers: Walkers
    test_walkers: Walkers
    cameras: list[Camera]


def film(
    people: Walkers, cameras: list[Camera], frames: int, size: tuple[int, int], g: torch.Generator
) -> ClipSet:
    """One clip of every person in each of 2 to ``len(cameras)`` random cameras."""
    pids, camids = [], []
    for pid in range(len(people.identities)):
        n_seen = int(torch.randint(2, len(cameras) + 1, (1,), generator=g))
        for cam in sorted(torch.randperm(len(cameras), generator=g)[:n_seen].tolist()):
            pids.append(pid)
            camids.append(cam)
    chunks = []
    for i in range(0, len(pids), 32):  # 32 clips at a time keeps the masks small
        chunk_pids, chunk_cams = pids[i : i + 32], camids[i : i + 32]
        pose = walk_poses([people.gaits[p] for p in chunk_pids], frames, g)
        frame_people = [people.identities[p] for p in chunk_pids for _ in range(frames)]
        frame_cams = [cameras[c] for c in chunk_cams for _ in range(frames)]
        chunks.append(render(frame_people, frame_cams, g, size, pose).view(len(chunk_pids), frames, 3, *size))
    clips = torch.cat(chunks)
    return ClipSet(
        clips, torch.tensor(pids), torch.tensor(camids), torch.zeros(clips.shape[:2], dtype=torch.bool)
    )


def toy_video(
    n_train_ids: int = 150,
    n_test_ids: int = 100,
    n_cameras: int = 6,
    frames: int = 8,
    look_alike_share: float = 0.3,
    walk_alike_share: float = 0.3,
    size: tuple[int, int] = (64, 32),
    seed: int = 0,
) -> ToyVideo:
    """The toy video ReID data set, clean (no corrupted frames; see :func:`corrupt`):
    disjoint training and test people, each filmed once by 2 to ``n_cameras`` cameras."""
    check_world(n_train_ids, n_test_ids, n_cameras)
    if frames < 2:
        raise ValueError(f"frames must be at least 2 (a clip shows motion), got {frames}")
    for name, share in (("look_alike_share", look_alike_share), ("walk_alike_share", walk_alike_share)):
        if not 0 <= share < 1:
            raise ValueError(f"{name} must be in [0, 1), got {share}")
    if len(size) != 2 or min(size) < 16 or size[0] % 8 or size[1] % 8:
        raise ValueError(f"size must be (height, width), multiples of 8 and at least 16, got {size}")
    g = torch.Generator().manual_seed(seed)
    cameras = [random_camera(g) for _ in range(n_cameras)]
    train_people = walkers(n_train_ids, look_alike_share, walk_alike_share, g)
    test_people = walkers(n_test_ids, look_alike_share, walk_alike_share, g)
    train = film(train_people, cameras, frames, size, g)
    test = film(test_people, cameras, frames, size, g)
    first = torch.ones(len(test), dtype=torch.bool)
    first[1:] = test.pids[1:] != test.pids[:-1]  # each person's first camera
    return ToyVideo(
        train=train,
        query=_subset(test, first),
        gallery=_subset(test, ~first),
        train_walkers=train_people,
        test_walkers=test_people,
        cameras=cameras,
    )


def _subset(clips: ClipSet, keep: torch.Tensor) -> ClipSet:
    return ClipSet(clips.clips[keep], clips.pids[keep], clips.camids[keep], clips.corrupted[keep])


def motion_blur(frames: torch.Tensor, length: int = 7) -> torch.Tensor:
    """Frames ``(N, 3, H, W)`` smeared horizontally over ``length`` pixels (a box filter)."""
    kernel = torch.full((3, 1, 1, length), 1.0 / length)
    padded = F.pad(frames, (length // 2, length // 2, 0, 0), mode="replicate")
    return F.conv2d(padded, kernel, groups=3)


def corrupt(
    clips: ClipSet,
    cameras: list[Camera],
    g: torch.Generator,
    n_frames: int = 1,
    share: float = 1.0,
    kinds: tuple[str, ...] = KINDS,
) -> ClipSet:
    """A copy of ``clips`` in which a ``share`` of the clips (drawn from ``g``) have ``n_frames``
    random frames replaced, each by a random one of ``kinds``:

    * ``"occlusion"``: a box of one colour covers 40-60 % of the frame, from a side or below;
    * ``"miss"``: the detector's crop shows the camera's background or another person;
    * ``"blur"``: the person moved fast (:func:`motion_blur` over 7 pixels).
    """
    n, frames, _, height, width = clips.clips.shape
    if not 0 <= n_frames <= frames:
        raise ValueError(f"n_frames must be between 0 and the clip length {frames}, got {n_frames}")
    if not 0 <= share <= 1:
        raise ValueError(f"share must be in [0, 1], got {share}")
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"kinds must be a non-empty tuple of {KINDS}, got {kinds}")
    hit = torch.rand(n, generator=g) < share
    order = torch.rand(n, frames, generator=g).argsort(dim=1)
    mask = torch.zeros(n, frames, dtype=torch.bool)
    mask[hit.nonzero().flatten()[:, None], order[hit, :n_frames]] = True
    out = clips.clips.clone()
    which = mask.nonzero()  # (M, 2): clip, frame
    kind = torch.tensor([KINDS.index(k) for k in kinds])[
        torch.randint(len(kinds), (len(which),), generator=g)
    ]
    for k, name in enumerate(KINDS):
        rows = which[kind == k]
        if len(rows) == 0:
            continue
        frames_k = out[rows[:, 0], rows[:, 1]]
        if name == "blur":
            frames_k = motion_blur(frames_k)
        elif name == "occlusion":
            frames_k = _occlude(frames_k, g)
        else:
            frames_k = _miss([cameras[int(c)] for c in clips.camids[rows[:, 0]]], (height, width), g)
        out[rows[:, 0], rows[:, 1]] = frames_k
    return replace(clips, clips=out, corrupted=clips.corrupted | mask)


def _occlude(frames: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    m, _, height, width = frames.shape
    cover = 0.4 + 0.2 * torch.rand(m, 1, 1, generator=g)
    ys = (torch.arange(height) + 0.5).view(1, -1, 1) / height
    xs = (torch.arange(width) + 0.5).view(1, 1, -1) / width
    side = torch.rand(m, 1, 1, generator=g)  # below, from the left or from the right
    box = torch.where(side < 1 / 3, ys > 1 - cover, torch.where(side < 2 / 3, xs < cover, xs > 1 - cover))
    colour = torch.rand(m, 3, 1, 1, generator=g)
    return torch.where(box.unsqueeze(1), colour, frames)


def _miss(cameras: list[Camera], size: tuple[int, int], g: torch.Generator) -> torch.Tensor:
    """A crop of the background (the person off the image) or of a random other person."""
    m = len(cameras)
    people = [random_identity(g) for _ in range(m)]
    empty = torch.rand(m, generator=g) < 0.5
    pose = Pose(
        scene=torch.arange(m),
        x=torch.where(empty, 10.0, 0.0),  # ten image heights to the side: out of the picture
        stride=torch.full((m,), 0.03),
        lift=torch.zeros(m),
    )
    return render(people, cameras, g, size, pose)
