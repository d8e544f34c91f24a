"""Figures for the chapter on image feature vectors (gradients, direction histograms, HOG)."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from reidlab.features import cell_directions, cell_histograms, direction_histogram, gradients, hog_glyphs
from reidlab.plots import figure, show_image
from reidlab.worlds.images import shape_image


def gradient_field(images: dict[str, torch.Tensor], step: int = 4) -> Figure:
    """Each image with its gradient drawn as arrows (every ``step`` pixels, where non-zero)."""
    fig, axes = figure(3.2 * len(images), 3.4, layout=None, ncols=len(images))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9, wspace=0.08)
    for ax, (title, img) in zip(np.atleast_1d(axes), images.items(), strict=True):
        g_row, g_col = gradients(img)
        show_image(ax, img.numpy(), title, interpolation="antialiased")
        ys, xs = np.mgrid[0 : img.shape[0] : step, 0 : img.shape[1] : step]
        u, v = g_col[0, ::step, ::step].numpy(), g_row[0, ::step, ::step].numpy()
        keep = np.hypot(u, v) > 0.05
        ax.quiver(
            xs[keep],
            ys[keep],
            u[keep],
            v[keep],
            color="#D55E00",
            angles="xy",
            scale_units="xy",
            scale=1 / 3,
            width=0.008,
        )
    return fig


def cell_direction_field(images: dict[str, torch.Tensor], cell: int = 8) -> Figure:
    """The diary's recipe read literally: each image with one arrow per cell, the cell's gradient
    direction measured from the centre, drawn as a dial (0° = straight outwards, pointing right;
    180° = inwards, pointing left; 90° pointing down, as angles turn in image coordinates) and as
    long as :func:`reidlab.features.cell_directions` says."""
    fig, axes = figure(3.2 * len(images), 3.4, layout=None, ncols=len(images))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9, wspace=0.08)
    for ax, (title, img) in zip(np.atleast_1d(axes), images.items(), strict=True):
        h, w = img.shape
        v = cell_directions(img, cell)[0].view(h // cell, w // cell, 2).numpy()  # (rows, cols, 2)
        show_image(
            ax, img.numpy(), f"{title}: one direction per cell", interpolation="antialiased", alpha=0.35
        )
        ys, xs = np.mgrid[0 : h // cell, 0 : w // cell] * cell + (cell - 1) / 2
        scale = 0.9 * cell / max(np.abs(v).max(), 1e-12)
        ax.quiver(
            xs,
            ys,
            v[..., 0] * scale,
            v[..., 1] * scale,  # rows run downwards: 90° is drawn pointing down
            color="#0072B2",
            angles="xy",
            scale_units="xy",
            scale=1,
            width=0.01,
        )
        for k in range(0, h + 1, cell):
            ax.axhline(k - 0.5, color="#999999", lw=0.4)
        for k in range(0, w + 1, cell):
            ax.axvline(k - 0.5, color="#999999", lw=0.4)
    return fig


def direction_bars(images: dict[str, torch.Tensor], bins: int = 8) -> Figure:
    """Per image, the direction histogram by absolute direction (top) and relative to the
    centre (bottom): the diary's feature vector, as bars."""
    fig, axes = figure(3.0 * len(images), 4.2, layout=None, nrows=2, ncols=len(images), sharey="row")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.9, hspace=0.6, wspace=0.12)
    centres = np.arange(bins) * 360 / bins
    for col, (title, img) in enumerate(images.items()):
        for row, relative in enumerate((False, True)):
            h = direction_histogram(img, bins, relative_to_centre=relative)[0].numpy()
            ax = axes[row][col]
            ax.bar(centres, h, width=360 / bins * 0.8, color="#0072B2" if relative else "#555555")
            ax.set(xticks=centres[::2], ylim=(0, 1))
            ax.set_title(f"{title}: " + ("relative to centre" if relative else "absolute"), fontsize=8.5)
            ax.set_xlabel("direction (degrees)", fontsize=8)
    return fig


def hog_frame(rotation: float, cell: int, kind: str = "trapezoid", orientations: int = 9) -> Figure:
    """The shape, its HOG cells drawn as glyphs, and its centre-relative direction histogram."""
    img = shape_image(kind, 64, rotation=rotation)
    hist = cell_histograms(img, (cell, cell), orientations)[0]
    glyph = hog_glyphs(hist / hist.max(), (cell, cell))
    fig, (ax, bx, cx) = figure(8.4, 2.9, layout=None, ncols=3, width_ratios=[1, 1, 1.3])
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.17, top=0.86, wspace=0.15)
    show_image(ax, img.numpy(), f"{kind}, rotated {rotation:g}°", interpolation="antialiased")
    show_image(bx, glyph.numpy(), f"HOG cells of {cell} x {cell} pixels", interpolation="antialiased")
    for k in range(0, 64, cell):
        bx.axhline(k - 0.5, color="#0072B2", lw=0.4)
        bx.axvline(k - 0.5, color="#0072B2", lw=0.4)
    h = direction_histogram(img, 8)[0].numpy()
    cx.bar(np.arange(8) * 45, h, width=36, color="#0072B2")
    cx.set(ylim=(0, 0.6), xticks=np.arange(8) * 45, xlabel="direction relative to centre (degrees)")
    cx.set_title("direction histogram, from the centre", fontsize=9)
    return fig
