"""Seeded feature vectors and points: galleries whose vector length varies for reasons unrelated to
identity, features of people seen by several cameras, two 2-D classes with outliers and noisy
labels, and a line with outliers. Nothing is downloaded: every set is generated from a seed.

* :func:`scaled_gallery` (chapter *Euclidean or cosine distance?*): feature vectors whose
  direction encodes the identity and whose length varies for reasons unrelated to identity.
* :func:`camera_features` (chapter *How ReID is scored*): feature vectors of people seen by
  several cameras, where images from one camera resemble each other, plus distractors.
* :func:`two_class` (chapter *Classification losses and outliers*): two 2-D classes with
  controllable imbalance, far outliers and label noise.
* :func:`line_with_outliers` (chapter *L1, L2, Huber and SSIM*): points on a line, a few lifted.
"""

from __future__ import annotations

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
