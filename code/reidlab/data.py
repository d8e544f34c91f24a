"""Deterministic synthetic data for the chapters. Nothing is downloaded: every data set is
generated from a seed, so the same machine prints the same numbers on every build.

* :func:`scaled_gallery` (chapter *Euclidean or cosine distance?*): feature vectors whose
  direction encodes the identity and whose length varies for reasons unrelated to identity.
* :func:`camera_features` (chapter *How ReID is scored*): feature vectors of people seen by
  several cameras, where images from one camera resemble each other, plus distractors.
* :func:`two_class` (chapter *Classification losses and outliers*): two 2-D classes with
  controllable imbalance, far outliers and label noise.
* :func:`caption_scenes` (chapter *Attention*): images of 2-4 coloured shapes
  with captions that name them in reading order, and each shape's pixels.

The toy ReID world (pedestrians, cameras, Market-style splits) has a vocabulary of its own and
lives in :mod:`reidlab.pedestrians`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Gallery:
    """Features and identity labels: ``features`` is ``(N, D)``, ``ids`` is ``(N,)``."""

    features: torch.Tensor
    ids: torch.Tensor


def scaled_gallery(
    n_ids: int = 10,
    per_id: int = 6,
    dim: int = 64,
    spread: float = 0.35,
    scale_range: tuple[float, float] = (0.3, 3.0),
    seed: int = 0,
) -> Gallery:
    r"""Features :math:`x = s \cdot (\mu_{c} + \sigma \epsilon)` with identity direction
    :math:`\mu_c` (unit length), noise :math:`\epsilon \sim \mathcal N(0, I/D)` and a length
    :math:`s` drawn log-uniformly from ``scale_range``, independent of the identity.

    The length stands for what changes a real feature's norm but not who the person is
    (image quality, contrast, how confident the network is).
    """
    if n_ids < 1 or per_id < 1 or dim < 2:
        raise ValueError("n_ids and per_id must be >= 1, dim >= 2")
    lo, hi = scale_range
    if not 0 < lo <= hi:
        raise ValueError(f"scale_range must satisfy 0 < low <= high, got {scale_range}")
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_ids, dim, generator=g)
    centres = centres / centres.norm(dim=1, keepdim=True)  # (C, D) identity directions
    ids = torch.arange(n_ids).repeat_interleave(per_id)  # (N,)
    noise = torch.randn(len(ids), dim, generator=g) / dim**0.5  # (N, D), |noise| ~ 1
    log_s = torch.empty(len(ids)).uniform_(
        torch.log(torch.tensor(lo)), torch.log(torch.tensor(hi)), generator=g
    )
    features = log_s.exp().unsqueeze(1) * (centres[ids] + spread * noise)
    return Gallery(features=features, ids=ids)


def split_queries(gallery: Gallery) -> tuple[Gallery, Gallery]:
    """The first sample of every identity becomes a query; the rest stay in the gallery."""
    first = torch.ones_like(gallery.ids, dtype=torch.bool)
    first[1:] = gallery.ids[1:] != gallery.ids[:-1]
    return (
        Gallery(gallery.features[first], gallery.ids[first]),
        Gallery(gallery.features[~first], gallery.ids[~first]),
    )


@dataclass(frozen=True)
class CameraFeatures:
    """Feature vectors ``(N, D)`` with the person ``pids`` and camera ``camids`` ``(N,)`` of each."""

    features: torch.Tensor
    pids: torch.Tensor
    camids: torch.Tensor


def camera_features(
    n_ids: int = 100,
    n_cameras: int = 6,
    per_camera: int = 3,
    dim: int = 32,
    view_spread: float = 0.9,
    noise: float = 0.35,
    n_distractors: int = 0,
    seed: int = 0,
) -> tuple[CameraFeatures, CameraFeatures]:
    r"""A query set and a gallery of features, split as Market-1501 is (chapter *How ReID is
    scored*). Person :math:`p` (numbered from 1) is seen by 2 to ``n_cameras`` cameras,
    ``per_camera`` times by each; an image of :math:`p` from camera :math:`c` is

    .. math:: x = \mu_p + s\,v_{p,c} + \sigma\,\epsilon,

    with unit identity direction :math:`\mu_p`, a *view* :math:`v_{p,c} \sim \mathcal N(0, I/D)`
    that all of :math:`p`'s images from camera :math:`c` share (same angle, same light),
    :math:`s` = ``view_spread`` and noise :math:`\sigma` = ``noise``. So two images from one
    camera are much closer than two from different cameras, as in real ReID data.

    For every (person, camera) the first image is a query, the rest go to the gallery, with
    ``n_distractors`` random features of nobody (person 0, as Market-1501 labels its false
    detections) from random cameras.
    """
    if n_ids < 1 or n_cameras < 2 or per_camera < 2 or dim < 2 or n_distractors < 0:
        raise ValueError("need n_ids >= 1, n_cameras >= 2, per_camera >= 2, dim >= 2, n_distractors >= 0")
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_ids, dim, generator=g)
    centres = centres / centres.norm(dim=1, keepdim=True)  # (P, D)
    feats, pids, camids, first = [], [], [], []
    for p in range(n_ids):
        n_seen = int(torch.randint(2, n_cameras + 1, (1,), generator=g))
        for c in sorted(torch.randperm(n_cameras, generator=g)[:n_seen].tolist()):
            view = view_spread * torch.randn(dim, generator=g) / dim**0.5  # shared by this camera's images
            shots = centres[p] + view + noise * torch.randn(per_camera, dim, generator=g) / dim**0.5
            feats.append(shots)
            pids += [p + 1] * per_camera
            camids += [c] * per_camera
            first += [True] + [False] * (per_camera - 1)
    x, pid, cam, is_query = torch.cat(feats), torch.tensor(pids), torch.tensor(camids), torch.tensor(first)
    junk = torch.randn(n_distractors, dim, generator=g)
    junk = junk / junk.norm(dim=1, keepdim=True) * (1 + view_spread**2 + noise**2) ** 0.5  # typical length
    junk_cams = torch.randint(n_cameras, (n_distractors,), generator=g)
    query = CameraFeatures(x[is_query], pid[is_query], cam[is_query])
    gallery = CameraFeatures(
        torch.cat([x[~is_query], junk]),
        torch.cat([pid[~is_query], torch.zeros(n_distractors, dtype=torch.long)]),
        torch.cat([cam[~is_query], junk_cams]),
    )
    return query, gallery


@dataclass(frozen=True)
class TwoClass:
    """2-D points ``x`` ``(N, 2)``, labels ``y`` ``(N,)`` in {-1, +1} as given for training, the
    class each point was drawn from ``true_y`` (differs from ``y`` where a label was flipped),
    and which points are outliers."""

    x: torch.Tensor
    y: torch.Tensor
    outlier: torch.Tensor
    true_y: torch.Tensor


def two_class(
    n_negative: int = 200,
    ratio: float = 1.0,
    n_outliers: int = 0,
    outlier_distance: float = 6.0,
    label_noise: float = 0.0,
    separation: float = 1.5,
    seed: int = 0,
) -> TwoClass:
    r"""Two Gaussian classes in 2-D, negatives around :math:`(-s, 0)`, positives around
    :math:`(+s, 0)` (unit variance, so the best boundary is :math:`x_1 = 0`), with three ways to
    make the training set hard (chapter *Classification losses and outliers*):

    * ``ratio``: negatives per positive (``n_negative / ratio`` positives, at least 2);
    * ``n_outliers`` points labelled negative but lying *beyond* the positive class, at
      :math:`x_1 = ` ``outlier_distance`` (so that far on the wrong side of the best boundary);
    * ``label_noise``: the share of points whose label is flipped at random.
    """
    if n_negative < 2 or ratio < 1 or n_outliers < 0 or not 0 <= label_noise < 0.5:
        raise ValueError("need n_negative >= 2, ratio >= 1, n_outliers >= 0, 0 <= label_noise < 0.5")
    g = torch.Generator().manual_seed(seed)
    n_pos = max(2, round(n_negative / ratio))
    centre = torch.tensor([separation, 0.0])
    neg = torch.randn(n_negative, 2, generator=g) - centre
    pos = torch.randn(n_pos, 2, generator=g) + centre
    out = torch.stack(
        [torch.full((n_outliers,), outlier_distance), 0.5 * torch.randn(n_outliers, generator=g)], dim=1
    )
    x = torch.cat([neg, pos, out])
    y = torch.cat([-torch.ones(n_negative), torch.ones(n_pos), -torch.ones(n_outliers)])
    flip = torch.rand(len(y), generator=g) < label_noise
    outlier = torch.cat(
        [torch.zeros(n_negative + n_pos, dtype=torch.bool), torch.ones(n_outliers, dtype=torch.bool)]
    )
    return TwoClass(x=x, y=torch.where(flip, -y, y), outlier=outlier, true_y=y)


def line_with_outliers(
    n: int = 20, n_outliers: int = 1, offset: float = 8.0, noise: float = 0.4, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Points on :math:`y = 0.5 x + 1` plus Gaussian noise, for :math:`x` in [0, 10], and
    ``n_outliers`` points near :math:`x = 9` lifted ``offset`` above the line (chapter *L1, L2,
    Huber and SSIM*). Returns ``x``, ``y`` and a mask of the outliers."""
    g = torch.Generator().manual_seed(seed)
    x = torch.linspace(0, 10, n, dtype=torch.float64)
    y = 0.5 * x + 1 + noise * torch.randn(n, generator=g, dtype=torch.float64)
    xo = 9.0 + 0.3 * torch.arange(n_outliers, dtype=torch.float64) - 0.15 * (n_outliers - 1)
    yo = 0.5 * xo + 1 + offset + noise * torch.randn(n_outliers, generator=g, dtype=torch.float64)
    mask = torch.cat([torch.zeros(n, dtype=torch.bool), torch.ones(n_outliers, dtype=torch.bool)])
    return torch.cat([x, xo]), torch.cat([y, yo]), mask


