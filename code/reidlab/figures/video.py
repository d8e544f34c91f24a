"""Figures for the chapter *Video ReID*."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.colors import hsv_to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from reidlab.plots import figure
from reidlab.pooling import robust_mean
from reidlab.tables import seed_table

SCHEME_COLORS = {
    "mean": "#555555",
    "close-first": "#0072B2",
    "close-first, one step": "#56B4E9",
    "far-first": "#D55E00",
    "median (L1)": "#009E73",
    "quality": "#CC79A7",
}
CORRUPTED = "#D55E00"


def flow_colours(flow: torch.Tensor, top: float) -> np.ndarray:
    """A flow ``(2, H, W)`` as colours ``(H, W, 3)``: hue is the direction (red: to the right,
    green-yellow: down, cyan: left, blue-purple: up), brightness the length, full at ``top``."""
    u, v = flow[0], flow[1]
    hue = (torch.atan2(v, u) / (2 * torch.pi)) % 1.0
    value = ((u * u + v * v).sqrt() / top).clamp(0, 1)
    return hsv_to_rgb(torch.stack((hue, torch.ones_like(hue), value), dim=-1).numpy())


def flow_key(size: int = 41) -> np.ndarray:
    """The colour key of :func:`flow_colours`: an image ``(size, size, 4)`` (RGBA, transparent
    outside a disc) whose pixel at offset ``(u, v)`` from the centre (``v`` downwards, as in an
    image) has the colour of a flow ``(u, v)``; full colour at the rim."""
    r = torch.linspace(-1.0, 1.0, size)
    v, u = torch.meshgrid(r, r, indexing="ij")  # rows run downwards, like v
    rgb = flow_colours(torch.stack((u, v)), top=1.0)
    alpha = ((u * u + v * v) <= 1.0).float().numpy()[..., None]
    return np.concatenate((rgb, alpha), axis=-1)


def clip_strip(
    rows: dict[str, torch.Tensor], corrupted: dict[str, torch.Tensor] | None = None, width: float = 7.0
) -> Figure:
    """Each clip ``(T, 3, H, W)`` of ``rows`` as a row of frames, titled by its key; frames
    marked in ``corrupted`` (``(T,)`` booleans) get an orange border."""
    n_rows, frames = len(rows), max(len(c) for c in rows.values())
    fig, axes = figure(width, 1.7 * n_rows, layout=None, nrows=n_rows, ncols=frames, squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=1 - 0.25 / n_rows, wspace=0.08, hspace=0.25)
    for r, (name, clip) in enumerate(rows.items()):
        marks = corrupted.get(name) if corrupted else None
        for t in range(frames):
            ax = axes[r, t]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if t >= len(clip):
                continue
            ax.imshow(clip[t].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            if marks is not None and bool(marks[t]):
                h, w = clip.shape[-2:]
                ax.add_patch(Rectangle((-0.5, -0.5), w, h, fill=False, edgecolor=CORRUPTED, lw=3))
            if t == 0:
                ax.text(0, 1.04, name, transform=ax.transAxes, fontsize=9, va="bottom")
    return fig


def motion_strip(clip: torch.Tensor, flows: torch.Tensor, differences: torch.Tensor) -> Figure:
    """Three rows: the frames of a clip ``(T, 3, H, W)``, the flow between consecutive frames
    ``(T - 1, 2, h, w)`` in colour (:func:`flow_colours`) and the frame differences
    ``(T - 1, 3, H, W)`` (grey: no change)."""
    frames = len(clip)
    fig, axes = figure(7.0, 5.1, layout=None, nrows=3, ncols=frames, squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.95, wspace=0.08, hspace=0.15)
    top = float(flows.norm(dim=1).flatten().quantile(0.98).clamp_min(1e-6))
    grey = differences.mean(dim=1)
    scale = float(grey.abs().max().clamp_min(1e-6))
    titles = (
        "frames",
        f"optical flow: hue = direction (key at right), brightness = length (full: {top:.1f} px or more)",
        "frame differences",
    )
    for r in range(3):
        for t in range(frames):
            ax = axes[r, t]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if r and t == frames - 1:
                ax.axis("off")
                if r == 1:  # the flow row's free slot: its colour key
                    ax.imshow(flow_key(), interpolation="bilinear", extent=(-1, 1, 1, -1))
                    ax.set(xlim=(-1.7, 1.7), ylim=(1.7, -1.7))
                    for text, x, y in (
                        ("right", 1.0, 0),
                        ("down", 0, 1.05),
                        ("left", -1.0, 0),
                        ("up", 0, -1.05),
                    ):
                        ha = "left" if x > 0 else "right" if x < 0 else "center"
                        va = "top" if y > 0 else "bottom" if y < 0 else "center"
                        ax.text(x * 1.08, y * 1.08, text, fontsize=6.5, ha=ha, va=va)
                    ax.text(0, 1.03, "key", transform=ax.transAxes, fontsize=8, va="bottom")
                continue
            if r == 0:
                ax.imshow(clip[t].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            elif r == 1:
                ax.imshow(flow_colours(flows[t], top), interpolation="nearest")
            else:
                ax.imshow(
                    (0.5 + 0.5 * grey[t] / scale).numpy(),
                    cmap="gray",
                    vmin=0,
                    vmax=1,
                    interpolation="nearest",
                )
            if t == 0:
                ax.text(0, 1.03, titles[r], transform=ax.transAxes, fontsize=9, va="bottom")
    return fig


def weighting_figure(
    scores: dict[str, torch.Tensor], shares: dict[str, torch.Tensor], corrupted: tuple[int, ...], frames: int
) -> Figure:
    """Left: mAP against the number of corrupted frames per clip, mean and range over the
    seeds (``scores[name]``: ``(seeds, len(corrupted), 2)`` of rank-1 and mAP). Right: the share
    of a clip's weight that lands on its corrupted frames (``shares[name]``: ``(seeds, k)``)."""
    fig, (left, right) = figure(7.6, 3.3, ncols=2)
    k = np.array(corrupted)
    for name, s in scores.items():
        colour = SCHEME_COLORS.get(name, "#000000")
        m = s[..., 1]
        left.plot(k, m.mean(0).numpy(), marker="o", ms=3.5, color=colour, label=name)
        left.fill_between(k, m.amin(0).numpy(), m.amax(0).numpy(), color=colour, alpha=0.15, lw=0)
        right.plot(k, shares[name].mean(0).numpy(), marker="o", ms=3.5, color=colour)
    right.plot(k, k / frames, color="#555555", ls=":", lw=1, label="share of frames corrupted")
    # zoom in on the poolings that hold up; one that collapses runs off the bottom, said in its label
    lows = {name: float(s[..., 1].mean(0).min()) for name, s in scores.items()}
    floor = sorted(lows.values())[1] if len(lows) > 1 else min(lows.values())
    top = max(float(s[..., 1].amax()) for s in scores.values())
    left.set_ylim(max(0.0, floor - 0.08), min(1.0, top + 0.02))
    for line, name in zip(left.get_lines(), scores, strict=True):
        if lows[name] < floor - 0.08:
            line.set_label(f"{name} (falls off: {lows[name]:.2f})")
    left.set(xlabel=f"corrupted frames per clip (of {frames})", ylabel="mAP", xticks=k)
    right.set(
        xlabel=f"corrupted frames per clip (of {frames})", ylabel="weight on corrupted frames", xticks=k
    )
    right.set_ylim(0, 1)
    left.legend(fontsize=7.5, loc="lower left")
    right.legend(fontsize=7.5, loc="upper left")
    return fig


