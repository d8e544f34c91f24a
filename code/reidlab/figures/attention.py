"""Figures for the chapter *Attention*."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from reidlab.plots import figure

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


def _overlay(ax: object, image: torch.Tensor, weights: torch.Tensor) -> None:
    """The image, dimmed where the attention ``(R,)`` (an r x r grid of regions) is low; a white
    square marks the region with the most weight."""
    side = round(len(weights) ** 0.5)
    size = image.shape[-1]
    heat = weights.view(1, 1, side, side) / weights.max().clamp_min(1e-12)
    heat = F.interpolate(heat, size=(size, size), mode="nearest")[0, 0]
    shown = image * (0.3 + 0.7 * heat[None]) + 0.25 * heat[None]  # dim where the word does not look
    ax.imshow(shown.permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
    row, col = divmod(int(weights.argmax()), side)
    cell = size / side
    ax.add_patch(
        Rectangle((col * cell - 0.5, row * cell - 0.5), cell, cell, fill=False, edgecolor="white", lw=1.2)
    )
    _clean(ax)


def attention_strip(image: torch.Tensor, words: list[str], weights: torch.Tensor) -> Figure:
    """One panel per emitted word (and the final ``<end>``): the image, lit where that word's
    attention ``weights[t]`` (``(L, R)``) falls; a white square marks its strongest region."""
    shown = [*words, "<end>"]
    fig, axes = figure(1.25 * len(shown) + 0.3, 1.75, layout=None, ncols=len(shown), squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.82, wspace=0.06)
    for t, (ax, word) in enumerate(zip(axes[0], shown, strict=True)):
        _overlay(ax, image, weights[t])
        ax.set_title(word, fontsize=9)
    return fig


def attention_frame(
    image: torch.Tensor, words: list[str], weights: torch.Tensor, step: int, note: str = ""
) -> Figure:
    """The explorable's frame: left, the image lit where word ``step`` (1-based; past the end:
    ``<end>``) looks; right, the caption with that word marked, and ``note`` (e.g. the true
    caption when the model got it wrong)."""
    shown = [*words, "<end>"]
    t = min(step, len(shown)) - 1
    fig, (left, right) = figure(6.2, 2.9, layout=None, ncols=2, gridspec_kw={"width_ratios": [1, 1.25]})
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.04, top=0.9, wspace=0.05)
    _overlay(left, image, weights[t])
    past = f"word {step}: caption over, showing <end>"  # every step its own frame, for the slider
    left.set_title(f"word {step}: where it looks" if step == t + 1 else past, fontsize=9)
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


def attention_example(
    image: str, word: int, *, examples: dict[str, tuple[torch.Tensor, list[str], torch.Tensor, str]]
) -> Figure:
    """An image dimmed except where one word of its generated caption looks, beside the caption
    with that word highlighted.

    ``examples[image]`` holds the image, its words, their attention ``(L, R)`` and a note; for
    :func:`reidlab.explore.explorable` with ``functools.partial``."""
    img, words, weights, note = examples[image]
    return attention_frame(img, words, weights, word, note)


def score_table(
    scores: torch.Tensor, rows: tuple[str, ...], columns: tuple[str, ...] | list[str], width: int = 16
) -> str:
    """``(seeds, rows, columns)`` as text, mean ± standard deviation over the seeds."""
    m, s = scores.mean(0), scores.std(0)
    lines = [f"{'':12s}" + "".join(f"{c:>{width}s}" for c in columns)]
    for i, name in enumerate(rows):
        cells = [f"{m[i, j]:.3f}±{s[i, j]:.3f}" for j in range(len(columns))]
        lines.append(f"{name:12s}" + "".join(f"{c:>{width}s}" for c in cells))
    return "\n".join(lines)
