"""Figures for the chapter *Classification losses and outliers*."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from reidlab.experiments.classification_losses import Fit, outlier_grid
from reidlab.losses.classification import MARGIN_LOSSES
from reidlab.plots import figure
from reidlab.worlds.vectors import TwoClass

#: One colour per loss, the same in every figure of the chapter.
LOSS_COLORS = {
    "0-1": "#999999",
    "logistic": "#0072B2",
    "exponential": "#D55E00",
    "hinge": "#009E73",
    "squared hinge": "#56B4E9",
    "squared error": "#E69F00",
    "savage": "#CC79A7",
}
MARGINS = torch.linspace(-3, 3, 61)  # smooth enough at 0.1 apart; every point is page weight


def loss_and_weight(m: float | None = None) -> Figure:
    r"""Every margin loss (left) and its training weight :math:`|\ell'(m)|` (middle) against the
    margin. With ``m``: a marker on every curve, and (right) each loss's value and weight there."""
    fig, axes = figure(9.0, 3.4, layout=None, ncols=3 if m is not None else 2)
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
    ax, bx = axes[0], axes[1]
    for name, ell in MARGIN_LOSSES.items():
        c = LOSS_COLORS[name]
        ax.plot(MARGINS, ell(MARGINS), color=c, lw=1.8, label=name)
        bx.plot(MARGINS, ell.weight(MARGINS), color=c, lw=1.8)
    for a, title in ((ax, "loss ℓ(m)"), (bx, "weight |ℓ′(m)|")):
        a.axvline(0, color="k", lw=0.6)
        a.set(xlim=(-3, 3), ylim=(0, 8), xlabel="margin m = y·f(x)", title=title)
    if m is None:
        ax.legend(loc="upper right", fontsize=8)
        return fig
    mt = torch.tensor([float(m)])
    names = list(MARGIN_LOSSES)
    values = [(MARGIN_LOSSES[n](mt).item(), MARGIN_LOSSES[n].weight(mt).item()) for n in names]
    for a, col in ((ax, 0), (bx, 1)):
        a.axvline(m, color="k", lw=0.8, ls=":")
        for n, v in zip(names, values, strict=True):
            a.plot([m], [min(v[col], 7.8)], "o", color=LOSS_COLORS[n], ms=5)
    cx = axes[2]
    weights = [w for _, w in values]
    cx.barh(names, [min(w, 8.0) for w in weights], color=[LOSS_COLORS[n] for n in names])
    for i, (lv, wv) in enumerate(values):
        cx.annotate(
            f"ℓ {lv:.2f}   w {wv:.2f}",
            (min(wv, 8.0), i),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    cx.set(xlim=(0, 14), title=f"at m = {m:g}: weight w", xlabel="w (bars stop at 8)")
    cx.invert_yaxis()
    cx.grid(axis="y", visible=False)
    cx.tick_params(axis="y", labelsize=8)
    return fig


def _boundary(ax, net, xlim: tuple[float, float], **kw) -> None:
    """Draw the line where the linear score w . x + b is zero."""
    w = net.net.weight.detach()[0].numpy()
    b = net.net.bias.detach()[0].item()
    xs = np.linspace(*xlim, 2)
    if abs(w[1]) > 1e-9:
        ax.plot(xs, -(w[0] * xs + b) / w[1], **kw)
    else:
        ax.axvline(-b / w[0], **kw)


def outlier_fits(fits: list[Fit], data: TwoClass, title: str = "") -> Figure:
    """One panel per loss: the training points, drawn with area proportional to their share of
    the training weight, the fitted boundary (solid) and the best one, x1 = 0 (dashed)."""
    fig, axes = figure(7.0, 4.6, layout=None, dpi=80, nrows=2, ncols=3, sharex=True, sharey=True)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.07, top=0.84, wspace=0.06, hspace=0.42)
    x, y, out = data.x.numpy(), data.y.numpy(), data.outlier.numpy()
    xlim, ylim = (-5.0, 11.0), (-3.6, 3.6)
    for ax, f in zip(axes.flat, fits, strict=True):
        size = 3 + 1000 * f.weights.numpy()
        for label, color in ((-1, "#0072B2"), (1, "#D55E00")):
            keep = (y == label) & ~out
            ax.scatter(x[keep, 0], x[keep, 1], s=size[keep], color=color, alpha=0.55, lw=0)
        ax.scatter(
            x[out, 0], x[out, 1], s=size[out] + 20, facecolor="#0072B2", edgecolor="k", lw=1.2, zorder=3
        )
        ax.axvline(0, color="k", lw=0.8, ls="--")
        _boundary(ax, f.net, xlim, color=LOSS_COLORS[f.loss], lw=2.2)
        pull = f.weights[data.outlier].sum().item()
        extra = f", outlier pulls {100 * pull:.0f}%" if out.any() else ""
        ax.set_title(f"{f.loss}\nclean acc {f.accuracy:.2f}{extra}", fontsize=8.5, color=LOSS_COLORS[f.loss])
        ax.set(xlim=xlim, ylim=ylim)
        ax.grid(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def outlier_frame(
    ratio: float, distance: float, grid: dict[tuple[float, float], tuple[TwoClass, list[Fit]]] | None = None
) -> Figure:
    """One frame of the chapter's outlier explorable: every loss fitted to 200 negatives, one
    positive per ``ratio`` negatives, and (if ``distance`` > 0) one mislabelled point that far
    beyond the boundary. Pass the ``grid`` of
    :func:`reidlab.experiments.classification_losses.outlier_grid` to draw fits made already."""
    data, fits = (grid or outlier_grid([ratio], [distance]))[(ratio, distance)]
    where = f"outlier at x = {distance:g}" if distance > 0 else "no outlier"
    return outlier_fits(fits, data, title=f"1 positive per {ratio:g} negatives, {where}")
