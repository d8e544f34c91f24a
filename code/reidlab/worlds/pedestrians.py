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
gallery. Everything is drawn from one seed, so the same call gives the same images; the
drawing itself is :mod:`reidlab.worlds.drawing`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch

from reidlab.worlds.drawing import COLOURS, HAIR, render

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
