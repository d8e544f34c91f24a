"""Deterministic synthetic data for the chapters. Nothing is downloaded: every data set is
generated from a seed, so two builds of the book print the same numbers.

* :func:`scaled_gallery` (chapter *Euclidean or cosine distance?*): feature vectors whose
  direction encodes the identity and whose length varies for reasons unrelated to identity.
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