def toy_clip(distance: float) -> torch.Tensor:
    """Eight frame features in the plane ``(1, 8, 2)``: seven near (0, 0) and one, the corrupted
    frame, ``distance`` away to the upper right."""
    g = torch.Generator().manual_seed(7)
    x = 0.25 * torch.randn(1, 8, 2, generator=g, dtype=torch.float64)
    x[0, :7] -= x[0, :7].mean(dim=0)
    x[0, 7] = distance * torch.tensor([0.8, 0.6], dtype=torch.float64)
    return x


EXPLORE_SCHEMES = {
    "mean": {"pooling": "mean"},
    "close-first": {"pooling": "close-first"},
    "far-first": {"pooling": "far-first", "iterations": 1},
    "median (L1)": {"pooling": "median"},
}


def pooling_frame(distance: float) -> Figure:
    """Left: the eight frame features of :func:`toy_clip` and where each pooling puts the clip's
    feature. Right: the weight each pooling gives the corrupted frame."""
    x = toy_clip(distance)
    fig, (left, right) = figure(7.4, 3.4, layout=None, ncols=2, gridspec_kw={"width_ratios": [1.25, 1]})
    fig.subplots_adjust(left=0.03, right=0.97, bottom=0.13, top=0.9, wspace=0.35)
    left.scatter(*x[0, :7].T.numpy(), s=40, color="#999999", label="clean frames", zorder=2)
    left.scatter(*x[0, 7].numpy(), s=70, marker="X", color=CORRUPTED, label="corrupted frame", zorder=5)
    names, weights = [], []
    for name, kw in EXPLORE_SCHEMES.items():
        centre, w = robust_mean(x, **kw)
        left.scatter(
            *centre[0].numpy(), s=90, marker="D", color=SCHEME_COLORS[name], edgecolor="white", zorder=4
        )
        names.append(name)
        weights.append(float(w[0, 7]))
    left.set(xlim=(-0.9, 3.3), ylim=(-0.8, 2.5), xticks=[], yticks=[], aspect="equal")
    left.set_title(f"frame features; the corrupted one {distance:.1f} away", fontsize=9)
    left.legend(loc="upper left", fontsize=7.5)
    bars = right.barh(names[::-1], weights[::-1], color=[SCHEME_COLORS[n] for n in names[::-1]])
    right.bar_label(bars, labels=[f"{v:.2f}" for v in weights[::-1]], fontsize=8, padding=2)
    right.axvline(1 / 8, color="#555555", ls=":", lw=1)
    right.set(xlim=(0, 1.15), xlabel="weight of the corrupted frame (dotted: 1/8)")
    right.set_title("diamonds on the left: the clip feature", fontsize=9)
    right.tick_params(axis="y", labelsize=8)
    return fig


