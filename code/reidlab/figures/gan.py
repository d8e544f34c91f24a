"""Figures for the chapter *The discriminator loss* (``chapters/gan.md``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from matplotlib.figure import Figure

from reidlab.experiments.gan import GanRun, Mixture
from reidlab.losses.adversarial import GENERATOR_LOSSES, generator_logit_gradient
from reidlab.plots import figure

FORM_COLORS = {"saturating": "#D55E00", "non-saturating": "#0072B2"}
DATA_COLOR, D_COLOR = "#555555", "#009E73"
_D = torch.linspace(0.001, 0.999, 200, dtype=torch.float64)


def generator_losses(d: float | None = None) -> Figure:
    r"""The two generator losses (left) and the size of their gradient (right) against the
    discriminator's verdict on a fake, D(G(z)); the saturating one's gradient vanishes as the
    discriminator wins (D(G(z)) near 0).

    With ``d``: a marker at D(G(z)) = ``d`` on every curve, the values printed in the title.
    """
    fig, (ax, bx) = figure(7.6, 3.1, layout=None, ncols=2)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.86, wspace=0.28)
    losses = {"saturating": torch.log(1 - _D), "non-saturating": -torch.log(_D)}
    for form in GENERATOR_LOSSES:
        c = FORM_COLORS[form]
        ax.plot(_D, losses[form], color=c, lw=1.8, label=form)
        bx.plot(_D, generator_logit_gradient(_D, form).abs(), color=c, lw=1.8, label=form)
    ax.set(xlim=(0, 1), ylim=(-5, 5), xlabel="D(G(z))", title="generator's loss")
    bx.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="D(G(z))", title="gradient size |∂loss/∂logit|")
    ax.legend(loc="upper center", fontsize=8)
    if d is not None:
        dt = torch.tensor([d], dtype=torch.float64)
        sizes = []
        for form in GENERATOR_LOSSES:
            c = FORM_COLORS[form]
            lv = float(torch.log(1 - dt)) if form == "saturating" else float(-torch.log(dt))
            gv = float(generator_logit_gradient(dt, form).abs())
            sizes.append(gv)
            ax.plot([d], [max(min(lv, 4.9), -4.9)], "o", color=c, ms=6)
            bx.plot([d], [gv], "o", color=c, ms=6)
        for a in (ax, bx):
            a.axvline(d, color="k", lw=0.7, ls=":")
        bx.set_title(f"at D(G(z)) = {d:g}: saturating {sizes[0]:.2f}, non-sat. {sizes[1]:.2f}", fontsize=9)
    return fig


def _panel(ax: object, data: Mixture, run: GanRun, index: int, title: str) -> None:
    snap = run.snapshots[index]
    grid = run.grid
    ax.plot(grid, data.density(grid), color=DATA_COLOR, lw=1.6, label="data density")
    bins = torch.linspace(float(grid[0]), float(grid[-1]), 61)
    ax.hist(
        snap.samples.clamp(float(grid[0]), float(grid[-1])).numpy(),
        bins=bins.numpy(),
        density=True,
        color=FORM_COLORS[run.form],
        alpha=0.55,
        histtype="stepfilled",  # one outline, not a path per bar: a lighter frame to switch to
        label="generated",
    )
    ax.plot(grid, snap.d_on_grid, color=D_COLOR, lw=1.6, ls="--", label="D(x)")
    ax.set(xlim=(float(grid[0]), float(grid[-1])), ylim=(0, 1.3), xlabel="x")
    ax.set_title(f"{title}: mean D(G(z)) = {snap.d_on_fakes:.3f}", fontsize=9)


def training_frame(data: Mixture, runs: list[GanRun], index: int) -> Figure:
    """Two GANs side by side at one training step: the data's density (grey), a histogram of the
    generated samples (coloured) and the discriminator's output D(x) (dashed green); samples
    beyond the axis are piled at its ends."""
    fig, axes = figure(8.4, 3.0, layout=None, ncols=len(runs), squeeze=False)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.16, top=0.8, wspace=0.12)
    for ax, run in zip(axes[0], runs, strict=True):
        _panel(ax, data, run, index, run.form)
    axes[0][0].legend(loc="upper left", fontsize=8)
    fig.suptitle(f"generator step {runs[0].snapshots[index].step}", fontsize=10)
    return fig


def optimal_discriminator_check(
    x: torch.Tensor,
    p_data: torch.Tensor,
    p_g: torch.Tensor,
    d_star: torch.Tensor,
    d_trained: torch.Tensor,
    sampled: torch.Tensor | None = None,
) -> Figure:
    """Left: the two densities. Right: the optimal discriminator D*(x) and the trained one; with
    ``sampled`` (a boolean mask over ``x``), the points outside it, where almost no samples fall,
    are shaded in both panels."""
    fig, (ax, bx) = figure(7.6, 2.8, ncols=2)
    ax.plot(x, p_data, color=DATA_COLOR, lw=1.8, label="p_data")
    ax.plot(x, p_g, color=FORM_COLORS["saturating"], lw=1.8, label="p_g")
    ax.set(xlabel="x", ylabel="density", title="densities")
    ax.legend(fontsize=8)
    bx.plot(x, d_star, color="k", lw=2.4, label="D* = p_data / (p_data + p_g)")
    bx.plot(x, d_trained, color=D_COLOR, lw=1.6, ls="--", label="trained D")
    bx.set(xlabel="x", ylabel="D(x)", ylim=(0, 1.05), title="discriminator")
    if sampled is not None:
        if sampled.shape != x.shape or sampled.dtype != torch.bool:
            raise ValueError(f"sampled must be a boolean mask of shape {tuple(x.shape)}")
        for a in (ax, bx):
            a.fill_between(x, 0, 1, where=~sampled, color="#DDDDDD", transform=a.get_xaxis_transform(), lw=0)
        bx.fill_between([], [], color="#DDDDDD", label="few samples")
    bx.legend(fontsize=8, loc="upper left")
    return fig


def final_samples(data: Mixture, rows: dict[str, list[GanRun]], seeds: Sequence[int] | None = None) -> Figure:
    """Small multiples: one row per setting (``rows`` maps a label to runs, one per seed), each
    panel the data's density (grey), the last snapshot's generated samples (coloured) and D(x)
    (dashed green), on one axis from 0 to 1.6. ``seeds`` names the columns (default 0, 1, ...)."""
    ncols = max(len(r) for r in rows.values())
    seeds = list(range(ncols)) if seeds is None else list(seeds)
    if len(seeds) != ncols:
        raise ValueError(f"seeds must name the {ncols} columns, got {len(seeds)}")
    fig, axes = figure(1.7 * ncols + 0.4, 1.7 * len(rows) + 0.3, nrows=len(rows), ncols=ncols, squeeze=False)
    for i, (label, runs) in enumerate(rows.items()):
        for j, run in enumerate(runs):
            ax = axes[i][j]
            snap, grid = run.snapshots[-1], run.grid
            ax.plot(grid, data.density(grid), color=DATA_COLOR, lw=1.2)
            ax.hist(
                snap.samples.clamp(float(grid[0]), float(grid[-1])).numpy(),
                bins=60,
                density=True,
                range=(float(grid[0]), float(grid[-1])),
                color=FORM_COLORS[run.form],
                alpha=0.55,
                histtype="stepfilled",
            )
            ax.plot(grid, snap.d_on_grid, color=D_COLOR, lw=1.0, ls="--")
            ax.set(xlim=(float(grid[0]), float(grid[-1])), ylim=(0, 1.6), yticks=[0, 0.5, 1])
            ax.set_title(f"{label}, seed {seeds[j]}", fontsize=8)
            ax.tick_params(labelsize=7)
            if j == 0:  # D(x) is a probability, read on the same axis as the densities
                ax.set_ylabel("D(x), density", fontsize=7)
            else:
                ax.tick_params(labelleft=False)
    return fig
