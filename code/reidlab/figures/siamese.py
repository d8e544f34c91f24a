"""Figures for the chapter *Siamese networks*."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from reidlab.evaluation import match_masks
from reidlab.losses.metric import contrastive_grad, contrastive_loss
from reidlab.plots import figure, show_image
from reidlab.worlds.pedestrians import ReidSet

PAIR_COLORS = {"same": "#0072B2", "different": "#D55E00"}


def _rgb(img: torch.Tensor) -> np.ndarray:
    return img.permute(1, 2, 0).numpy()


def people_across_cameras(split: ReidSet, pids: list[int], per_person: int = 6) -> Figure:
    """One row per identity in ``pids``: up to ``per_person`` of its images, one per camera
    first, each titled with its camera."""
    fig, axes = figure(
        0.75 * per_person + 0.4, 1.45 * len(pids), layout=None, nrows=len(pids), ncols=per_person
    )
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.01, top=0.95, wspace=0.08, hspace=0.3)
    for row, pid in zip(np.atleast_2d(axes), pids, strict=True):
        rows = torch.nonzero(split.pids == pid).flatten().tolist()
        first_per_camera = {int(split.camids[i]): i for i in reversed(rows)}  # one image per camera first
        order = list(first_per_camera.values()) + [i for i in rows if i not in first_per_camera.values()]
        for k, ax in enumerate(row):
            ax.axis("off")
            if k < len(order):
                i = order[k]
                show_image(ax, _rgb(split.images[i]), f"cam {int(split.camids[i])}")
        row[0].text(-0.35, 0.5, f"id {pid}", transform=row[0].transAxes, rotation=90, va="center", fontsize=9)
    return fig


def contrastive_frame(margin: float, distance: float) -> Figure:
    """The contrastive loss (left) and its slope (right) against the distance of a pair, for a
    pair of one person and a pair of two people, with both pairs at ``distance``."""
    d = torch.linspace(0, 2, 101, dtype=torch.float64)
    fig, (ax, bx) = figure(8.0, 3.1, layout=None, ncols=2)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.86, wspace=0.25)
    here = torch.tensor([distance], dtype=torch.float64)
    for name, colour in PAIR_COLORS.items():
        same = torch.full_like(d, name == "same", dtype=torch.bool)
        one = torch.tensor([name == "same"])
        loss, grad = contrastive_loss(here, one, margin).item(), contrastive_grad(here, one, margin).item()
        ax.plot(d, contrastive_loss(d, same, margin, "none"), color=colour, lw=2, label=f"{name} person")
        ax.plot([distance], [loss], "o", color=colour, ms=8)
        bx.plot(d, contrastive_grad(d, same, margin), color=colour, lw=2)
        bx.plot([distance], [grad], "o", color=colour, ms=8)
        bx.annotate(
            f"{grad:+.2f}",
            (distance, grad),
            xytext=(6, 6 if name == "same" else -14),
            textcoords="offset points",
            color=colour,
            fontsize=9,
        )
    for a in (ax, bx):  # few ticks: 102 frames are stored in the page, each must stay small
        a.axvline(margin, color="#555555", ls="--", lw=1)
        a.axvline(distance, color="#999999", lw=0.8)
        a.set_xlim(0, 2)
        a.set_xticks([0, 0.5, 1, 1.5, 2])
        a.set_xlabel("distance d between the two embeddings")
    ax.set_yticks([0, 1, 2])
    bx.set_yticks([-2, -1, 0, 1, 2])
    ax.text(margin, 1.9, " margin m", color="#555555", fontsize=8.5, va="top")
    ax.set(ylim=(0, 2.05), ylabel="loss ℓ(d)", title=f"loss, margin m = {margin:g}")
    ax.legend(loc="upper center", fontsize=8)
    bx.axhline(0, color="k", lw=0.6)
    bx.set(ylim=(-2.05, 2.05), ylabel="slope ∂ℓ/∂d", title="slope: + pulls together, − pushes apart")
    return fig


def loss_curve(history: list[float], window: int = 20) -> Figure:
    """Training loss per step, with a running mean over ``window`` steps."""
    fig, ax = figure(6.0, 2.6)
    h = np.asarray(history)
    ax.plot(h, color="#BBBBBB", lw=0.8, label="each step")
    smooth = np.convolve(h, np.ones(window) / window, mode="valid")
    ax.plot(np.arange(window - 1, len(h)), smooth, color="#0072B2", lw=2, label=f"mean of {window} steps")
    ax.set(xlabel="step", ylabel="contrastive loss", yscale="log")
    ax.legend(fontsize=8)
    return fig


def distance_histograms(pairs: dict[str, tuple[torch.Tensor, torch.Tensor, float]]) -> Figure:
    """Per method ``{name: (d, same, threshold)}``: histograms of the distances of same-person
    and different-person pairs, and the decision threshold (dashed). Each method's distances are
    divided by its median different-person distance, so that all share one scale."""
    fig, axes = figure(3.0 * len(pairs), 2.6, ncols=len(pairs))
    for ax, (name, (d, same, threshold)) in zip(np.atleast_1d(axes), pairs.items(), strict=True):
        scale = float(d[~same].median())
        bins = np.linspace(0, float(d.max()) / scale, 40)
        for label, mask in (("same", same), ("different", ~same)):
            ax.hist(
                (d[mask] / scale).numpy(),
                bins=bins,
                density=True,
                alpha=0.6,
                color=PAIR_COLORS[label],
                label=f"{label} person",
            )
        ax.axvline(threshold / scale, color="k", ls="--", lw=1)
        ax.set(title=name, xlabel="distance / median of different", yticks=[])
    np.atleast_1d(axes)[0].legend(fontsize=7.5)
    return fig


def roc_curves(curves: dict[str, tuple[torch.Tensor, torch.Tensor, float]]) -> Figure:
    """ROC curves ``{name: (fpr, tpr, auc)}``."""
    fig, ax = figure(4.0, 3.6)
    for name, (fpr, tpr, area) in curves.items():
        ax.plot(fpr, tpr, lw=2, label=f"{name} (AUC {area:.3f})")
    ax.plot([0, 1], [0, 1], color="#999999", ls=":", lw=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(fontsize=8, loc="lower right")
    return fig


def rankings(
    query: ReidSet, gallery: ReidSet, distmat: torch.Tensor, rows: list[int], top: int = 6
) -> Figure:
    """For each query index in ``rows``: the query, then its ``top`` closest gallery images
    (junk removed) with their distances, framed green if correct, red if not."""
    fig, axes = figure(0.8 * (top + 1) + 0.3, 1.55 * len(rows), layout=None, nrows=len(rows), ncols=top + 1)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93, wspace=0.12, hspace=0.35)
    _, junk = match_masks(query.pids, gallery.pids, query.camids, gallery.camids)
    for axrow, q in zip(np.atleast_2d(axes), rows, strict=True):
        order = torch.argsort(torch.where(junk[q], float("inf"), distmat[q]))[:top]
        show_image(axrow[0], _rgb(query.images[q]), "query")
        for ax, i in zip(axrow[1:], order.tolist(), strict=True):
            colour = "#009E73" if gallery.pids[i] == query.pids[q] else "#D55E00"
            show_image(ax, _rgb(gallery.images[i]), f"{float(distmat[q, i]):.2f}")
            ax.title.set_color(colour)
            h, w = gallery.images.shape[-2:]
            ax.add_patch(Rectangle((-0.5, -0.5), w, h, fill=False, lw=5, ec=colour))
    return fig
