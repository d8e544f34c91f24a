"""Figures for the chapter *InfoGAN* (``chapters/infogan.md``)."""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from reidlab.experiments.infogan import InfoGAN, traversal
from reidlab.plots import figure, show_image
from reidlab.worlds.shapes import KINDS, Shapes


def _strip(ax: object, images: torch.Tensor, gap: int = 1) -> None:
    """Images ``(n, S, S)`` side by side with a grey gap, on one axis."""
    n, s = images.shape[0], images.shape[-1]
    canvas = torch.full((s, n * (s + gap) - gap), 0.4)
    for i, img in enumerate(images):
        canvas[:, i * (s + gap) : i * (s + gap) + s] = img
    show_image(ax, canvas.numpy())


def shape_examples(data: Shapes, n: int = 12) -> Figure:
    """The first ``n`` training images, titled with kind, scale and rotation."""
    fig, axes = figure(7.2, 1.35, layout=None, ncols=n, squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.72, wspace=0.08)
    for i, ax in enumerate(axes[0]):
        _strip(ax, data.images[i])
        title = f"{KINDS[int(data.kinds[i])]}\n{float(data.scale[i]):.2f}, {float(data.rotation[i]):+.0f}°"
        ax.set_title(title, fontsize=6.5)
    return fig


def code_frame(with_info: InfoGAN, plain: InfoGAN, codes: tuple[int, int], cat: int, value: float) -> Figure:
    """Generated images for categorical code ``cat`` (counted from 1, as in the figure's
    title) and one value of the continuous codes, four fixed noise draws per row: the InfoGAN
    with continuous code ``codes[0]`` (counted from 0) set to ``value``, then with ``codes[1]``
    set to it, then the plain GAN (information weight 0) with
    ``codes[0]`` set to it; all other codes 0."""
    rows = [
        (with_info, codes[0], f"InfoGAN, c{codes[0] + 1} = {value:+.2f}"),
        (with_info, codes[1], f"InfoGAN, c{codes[1] + 1} = {value:+.2f}"),
        (plain, codes[0], f"plain GAN, c{codes[0] + 1} = {value:+.2f}"),
    ]
    fig, axes = figure(4.6, 3.3, layout=None, nrows=len(rows), squeeze=False)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86, hspace=0.35)
    for ax, (model, j, title) in zip(axes[:, 0], rows, strict=True):
        _strip(ax, traversal(model, j, value)[cat - 1])
        ax.set_title(title, fontsize=8.5)
    fig.suptitle(f"categorical code {cat}", fontsize=10)
    return fig