def ablation_table(results: torch.Tensor, streams: tuple[str, ...], subsets: dict[str, int]) -> str:
    """``(seeds, streams, subsets, 2)`` rank-1 and mAP as text, mean ± standard deviation over
    seeds (sample sd, n - 1), one block per subset; ``subsets`` maps each subset's name to its
    number of queries."""
    rows = [
        (f"{f'{subset} ({n})' if i == 0 else '':22s}{stream}", results[:, i, j])
        for j, (subset, n) in enumerate(subsets.items())
        for i, stream in enumerate(streams)
    ]
    label = f"{'queries':22s}stream"
    return seed_table(rows, columns=("rank-1", "mAP"), sep="±", label=label, label_width=31, width=11)


SUBSET_COLORS = ("#333333", "#0072B2", "#009E73")


def fusion_figure(curves: torch.Tensor, alphas: tuple[float, ...], subsets: dict[str, int]) -> Figure:
    """Rank-1 (left) and mAP (right) of the weighted fusion against the motion stream's weight
    ``alphas``: ``curves`` ``(seeds, alphas, subsets, 2)``, one line per subset (mean over the
    seeds, shaded from the lowest to the highest seed); ``subsets`` maps each subset's name to
    its number of queries."""
    fig, axes = figure(7.6, 3.2, ncols=2, sharex=True)
    a = np.array(alphas)
    for ax, c, name in zip(axes, range(2), ("rank-1", "mAP"), strict=True):
        for j, ((subset, n), colour) in enumerate(zip(subsets.items(), SUBSET_COLORS, strict=False)):
            m = curves[:, :, j, c]
            ax.plot(a, m.mean(0).numpy(), marker="o", ms=3, color=colour, label=f"{subset} ({n})")
            ax.fill_between(a, m.amin(0).numpy(), m.amax(0).numpy(), color=colour, alpha=0.15, lw=0)
        ax.axvline(0.5, color="#999999", ls=":", lw=1)
        ax.set(ylabel=name, ylim=(0, 1))
    fig.supxlabel("weight of motion, α (0: appearance only; dotted line: equal say)", fontsize=9)
    axes[0].legend(fontsize=7.5, loc="lower left", title="queries", title_fontsize=7.5)
    return fig


def per_seed_table(columns: dict[str, torch.Tensor], seeds: range | list[int], digits: int = 2) -> str:
    """One row per seed, one column per entry of ``columns`` (each ``(seeds,)``), as text."""
    return seed_table(columns, seeds, by_seed=True, fmt=f".{digits}f", label_width=6, width=5)
