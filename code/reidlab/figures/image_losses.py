"""Figures for the chapter *L1, L2, Huber and SSIM*."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from reidlab.experiments.image_losses.linefit import fit_line
from reidlab.losses.regression import REGRESSION_LOSSES
from reidlab.plots import figure, show_image
from reidlab.worlds.vectors import line_with_outliers

#: Colour per regression loss, the same in every figure of the chapter.
REG_COLORS = {"L2": "#0072B2", "L1": "#D55E00", "Huber": "#009E73"}
REG_NAMES = {"L2": "L2 (squared)", "L1": "L1 (absolute)", "Huber": "Huber, δ = 1"}


def penalty(loss: str, r: torch.Tensor) -> torch.Tensor:
    """The per-point penalty rho(r) of each loss, through the tested loss functions."""
    zero = torch.zeros_like(r)
    return REGRESSION_LOSSES[loss](r, zero, reduction="none")


def line_fit_frame(offset: float, n_outliers: int) -> Figure:
    """Left: points, the true line (dashed) and the L1, L2 and Huber fits. Right: each loss's
    penalty curve, with a dot at every point's residual under that loss's own fit."""
    x, y, out = line_with_outliers(n_outliers=int(n_outliers), offset=float(offset))
    fig, (ax, bx) = figure(8.0, 3.3, layout=None, ncols=2, width_ratios=[1.1, 1.0])
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.88, wspace=0.22)
    xs = np.array([-0.5, 10.5])
    ax.plot(xs, 0.5 * xs + 1, "k--", lw=1, label="true line")
    ax.scatter(x[~out], y[~out], s=16, color="#555555", zorder=3)
    ax.scatter(x[out], y[out], s=40, facecolor="white", edgecolor="k", lw=1.2, zorder=3, label="outliers")
    r_axis = torch.linspace(-3, 22, 251, dtype=torch.float64)
    for loss, c in REG_COLORS.items():
        a, b = fit_line(x, y, loss)
        ax.plot(xs, a * xs + b, color=c, lw=2, label=f"{REG_NAMES[loss]}: slope {a:.2f}")
        bx.plot(r_axis, penalty(loss, r_axis), color=c, lw=1.8)
        r = y - (a * x + b)
        bx.scatter(r[~out], penalty(loss, r[~out]).clamp(max=24.5), s=10, color=c, alpha=0.6)
        bx.scatter(
            r[out], penalty(loss, r[out]).clamp(max=24.5), s=38, facecolor="white", edgecolor=c, lw=1.5
        )
    ax.set(
        xlim=(-0.5, 10.5),
        ylim=(-1, 24),
        xlabel="x",
        ylabel="y",
        title=f"{n_outliers} outlier(s), lifted by {offset:g}",
    )
    ax.legend(loc="upper left", fontsize=7.5)
    bx.set(
        xlim=(-3, 22),
        ylim=(0, 25),
        xlabel="residual r = y − fit",
        ylabel="penalty ρ(r)",
        title="what each point costs its own fit",
    )
    return fig


def images_row(images: dict[str, torch.Tensor], width: float = 8.4) -> Figure:
    """Images side by side, each titled by its key (grey, 0 = black, 1 = white)."""
    fig, axes = figure(width, width / len(images) + 0.45, layout=None, ncols=len(images))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.86, wspace=0.05)
    for ax, (title, img) in zip(np.atleast_1d(axes), images.items(), strict=True):
        show_image(ax, img.squeeze().detach().numpy(), title)
    return fig


def ambiguity(probe: torch.Tensor, outputs: dict[str, torch.Tensor]) -> Figure:
    """Top: the input and each loss's prediction. Bottom: the middle row of each, as a profile."""
    fig, axes = figure(8.0, 4.2, layout=None, nrows=2, ncols=1 + len(outputs), height_ratios=[1.4, 1.0])
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.1, top=0.92, wspace=0.25, hspace=0.3)
    row = probe.shape[-2] // 2
    panels = {"input (bar here)": probe, **outputs}
    for (title, img), top, bottom in zip(panels.items(), axes[0], axes[1], strict=True):
        show_image(top, img.clamp(0, 1).squeeze().detach().numpy(), title)
        bottom.bar(
            np.arange(img.shape[-1]), img.squeeze()[row].clamp(0, 1).numpy(), width=1.0, color="#555555"
        )
        bottom.set(ylim=(0, 1.05), xticks=[])
    axes[1][0].set_ylabel("middle row")
    return fig


def ssim_maps(original: torch.Tensor, distorted: dict[str, torch.Tensor]) -> Figure:
    """Top: each distorted image. Bottom: its SSIM map against ``original`` (one value per 11 x 11
    window; bright = the same structure, dark = structure lost), titled with the share of
    windows above 0.95."""
    from reidlab.losses.ssim import ssim_map

    n = len(distorted)
    fig, axes = figure(2.3 * n + 0.6, 5.0, layout=None, nrows=2, ncols=n)
    fig.subplots_adjust(left=0.01, right=0.9, bottom=0.02, top=0.9, wspace=0.06, hspace=0.22)
    for col, (title, img) in enumerate(distorted.items()):
        m = ssim_map(img[None].double(), original[None].double())[0, 0]
        show_image(axes[0][col], img.squeeze().numpy(), title)
        shown = axes[1][col].imshow(m.numpy(), cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        axes[1][col].set_title(
            f"SSIM {m.mean():.2f}; {(m > 0.95).double().mean():.0%} of windows > 0.95", fontsize=8
        )
        axes[1][col].set(xticks=[], yticks=[])
        axes[1][col].grid(False)
    bar = fig.add_axes((0.92, 0.05, 0.02, 0.38))
    fig.colorbar(shown, cax=bar, label="local SSIM")
    return fig