def scene(size: int = 64, seed: int = 0) -> torch.Tensor:
    """A grey test image ``(1, size, size)`` in [0, 1]: a smooth gradient, a few flat rectangles
    and discs with sharp edges, and a patch of fine stripes; enough of each kind of structure
    for losses to disagree about (chapter *L1, L2, Huber and SSIM*)."""
    g = torch.Generator().manual_seed(seed)
    u = torch.linspace(0, 1, size)
    yy, xx = torch.meshgrid(u, u, indexing="ij")
    angle = 2 * torch.pi * torch.rand(1, generator=g)
    img = 0.3 + 0.3 * (xx * torch.cos(angle) + yy * torch.sin(angle))
    for _ in range(4):
        x0, y0 = torch.rand(2, generator=g) * 0.8
        w, h = 0.1 + 0.3 * torch.rand(2, generator=g)
        inside = (xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)
        img = torch.where(inside, torch.rand(1, generator=g), img)
    for _ in range(3):
        cx, cy = torch.rand(2, generator=g)
        rad = 0.05 + 0.15 * torch.rand(1, generator=g)
        img = torch.where((xx - cx) ** 2 + (yy - cy) ** 2 < rad**2, torch.rand(1, generator=g), img)
    sx, sy = torch.rand(2, generator=g) * 0.6
    patch = (xx >= sx) & (xx < sx + 0.35) & (yy >= sy) & (yy < sy + 0.35)
    stripes = 0.5 + 0.4 * torch.sin(2 * torch.pi * xx * size / 6)
    img = torch.where(patch, stripes, img)
    return img.clamp(0, 1).unsqueeze(0)


