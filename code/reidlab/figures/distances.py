"""Figures for the chapter *Euclidean or cosine distance?* (``chapters/distances.md``)."""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from reidlab.distances import cosine_distance, euclidean, l2_normalize
from reidlab.plots import COLORS, figure

#: The fixed vector a of the two-vector figure (length 1.6, pointing right).
A_VECTOR = (1.6, 0.0)


def two_vector_distances(angle_deg: float, length: float) -> dict[str, float]:
    """Distances between the fixed vector ``a`` and ``b`` at ``angle_deg`` with ``length``."""
    a = torch.tensor([A_VECTOR], dtype=torch.float64)
    t = math.radians(angle_deg)
    b = torch.tensor([[length * math.cos(t), length * math.sin(t)]], dtype=torch.float64)
    return {
        "‖a − b‖": euclidean(a, b).item(),
        "‖â − b̂‖": euclidean(l2_normalize(a), l2_normalize(b)).item(),
        "1 − cos": cosine_distance(a, b).item(),
    }


def two_vectors(angle_deg: float, length: float) -> Figure:
    """Left: vectors a and b, their unit versions on the unit circle and both differences.
    Right: the three distances as bars on a fixed scale, so frames compare at a glance."""
    if length <= 0:
        raise ValueError(f"length must be positive, got {length}")
    fig, (ax, bx) = figure(7.6, 3.4, layout=None, ncols=2, width_ratios=[1.35, 1.0])
    fig.subplots_adjust(left=0.05, right=0.97, bottom=0.1, top=0.9, wspace=0.3)
    a = np.array(A_VECTOR)
    t = math.radians(angle_deg)
    b = length * np.array([math.cos(t), math.sin(t)])
    a_hat, b_hat = a / np.linalg.norm(a), b / np.linalg.norm(b)

    ax.add_patch(Circle((0, 0), 1.0, fill=False, ls="--", lw=0.8, color=COLORS["neutral"]))
    arrow = {"width": 0.03, "length_includes_head": True, "head_width": 0.16, "head_length": 0.2}
    ax.arrow(0, 0, *a, color=COLORS["euclidean"], **arrow)
    ax.arrow(0, 0, *b, color=COLORS["cosine"], **arrow)
    ax.plot(*zip(a, b, strict=True), color=COLORS["euclidean"], lw=1.5, ls=":")
    ax.plot(*zip(a_hat, b_hat, strict=True), color=COLORS["normalised"], lw=2.0)
    ax.plot(*zip(a_hat, b_hat, strict=True), "o", color=COLORS["normalised"], ms=4)
    ax.annotate("a", a, xytext=(4, -12), textcoords="offset points")
    ax.annotate("b", b, xytext=(4, 4), textcoords="offset points")
    ax.set(xlim=(-3.2, 3.2), ylim=(-0.5, 3.2), aspect="equal", title="a, b and their unit vectors â, b̂")

    d = two_vector_distances(angle_deg, length)
    names = list(d)
    colors = [COLORS["euclidean"], COLORS["normalised"], COLORS["cosine"]]
    bx.barh(names, [d[n] for n in names], color=colors)
    for i, n in enumerate(names):
        bx.annotate(f"{d[n]:.2f}", (d[n], i), xytext=(3, 0), textcoords="offset points", va="center")
    bx.set(xlim=(0, 5.2), title=f"angle {angle_deg:g}°, |b| = {length:g}")
    bx.invert_yaxis()
    bx.grid(axis="y", visible=False)
    return fig


def distance_vs_length(query: torch.Tensor, gallery: torch.Tensor, same_id: torch.Tensor) -> Figure:
    r"""For one query: each gallery item's distance against its feature length, for raw Euclidean
    (left) and cosine (right) distance; the query's own identity is highlighted, and a dashed
    line marks the query's own length (raw Euclidean distances are smallest near it, since
    :math:`\lVert q - g \rVert \ge \lvert \lVert q \rVert - \lVert g \rVert \rvert`).

    Args:
        query: ``(D,)``; gallery: ``(M, D)``; same_id: ``(M,)`` bool, True where the gallery
        item shows the query's identity.
    """
    from reidlab.distances import pairwise_distances

    if query.ndim != 1 or gallery.ndim != 2 or gallery.shape[1] != query.shape[0]:
        raise ValueError(
            f"query must be (D,) and gallery (M, D), got {tuple(query.shape)} and {tuple(gallery.shape)}"
        )
    if same_id.dtype != torch.bool or same_id.shape != gallery.shape[:1]:
        raise ValueError(f"same_id must be a bool tensor of shape ({gallery.shape[0]},), got {same_id.dtype}")
    lengths = gallery.norm(dim=1).numpy()
    fig, axes = figure(7.6, 3.0, ncols=2, sharex=True)
    for ax, metric, name in zip(
        axes, ("euclidean", "cosine"), ("Euclidean  ‖q − g‖", "cosine  1 − cos"), strict=True
    ):
        d = pairwise_distances(query[None], gallery, metric)[0].numpy()
        mask = same_id.numpy()
        q_len = query.norm().item()
        ax.axvline(q_len, color=COLORS["neutral"], ls="--", lw=1, label="the query's length ‖q‖")
        ax.scatter(
            lengths[~mask], d[~mask], s=14, color=COLORS["neutral"], alpha=0.6, label="other identities"
        )
        ax.scatter(lengths[mask], d[mask], s=40, color=COLORS["highlight"], marker="*", label="same identity")
        ax.set(xlabel="length of gallery feature ‖g‖", ylabel=name)
    axes[0].legend(loc="upper left", fontsize=8)
    return fig
