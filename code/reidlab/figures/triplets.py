"""Figures for the chapter *Triplet and quadruplet losses*."""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from reidlab._checks import lookup
from reidlab.losses.metric import batch_distances, triplet_loss
from reidlab.miners import all_triplets, batch_hard_triplets, semi_hard_triplets
from reidlab.plots import figure
from reidlab.tables import seed_table

IDENTITY_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
POSITIVE_LINE = {"color": "#444444", "lw": 0.9, "ls": "-", "alpha": 0.5}
NEGATIVE_LINE = {"color": "#888888", "lw": 0.9, "ls": ":", "alpha": 0.8}
MINING = ("all", "semi-hard", "batch-hard")


def toy_embedding() -> tuple[torch.Tensor, torch.Tensor]:
    """Sixteen points in the plane, four of each of four people ``(16, 2)`` and their labels;
    people 0 and 1 overlap a little (look-alikes), 2 and 3 are well apart."""
    g = torch.Generator().manual_seed(3)
    centres = torch.tensor([[-0.35, 0.1], [-0.05, 0.3], [0.55, -0.45], [0.35, 0.6]], dtype=torch.float64)
    labels = torch.arange(4).repeat_interleave(4)
    points = centres[labels] + 0.16 * torch.randn(16, 2, generator=g, dtype=torch.float64)
    return points, labels


def mined_pulls(
    points: torch.Tensor, labels: torch.Tensor, margin: float, mining: str
) -> tuple[tuple[torch.Tensor, ...], torch.Tensor, torch.Tensor]:
    """The triplets a miner picks, which of them are active (loss above 0), and the pull on every
    point: minus the gradient of the batch loss (batch-all: the mean over active triplets; the
    others: the mean over the mined ones)."""
    x = points.clone().requires_grad_()
    d = batch_distances(x)
    triplets = lookup(
        {
            "all": lambda: all_triplets(labels),
            "semi-hard": lambda: semi_hard_triplets(d, labels, margin),
            "batch-hard": lambda: batch_hard_triplets(d, labels),
        },
        mining,
        "mining",
    )()
    if len(triplets[0]) == 0:
        return triplets, torch.zeros(0, dtype=torch.bool), torch.zeros_like(points)
    losses = triplet_loss(d, triplets, margin, reduction="none")
    reduction = "mean_active" if mining == "all" else "mean"
    (grad,) = torch.autograd.grad(triplet_loss(d, triplets, margin, reduction=reduction), x)
    return triplets, (losses > 0).detach(), -grad


def mining_frame(margin: float, mining: str) -> Figure:
    """A 2-D embedding of four people, the triplets a miner picks at one margin (thin lines from
    each anchor of an active triplet: solid to its positive, dotted to its negative) and the
    pull the triplet loss puts on every point (arrows)."""
    points, labels = toy_embedding()
    triplets, active, pull = mined_pulls(points, labels, margin, mining)
    fig, ax = figure(5.2, 4.6, layout=None)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9)
    a, p, n = (t[active].tolist() for t in triplets)
    for pairs, style in (
        (set(zip(a, p, strict=True)), POSITIVE_LINE),
        (set(zip(a, n, strict=True)), NEGATIVE_LINE),
    ):
        for i, j in sorted(pairs):  # each (anchor, other) once, however many triplets share it
            ax.plot(*points[[i, j]].T.numpy(), zorder=1, **style)
    xy = points.numpy()
    for person in range(4):
        mine = (labels == person).numpy()
        ax.scatter(
            xy[mine, 0], xy[mine, 1], s=70, color=IDENTITY_COLORS[person], zorder=3, label=f"person {person}"
        )
    arrows = pull.numpy() * 1.5
    ax.quiver(
        xy[:, 0],
        xy[:, 1],
        arrows[:, 0],
        arrows[:, 1],
        angles="xy",
        scale_units="xy",
        scale=1,
        width=0.006,
        zorder=4,
    )
    n_all = len(triplets[0])
    ax.set_title(
        f"{mining}: {int(active.sum())} of {n_all} mined triplets active, margin {margin:g}", fontsize=9
    )
    ax.set(xlim=(-0.95, 1.1), ylim=(-1.0, 1.05), xticks=[], yticks=[], aspect="equal")
    ax.axis("off")
    ax.legend(loc="lower left", fontsize=7.5, ncol=2)
    return fig


def score_table(results: dict[str, torch.Tensor]) -> str:
    """``{method: (seeds, 4)}`` of rank-1, rank-5, mAP and the look-alike share of rank-1 misses,
    as text: mean ± standard deviation over the seeds (sample sd, n - 1)."""
    columns, fmt = ("rank-1", "rank-5", "mAP", "to look-alike"), (".3f", ".3f", ".3f", ".0%")
    return seed_table(results, columns=columns, fmt=fmt, sep="±", label_width=20, width=11)