def shifted_bars(
    n: int = 256, size: int = 24, shift: int = 3, p_left: float = 0.6, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs: a vertical bar at a random column. Targets: the same bar moved ``shift`` pixels
    left (probability ``p_left``) or right: an ambiguity no model can resolve, which shows
    what each loss predicts when unsure (chapter *L1, L2, Huber and SSIM*). ``(n, 1, size, size)`` each."""
    g = torch.Generator().manual_seed(seed)
    cols = torch.randint(shift + 2, size - shift - 3, (n,), generator=g)
    left = torch.rand(n, generator=g) < p_left
    target_cols = torch.where(left, cols - shift, cols + shift)
    grid = torch.arange(size)

    def bars(c: torch.Tensor) -> torch.Tensor:
        on_col = (grid[None, :] >= c[:, None]) & (grid[None, :] < c[:, None] + 2)  # (n, W): 2 px wide
        on_row = (grid >= size // 4) & (grid < 3 * size // 4)  # (H,)
        return (on_row[None, :, None] & on_col[:, None, :]).float().unsqueeze(1)

    return bars(cols), bars(target_cols)


SHAPES: dict[str, list[tuple[float, float]]] = {
    # convex outlines as (x, y) corners on a unit scale, centred on the origin
    "trapezoid": [(-0.8, 0.5), (0.8, 0.5), (0.45, -0.5), (-0.45, -0.5)],
    "square": [(-0.6, -0.6), (0.6, -0.6), (0.6, 0.6), (-0.6, 0.6)],
    "triangle": [(0.0, -0.7), (0.7, 0.5), (-0.7, 0.5)],
    "hexagon": [(0.7 * math.cos(k * math.pi / 3), 0.7 * math.sin(k * math.pi / 3)) for k in range(6)],
}


def shape_image(
    kind: str,
    size: int = 64,
    scale: float = 1.0,
    rotation: float = 0.0,
    offset: tuple[float, float] = (0.0, 0.0),
    noise: float = 0.0,
    seed: int = 0,
) -> torch.Tensor:
    """A bright shape on a dark background, ``(size, size)`` in [0, 1], edges anti-aliased
    (4 x 4 samples a pixel). ``kind``: ``"circle"`` or a key of :data:`SHAPES`; ``scale``
    relative to half the image; ``rotation`` in degrees; ``offset`` in pixels (x, y); ``noise``:
    the standard deviation of added Gaussian noise (chapter on image feature vectors)."""
    if kind != "circle" and kind not in SHAPES:
        raise ValueError(f"kind must be 'circle' or one of {list(SHAPES)}, got {kind!r}")
    if size < 4 or scale <= 0:
        raise ValueError("size must be at least 4 and scale positive")
    sub = 4
    u = (torch.arange(size * sub, dtype=torch.float64) + 0.5) / sub  # sample positions in pixels
    yy, xx = torch.meshgrid(u, u, indexing="ij")
    half = size / 2
    x = (xx - half - offset[0]) / (half * scale)
    y = (yy - half - offset[1]) / (half * scale)
    t = math.radians(rotation)
    x, y = x * math.cos(t) + y * math.sin(t), -x * math.sin(t) + y * math.cos(t)  # rotate the frame
    if kind == "circle":
        inside = x**2 + y**2 <= 0.6**2
    else:
        corners = SHAPES[kind]
        inside = torch.ones_like(x, dtype=torch.bool)
        for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
            cross = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)  # which side of each edge
            inside &= cross >= 0 if _clockwise(corners) else cross <= 0
    img = inside.double().view(size, sub, size, sub).mean(dim=(1, 3)).float()
    if noise > 0:
        img = img + noise * torch.randn(img.shape, generator=torch.Generator().manual_seed(seed))
    return img.clamp(0, 1)


def _clockwise(corners: list[tuple[float, float]]) -> bool:
    area = sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True)
    )
    return area > 0


def shape_set(
    n_per_kind: int = 8,
    size: int = 64,
    max_rotation: float = 30.0,
    max_shift: float = 6.0,
    scale_range: tuple[float, float] = (0.75, 1.05),
    noise: float = 0.05,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images of every kind of shape, each drawn ``n_per_kind`` times with a random rotation
    (up to ``max_rotation`` degrees either way), shift, scale and noise: ``(N, size, size)``
    images and ``(N,)`` labels (index into ``["circle", *SHAPES]``)."""
    kinds = ["circle", *SHAPES]
    g = torch.Generator().manual_seed(seed)
    images, labels = [], []
    for label, kind in enumerate(kinds):
        for i in range(n_per_kind):
            rot, dx, dy, sc = torch.rand(4, generator=g).tolist()
            images.append(
                shape_image(
                    kind,
                    size,
                    scale=scale_range[0] + sc * (scale_range[1] - scale_range[0]),
                    rotation=(2 * rot - 1) * max_rotation,
                    offset=((2 * dx - 1) * max_shift, (2 * dy - 1) * max_shift),
                    noise=noise,
                    seed=seed * 1000 + label * 100 + i,
                )
            )
            labels.append(label)
    return torch.stack(images), torch.tensor(labels)


#: Words of the toy captions: padding, start and end markers, then colours, then shape kinds.
CAPTION_COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.9, 0.15, 0.1),
    "green": (0.15, 0.75, 0.2),
    "blue": (0.2, 0.35, 0.95),
    "yellow": (0.95, 0.85, 0.15),
}
CAPTION_KINDS = ("circle", "square", "triangle")
VOCAB = ("<pad>", "<start>", "<end>", *CAPTION_COLOURS, *CAPTION_KINDS)


