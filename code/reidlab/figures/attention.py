"""Figures for the chapter *Attention*."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from reidlab.experiments.attention import named_shape_regions, region_of_pixel
from reidlab.plots import figure
from reidlab.tables import seed_table

CORRUPTED = "#D55E00"


def _clean(ax: object) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def caption_examples(images: torch.Tensor, captions: list[list[str]], width: float = 7.2) -> Figure:
    """A row of images ``(n, 3, S, S)``, each titled with its caption (two words a line)."""
    n = len(images)
    fig, axes = figure(width, width / n + 0.75, ncols=n, squeeze=False)
    for ax, img, words in zip(axes[0], images, captions, strict=True):
        ax.imshow(img.permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
        lines = [" ".join(words[i : i + 2]) for i in range(0, len(words), 2)]
        ax.set_title("\n".join(lines), fontsize=8)
        _clean(ax)
    return fig


def _overlay(
    ax: object, image: torch.Tensor, weights: torch.Tensor, named: torch.Tensor | None = None
) -> None:
    """The image, dimmed where the attention ``(R,)`` (an r x r grid of regions) is low. If
    ``named`` (``(R,)`` booleans: the regions of the shape the word names) is given, a white
    outline marks those regions. Each region is drawn over the pixels nearest the centre of
    what its feature sees (:func:`reidlab.experiments.attention.region_of_pixel`), half a region up and
    left of its block of the grid."""
    side = round(len(weights) ** 0.5)
    size = image.shape[-1]
    at = region_of_pixel(size, side)  # (size,): each pixel row's (column's) region
    heat = weights.view(side, side) / weights.max().clamp_min(1e-12)
    heat = heat[at][:, at]
    shown = image * (0.3 + 0.7 * heat[None]) + 0.25 * heat[None]  # dim where the word does not look
    ax.imshow(shown.permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
    if named is not None and named.any():
        cells = named.float().view(side, side)[at][:, at]
        padded = np.pad(cells.numpy(), 1)  # so a region at the border is closed too
        ax.contour(
            np.arange(-1, size + 1),
            np.arange(-1, size + 1),
            padded,
            levels=[0.5],
            colors="white",
            linewidths=1.3,
        )
        ax.set_xlim(-0.5, size - 0.5)
        ax.set_ylim(size - 0.5, -0.5)
    _clean(ax)


def _named(masks: torch.Tensor | None, side: int, t: int) -> torch.Tensor | None:
    """The regions ``(R,)`` of the shape word ``t`` (from 0) names, from the image's shape masks
    ``(4, S, S)``; ``None`` past the shapes or without masks."""
    if masks is None or t // 2 >= len(masks) or not masks[t // 2].any():
        return None
    return named_shape_regions(masks[None], side)[0, t // 2]


def attention_strip(
    image: torch.Tensor, words: list[str], weights: torch.Tensor, masks: torch.Tensor | None = None
) -> Figure:
    """One panel per emitted word (and the final ``<end>``): the image, lit where that word's
    attention ``weights[t]`` (``(L, R)``) falls. With the image's shape ``masks`` ``(4, S, S)``
    (in caption order), a white outline marks the regions of the shape each word names and the
    panel's title gives the share of the word's attention on them."""
    shown = [*words, "<end>"]
    side = round(weights.shape[-1] ** 0.5)
    fig, axes = figure(1.25 * len(shown) + 0.3, 1.95, layout=None, ncols=len(shown), squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.76, wspace=0.06)
    for t, (ax, word) in enumerate(zip(axes[0], shown, strict=True)):
        named = _named(masks, side, t) if t < len(words) else None
        _overlay(ax, image, weights[t], named)
        share = "" if named is None else f"\n{float((weights[t] * named).sum()):.0%} on it"
        ax.set_title(word + share, fontsize=9)
    return fig


def attention_frame(
    image: torch.Tensor,
    words: list[str],
    weights: torch.Tensor,
    step: int,
    note: str = "",
    masks: torch.Tensor | None = None,
) -> Figure:
    """The explorable's frame: left, the image lit where word ``step`` (1-based; past the end:
    ``<end>``) looks, and with ``masks`` the outline of the shape that word should name (the
    true caption's); right, the caption with that word marked, and ``note`` (e.g. the true
    caption when the model got it wrong)."""
    shown = [*words, "<end>"]
    t = min(step, len(shown)) - 1
    side = round(weights.shape[-1] ** 0.5)
    named = _named(masks, side, t) if t < len(words) else None
    fig, (left, right) = figure(6.2, 2.9, layout=None, ncols=2, gridspec_kw={"width_ratios": [1, 1.25]})
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.04, top=0.9, wspace=0.05)
    _overlay(left, image, weights[t], named)
    past = f"word {step}: caption over, showing <end>"  # every step its own frame, for the slider
    here = f"word {step}: where it looks" + (
        "" if named is None else f" ({float((weights[t] * named).sum()):.0%} on the outline)"
    )
    left.set_title(here if step == t + 1 else past, fontsize=9)
    right.axis("off")
    for i, word in enumerate(shown):
        row, col = divmod(i, 2)
        right.text(
            0.02 + 0.5 * col,
            0.9 - 0.15 * row,
            word,
            fontsize=11,
            fontweight="bold" if i == t else "normal",
            color="#0072B2" if i == t else "#555555",
            transform=right.transAxes,
        )
    if note:
        right.text(0.02, 0.05, note, fontsize=8, color=CORRUPTED, transform=right.transAxes, wrap=True)
    return fig


def frame_weight_bars(weights: torch.Tensor, corrupted: torch.Tensor, title: str = "") -> Figure:
    """Bars of the learned weight of every frame, one row per clip (``(n, T)``); corrupted frames
    in orange, the equal share 1/T dotted."""
    n, frames = weights.shape
    fig, axes = figure(6.4, 0.95 * n + 0.5, nrows=n, sharex=True, squeeze=False)
    for i, ax in enumerate(axes[:, 0]):
        colours = [CORRUPTED if c else "#0072B2" for c in corrupted[i].tolist()]
        ax.bar(np.arange(1, frames + 1), weights[i].numpy(), color=colours)
        ax.axhline(1 / frames, color="#555555", ls=":", lw=1)
        ax.set_ylim(0, max(0.5, float(weights.max()) * 1.1))
        ax.set_ylabel(f"clip {i + 1}", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("frame (orange: corrupted; dotted: equal weights)")
    axes[-1, 0].set_xticks(np.arange(1, frames + 1))
    if title:
        axes[0, 0].set_title(title, fontsize=9)
    return fig


def attention_example(image: str, word: int, *, examples: dict[str, tuple[torch.Tensor, ...]]) -> Figure:
    """An image dimmed except where one word of its generated caption looks, beside the caption
    with that word highlighted.

    ``examples[image]`` holds the image, its words, their attention ``(L, R)``, a note and
    (optionally) the image's shape masks ``(4, S, S)``, to outline the shape the word should
    name; for :func:`reidlab.explore.explorable` with ``functools.partial``."""
    img, words, weights, note, *masks = examples[image]
    return attention_frame(img, words, weights, word, note, masks[0] if masks else None)


def score_table(
    scores: torch.Tensor, rows: tuple[str, ...], columns: tuple[str, ...] | list[str], width: int = 16
) -> str:
    """``(seeds, rows, columns)`` as text, mean ± standard deviation over the seeds (sample sd,
    n - 1); each column at least ``width`` characters, two spaces between columns always."""
    by_row = {name: scores[:, i] for i, name in enumerate(rows)}
    return seed_table(by_row, columns=columns, sep="±", label_width=12, width=width - 2)
