"""A toy ReID world: cartoon pedestrians seen by several cameras.

Chapter *Siamese networks* and the chapters after it. Real ReID data sets cannot be downloaded
here, and a reader should be able to train on a laptop in seconds, so the book draws its own.
What makes ReID hard is kept on purpose:

* an **identity** is an appearance: colours and pattern of the top, colour and cut of the
  bottom, hair, body height and build, a bag or not (and on which shoulder);
* every **camera** sees everyone differently: its own illumination and colour cast, background
  and clutter, blur, and a chance that something stands in front of the person;
* every **image** has its own viewpoint (seen from the other side, i.e. mirrored), position,
  scale and stride;
* some identities are **look-alikes**: a copy of another identity with one detail changed.

The splits follow Market-1501 (Zheng et al., ICCV 2015): training and test identities are
disjoint; for every test identity and camera, one image is a query and the others go to the
gallery. Everything is drawn from one seed, so the same call gives the same images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import torch
import torch.nn.functional as F

from reidlab.filters import gaussian_blur

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
TOP_PATTERNS = ("plain", "stripes", "two-tone", "logo")
BOTTOMS = ("trousers", "shorts", "skirt")
BAGS = ("none", "left", "right")  # which shoulder, as the person sees it (a mirrored view swaps it)


@dataclass(frozen=True)
class Identity:
    """What a person looks like; colours are keys of :data:`COLOURS` (hair: of :data:`HAIR`)."""

    top: str
    top_pattern: str
    top_second: str  # the pattern's second colour
    bottom: str
    bottom_cut: str
    hair: str
    height: float  # relative body height, about 1
    build: float  # relative width, about 1
    bag: str
    bag_colour: str

    def mirrored(self) -> Identity | None:
        """How this person looks in a mirrored view, as an identity: the bag on the other
        shoulder. ``None`` if no identity looks like that: a two-tone top or a logo sits on one
        side of the chest, and a mirror moves it to the other (chapter *Siamese networks*)."""
        if self.top_pattern in ("two-tone", "logo"):
            return None
        return replace(self, bag={"left": "right", "right": "left"}.get(self.bag, self.bag))

    def describe(self) -> str:
        pattern = "" if self.top_pattern == "plain" else f" {self.top_pattern} ({self.top_second})"
        bag = "no bag" if self.bag == "none" else f"{self.bag_colour} bag on the {self.bag}"
        return f"{self.top}{pattern} top, {self.bottom} {self.bottom_cut}, {bag}"


@dataclass(frozen=True)
class Camera:
    """How one camera renders everyone: brightness ``gain``, RGB ``cast`` multipliers,
    ``background`` and ``floor`` colours, ``clutter`` (objects behind a person, per image, on
    average), ``blur`` (Gaussian sigma in pixels) and the probability of an ``occlusion``."""

    gain: float
    cast: tuple[float, float, float]
    background: tuple[float, float, float]
    floor: tuple[float, float, float]
    clutter: float
    blur: float
    occlusion: float


@dataclass(frozen=True)
class ReidSet:
    """Images ``(N, 3, H, W)`` in [0, 1] with identity ``pids`` and camera ``camids`` ``(N,)``.
    Indexing gives ``(image, pid, camid)``, so a ``torch.utils.data.DataLoader`` takes it as is."""

    images: torch.Tensor
    pids: torch.Tensor
    camids: torch.Tensor

    def __len__(self) -> int:
        return len(self.pids)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.images[i], self.pids[i], self.camids[i]


@dataclass(frozen=True)
class ToyReid:
    """The three splits, and the identities behind them. Training pids index
    ``train_identities``; query and gallery pids index ``test_identities``."""

    train: ReidSet
    query: ReidSet
    gallery: ReidSet
    train_identities: list[Identity]
    test_identities: list[Identity]


def _uniform(g: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * torch.rand(1, generator=g).item()


def _pick(g: torch.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(torch.randint(len(options), (1,), generator=g))]


def random_identity(g: torch.Generator) -> Identity:
    colours = list(COLOURS)
    top = _pick(g, colours)
    return Identity(
        top=top,
        top_pattern=_pick(g, TOP_PATTERNS),
        top_second=_pick(g, [c for c in colours if c != top]),
        bottom=_pick(g, colours),
        bottom_cut=_pick(g, BOTTOMS),
        hair=_pick(g, list(HAIR)),
        height=_uniform(g, 0.92, 1.04),
        build=_uniform(g, 0.85, 1.2),
        bag=_pick(g, BAGS),
        bag_colour=_pick(g, colours),
    )


def look_alike(person: Identity, g: torch.Generator) -> Identity:
    """The same person with exactly one detail changed: the hard negatives of the toy world."""
    detail = _pick(g, ("top_pattern", "bottom", "bottom_cut", "bag", "hair", "top_second"))
    options = {
        "top_pattern": TOP_PATTERNS,
        "bottom": list(COLOURS),
        "bottom_cut": BOTTOMS,
        "bag": BAGS,
        "hair": list(HAIR),
        "top_second": [c for c in COLOURS if c != person.top],
    }[detail]
    current = getattr(person, detail)
    if detail == "top_second" and person.top_pattern == "plain":
        return replace(person, top_pattern="logo")  # a second colour must show to count
    return replace(person, **{detail: _pick(g, [o for o in options if o != current])})


def differences(a: Identity, b: Identity) -> list[str]:
    """The details in which two identities differ (one, for a look-alike pair)."""
    return [f.name for f in fields(Identity) if getattr(a, f.name) != getattr(b, f.name)]


def look_alike_pairs(people: list[Identity]) -> list[tuple[int, int]]:
    """Indices ``(i, i + 1)`` of neighbours that differ in exactly one detail: the look-alike
    pairs that :func:`identities` places next to each other."""
    return [(i, i + 1) for i in range(len(people) - 1) if len(differences(people[i], people[i + 1])) == 1]


def random_camera(g: torch.Generator) -> Camera:
    def colour(lo: float, hi: float) -> tuple[float, float, float]:
        base = _uniform(g, lo, hi)
        return tuple(min(1.0, max(0.0, base + _uniform(g, -0.08, 0.08))) for _ in range(3))

    return Camera(
        gain=_uniform(g, 0.6, 1.25),
        cast=tuple(_uniform(g, 0.82, 1.18) for _ in range(3)),
        background=colour(0.25, 0.75),
        floor=colour(0.2, 0.6),
        clutter=_uniform(g, 0.0, 4.0),
        blur=_uniform(g, 0.0, 1.0),
        occlusion=_uniform(g, 0.0, 0.35),
    )


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


def render(
    people: list[Identity],
    cameras: list[Camera],
    g: torch.Generator,
    size: tuple[int, int] = (64, 32),
    pose: Pose | None = None,
) -> torch.Tensor:
    """Images ``(N, 3, H, W)``: ``people[i]`` seen through ``cameras[i]``, each with a random
    view drawn from ``g`` (mirror, position, scale, stride, clutter, occlusion, noise); a
    ``pose`` shares views between frames and sets where the body is (:class:`Pose`).

    All images are drawn at once: every body part is a mask over the whole batch, and a
    per-image parameter (a tensor of shape ``(N, 1, 1)``) says where it goes. Painting writes
    the part's number into a label map; colours are looked up once at the end."""
    if len(people) != len(cameras) or not people:
        raise ValueError(f"need one camera per person, got {len(people)} people, {len(cameras)} cameras")
    n, (h_px, w_px), ss = len(people), size, 2  # draw at twice the size, then average: smooth edges
    if pose is not None and any(len(t) != n for t in (pose.scene, pose.x, pose.stride, pose.lift)):
        raise ValueError(f"every field of pose must have one entry per image ({n})")
    # the same draws as without a pose; a pose makes each frame take its scene's draws
    scene = torch.arange(n) if pose is None else pose.scene
    ys = (torch.arange(h_px * ss) + 0.5) / (h_px * ss)  # 0 at the top, 1 at the bottom
    xs = ((torch.arange(w_px * ss) + 0.5) / (w_px * ss) - 0.5) * (w_px / h_px)  # same unit as y
    y, x = ys.view(1, -1, 1), xs.view(1, 1, -1)  # (1, H, 1) and (1, 1, W): masks broadcast

    def per_image(values: list[float]) -> torch.Tensor:  # (N, 1, 1), broadcasts against y, x
        return torch.tensor(values, dtype=torch.float32).view(n, 1, 1)

    def rgb(values: list[tuple[float, float, float]]) -> torch.Tensor:  # (N, 3, 1, 1)
        return torch.tensor(values, dtype=torch.float32).view(n, 3, 1, 1)

    def rand(*shape: int) -> torch.Tensor:  # (N, *shape), one draw per image (per scene)
        return torch.rand(n, *shape, generator=g)[scene]

    def uniform(lo: float, hi: float) -> torch.Tensor:  # (N, 1, 1)
        return lo + (hi - lo) * rand(1, 1)

    def has(attribute: str, value: str) -> torch.Tensor:  # (N, 1, 1): which people have it
        return torch.tensor([getattr(p, attribute) == value for p in people]).view(n, 1, 1)

    def box(x0, x1, y0, y1) -> torch.Tensor:
        return ((x >= x0) & (x < x1)) & ((y >= y0) & (y < y1))  # (N, 1, W) & (N, H, 1)

    labels = torch.zeros(n, len(ys), len(xs), dtype=torch.uint8)  # which paint each pixel shows
    palette = []  # (N, 3) colour of each paint, per image

    def paint(mask: torch.Tensor, colour: torch.Tensor) -> None:
        labels.masked_fill_(mask, len(palette))
        palette.append(colour.reshape(-1, 3).expand(n, 3))

    # background: the camera's wall and floor, and up to 8 objects behind the person
    paint(torch.ones(1, 1, 1, dtype=torch.bool), rgb([c.background for c in cameras]))
    paint((y > uniform(0.78, 0.88)), rgb([c.floor for c in cameras]))
    n_objects = torch.poisson(torch.tensor([c.clutter for c in cameras]), generator=g)[scene]
    for k in range(8):
        x0, y0 = uniform(-0.3, 0.25), uniform(0.0, 0.8)
        obj = box(x0, x0 + uniform(0.03, 0.2), y0, y0 + uniform(0.05, 0.4))
        paint(obj & (k < n_objects).view(n, 1, 1), rand(3, 1, 1))

    # the person, standing on the floor, centred near x = 0
    h = 0.86 * per_image([p.height for p in people]) * uniform(0.93, 1.05)
    cx, top = uniform(-0.03, 0.03), 0.97 - h + uniform(-0.02, 0.01)
    build = per_image([p.build for p in people])
    half = 0.085 * h * build  # half the torso's width
    stride, ground = uniform(0.0, 0.06) * h, top + h
    if pose is not None:  # walking: the body moves across, swings its legs and sinks (not the feet)
        cx, stride = pose.x.view(n, 1, 1), pose.stride.view(n, 1, 1) * h
        top = top + pose.lift.view(n, 1, 1) * h
    torso_top, hip = top + 0.14 * h, top + 0.50 * h
    leg_w = 0.05 * h * build
    top_rgb, second = rgb([COLOURS[p.top] for p in people]), rgb([COLOURS[p.top_second] for p in people])
    bottom_rgb, skin = rgb([COLOURS[p.bottom] for p in people]), torch.tensor(SKIN)

    for side in (-1, 1):  # legs, slanting apart towards the ground by the stride
        along = ((y - hip) / (ground - hip)).clamp(0, 1)
        leg = ((x - cx - side * (0.03 * h + stride * along)).abs() < leg_w / 2) & (y >= hip) & (y < ground)
        paint(leg, skin)
        covered = (has("bottom_cut", "trousers") & (y < ground - 0.03 * h)) | (
            has("bottom_cut", "shorts") & (y < hip + 0.18 * h)
        )
        paint(leg & covered, bottom_rgb)
        paint(leg & (y >= ground - 0.03 * h), torch.tensor(COLOURS["black"]))  # shoes
    skirt = ((x - cx).abs() < half + (y - hip) * 0.45) & (y >= hip - 0.01) & (y < hip + 0.22 * h)
    waist = box(cx - half, cx + half, hip - 0.01, hip + 0.06 * h)
    paint(torch.where(has("bottom_cut", "skirt"), skirt, waist), bottom_rgb)

    sleeve = 0.035 * h
    torso = box(cx - half, cx + half, torso_top, hip)
    arms = box(cx - half - sleeve, cx + half + sleeve, torso_top + 0.01, torso_top + 0.3 * h) & ~torso
    paint(torso | arms, top_rgb)
    hands = box(cx - half - sleeve, cx + half + sleeve, torso_top + 0.3 * h, torso_top + 0.34 * h)
    paint(hands & ~torso, skin)
    stripes = has("top_pattern", "stripes") & (((y - torso_top) / (0.05 * h)).floor() % 2 == 1)
    two_tone = has("top_pattern", "two-tone") & (x < cx)
    chest = box(cx - 0.6 * half, cx - 0.1 * half, torso_top + 0.05 * h, torso_top + 0.12 * h)
    logo = has("top_pattern", "logo") & chest
    paint(((torso | arms) & (stripes | two_tone)) | logo, second)

    head_y, head_r = top + 0.07 * h, 0.065 * h
    head = ((x - cx) / (0.8 * head_r)) ** 2 + ((y - head_y) / head_r) ** 2 < 1
    paint(head, skin)
    paint(head & (y < head_y - 0.2 * head_r), rgb([HAIR[p.hair] for p in people]))

    side = per_image([{"none": 0, "left": -1, "right": 1}[p.bag] for p in people])
    bag_x, bag_rgb = cx + side * (half + 0.05 * h), rgb([COLOURS[p.bag_colour] for p in people])
    bag = box(bag_x - 0.05 * h, bag_x + 0.05 * h, hip - 0.08 * h, hip + 0.06 * h)
    strap = ((x - cx) + side * (y - torso_top) * 0.5 - side * 0.5 * half).abs() < 0.012
    paint((bag | (strap & torso)) & (side != 0), bag_rgb)

    # occlusion: something in front of the person, from below or from one side
    occluded = rand() < torch.tensor([c.occlusion for c in cameras])
    from_below = rand() < 0.5
    width, left = uniform(0.11, 0.17), rand(1, 1) < 0.5
    start = torch.where(left, -0.25, 0.25 - width + 0.05)
    front = torch.where(from_below.view(n, 1, 1), y > uniform(0.45, 0.7), (x >= start) & (x < start + width))
    paint(front & occluded.view(n, 1, 1), rand(3, 1, 1))

    colours = torch.stack(palette, dim=1)  # (N, paints, 3)
    img = colours[torch.arange(n)[:, None, None], labels.long()].permute(0, 3, 1, 2)  # (N, 3, H, W)
    img = F.avg_pool2d(img, ss)
    mirrored = rand() < 0.5  # seen from the other side (for a clip: walking the other way)
    img = torch.where(mirrored.view(n, 1, 1, 1), img.flip(-1), img)
    for sigma in {c.blur for c in cameras}:
        same = torch.tensor([c.blur == sigma for c in cameras])
        if sigma >= 0.2:  # below that, a blur changes nothing visible
            img[same] = gaussian_blur(img[same], sigma, radius=math.ceil(2.5 * sigma), padding="replicate")
    img = img * torch.tensor([[c.gain * k for k in c.cast] for c in cameras]).view(n, 3, 1, 1)
    img = img + 0.02 * torch.randn(img.shape, generator=g)
    return img.clamp(0, 1)