@dataclass(frozen=True)
class CaptionSet:
    """Images ``(N, 3, S, S)`` of 2-4 coloured shapes on a 3 x 3 grid, and their captions:
    ``tokens`` ``(N, L)`` (indices into :data:`VOCAB`: colour, kind, colour, kind, ..., then
    ``<end>``, padded with ``<pad>``), and ``masks`` ``(N, 4, S, S)``: the pixels of the j-th
    shape named, in reading order (rows top to bottom, left to right in a row)."""

    images: torch.Tensor
    tokens: torch.Tensor
    masks: torch.Tensor

    def __len__(self) -> int:
        return len(self.images)

    def words(self, i: int) -> list[str]:
        """The caption of image ``i`` as words, up to ``<end>``."""
        return caption_words(self.tokens[i])


def caption_words(tokens: torch.Tensor) -> list[str]:
    """A caption ``(L,)`` of indices into :data:`VOCAB` as words, up to ``<end>`` (or padding)."""
    words = []
    for t in tokens.tolist():
        if VOCAB[t] in ("<end>", "<pad>"):
            break
        words.append(VOCAB[t])
    return words


def caption_scenes(n: int, size: int = 48, seed: int = 0) -> CaptionSet:
    """``n`` images for the captioning task of the chapter *Attention*: 2-4 shapes (kind and
    colour at random) in distinct cells of a 3 x 3 grid, each jittered by up to a sixth of a
    cell and drawn with a random size, on a dark, noisy background. All drawn at once, from
    ``seed``."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if size < 24 or size % 3:
        raise ValueError(f"size must be a multiple of 3, at least 24, got {size}")
    g = torch.Generator().manual_seed(seed)
    slots, cell = 4, size / 3
    count = torch.randint(2, slots + 1, (n,), generator=g)
    cells = torch.rand(n, 9, generator=g).argsort(dim=1)[:, :slots].sort(dim=1).values  # reading order
    kind = torch.randint(len(CAPTION_KINDS), (n, slots), generator=g)
    colour = torch.randint(len(CAPTION_COLOURS), (n, slots), generator=g)
    jitter = (torch.rand(n, slots, 2, generator=g) - 0.5) * cell / 3
    radius = cell * (0.26 + 0.08 * torch.rand(n, slots, generator=g))
    cx = (cells % 3 + 0.5) * cell + jitter[..., 0]
    cy = (cells // 3 + 0.5) * cell + jitter[..., 1]
    u = torch.arange(size) + 0.5
    x, y = u.view(1, 1, 1, -1), u.view(1, 1, -1, 1)
    dx, dy = x - cx[..., None, None], y - cy[..., None, None]
    r = radius[..., None, None]
    circle = dx**2 + dy**2 <= r**2
    square = (dx.abs() <= 0.85 * r) & (dy.abs() <= 0.85 * r)
    triangle = (dy >= -r) & (dy <= 0.8 * r) & (dx.abs() <= (dy + r) / 1.8)
    shapes = torch.stack((circle, square, triangle), dim=2)  # (N, slots, kinds, S, S)
    masks = shapes.gather(2, kind[..., None, None, None].expand(-1, -1, 1, size, size)).squeeze(2)
    masks &= (torch.arange(slots) < count[:, None])[..., None, None]  # unused slots stay empty
    palette = torch.tensor(list(CAPTION_COLOURS.values()))  # (colours, 3)
    images = 0.12 + 0.04 * torch.randn(n, 3, size, size, generator=g)
    for j in range(slots):
        rgb = palette[colour[:, j]].view(n, 3, 1, 1)
        images = torch.where(masks[:, j, None], rgb + 0.04 * torch.randn(n, 3, 1, 1, generator=g), images)
    tokens = torch.full((n, 2 * slots + 1), VOCAB.index("<pad>"))
    first_colour, first_kind = VOCAB.index(next(iter(CAPTION_COLOURS))), VOCAB.index(CAPTION_KINDS[0])
    for j in range(slots):
        used = j < count
        tokens[used, 2 * j] = first_colour + colour[used, j]
        tokens[used, 2 * j + 1] = first_kind + kind[used, j]
    tokens[torch.arange(n), 2 * count] = VOCAB.index("<end>")
    return CaptionSet(images.clamp(0, 1), tokens, masks)