def identities(n: int, look_alike_share: float, g: torch.Generator) -> list[Identity]:
    """``n`` identities; after each new one, with probability ``look_alike_share``, comes its
    look-alike (so look-alike pairs sit next to each other and in the same split)."""
    people: list[Identity] = []
    while len(people) < n:
        people.append(random_identity(g))
        if len(people) < n and torch.rand(1, generator=g).item() < look_alike_share:
            people.append(look_alike(people[-1], g))
    return people


def _photograph(
    people: list[Identity],
    cameras: list[Camera],
    per_camera: int,
    min_cameras: int,
    size: tuple[int, int],
    g: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each person is seen by a random set of at least ``min_cameras`` cameras, ``per_camera``
    times each. Returns images, pids, camids and each image's shot number within its camera."""
    pids, camids, shots = [], [], []
    for pid in range(len(people)):
        n_seen = int(torch.randint(min_cameras, len(cameras) + 1, (1,), generator=g))
        for cam in sorted(torch.randperm(len(cameras), generator=g)[:n_seen].tolist()):
            pids += [pid] * per_camera
            camids += [cam] * per_camera
            shots += list(range(per_camera))
    batches = [
        render([people[p] for p in pids[i : i + 256]], [cameras[c] for c in camids[i : i + 256]], g, size)
        for i in range(0, len(pids), 256)  # 256 images at a time keeps the masks small
    ]
    return torch.cat(batches), torch.tensor(pids), torch.tensor(camids), torch.tensor(shots)


def check_world(n_train_ids: int, n_test_ids: int, n_cameras: int) -> None:
    """The sizes every toy ReID world needs (still images and clips alike)."""
    if n_train_ids < 2 or n_test_ids < 2:
        raise ValueError(f"need at least 2 train and 2 test identities, got {n_train_ids} and {n_test_ids}")
    if n_cameras < 2:
        raise ValueError(f"n_cameras must be at least 2 (ReID matches across cameras), got {n_cameras}")


def toy_reid(
    n_train_ids: int = 150,
    n_test_ids: int = 100,
    n_cameras: int = 6,
    per_camera: int = 3,
    look_alike_share: float = 0.3,
    size: tuple[int, int] = (64, 32),
    seed: int = 0,
) -> ToyReid:
    """The toy ReID data set: ``n_train_ids`` training identities, ``n_test_ids`` disjoint test
    identities, each seen by 2 to ``n_cameras`` cameras, ``per_camera`` images each. For every
    test identity and camera the first image is a query, the others are gallery images."""
    check_world(n_train_ids, n_test_ids, n_cameras)
    if per_camera < 2:
        raise ValueError(f"per_camera must be at least 2 (one query, one gallery image), got {per_camera}")
    if not 0 <= look_alike_share < 1:
        raise ValueError(f"look_alike_share must be in [0, 1), got {look_alike_share}")
    if len(size) != 2 or min(size) < 16:
        raise ValueError(f"size must be (height, width), each at least 16, got {size}")
    g = torch.Generator().manual_seed(seed)
    cameras = [random_camera(g) for _ in range(n_cameras)]
    train_people = identities(n_train_ids, look_alike_share, g)
    test_people = identities(n_test_ids, look_alike_share, g)
    train = ReidSet(*_photograph(train_people, cameras, per_camera, 2, size, g)[:3])
    images, pids, camids, shots = _photograph(test_people, cameras, per_camera, 2, size, g)
    is_query = shots == 0
    return ToyReid(
        train=train,
        query=ReidSet(images[is_query], pids[is_query], camids[is_query]),
        gallery=ReidSet(images[~is_query], pids[~is_query], camids[~is_query]),
        train_identities=train_people,
        test_identities=test_people,
    )
