"""Explorable figures: sliders that change a picture, with or without a running kernel.

Used by every interactive figure in the book; first taught in *Euclidean or cosine distance?*.

A static web page cannot run Python, so the figure is drawn in advance for every point of a
small parameter grid (one or two parameters). Each frame becomes a child of an
``ipywidgets.Stack``, and each slider is linked *in the browser* (``jslink``) to the Stack's
``selected_index``: moving the slider shows another frame, in the built book as in Jupyter.

A Stack shows only its selected child, building that child's view on each switch, so a frame
must be cheap to show: an SVG frame is an ``<img>`` with a ``data:`` URL, not inline SVG. Inline
SVG from matplotlib carries a ``<style>`` element; each time one enters or leaves the page the
browser restyles the whole page. Measured in Chromium on the distances chapter (median key
press to paint): 17 ms with ``<img>`` frames, 110-140 ms with inline SVG.

Two layers, so the logic is testable without a browser:

* :func:`render_frames` (pure): calls your ``render(**params)`` once per grid point and keeps
  the frames as SVG text (line plots, small) or PNG bytes (dense images).
* :func:`build_widget`: wraps a :class:`Frames` in sliders and Stacks.

:func:`explorable` does both; a chapter cell is one call. Frames are stored in the page, so keep
a figure to 10-25 positions per slider and under about 1 MB gzipped (``Frames.gzip_size``).
"""

from __future__ import annotations

import base64
import gzip
import html
import itertools
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import ipywidgets as widgets
from matplotlib.figure import Figure

from reidlab.plots import to_png, to_svg

Format = Literal["svg", "png"]


@dataclass(frozen=True)
class Frames:
    """Precomputed frames on a grid: ``images[k]`` is the frame at the k-th grid point, in
    row-major order over ``grids`` (the last parameter varies fastest)."""

    names: tuple[str, ...]
    grids: tuple[tuple[float | str, ...], ...]
    images: tuple[str | bytes, ...]
    fmt: Format

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(g) for g in self.grids)

    def at(self, *indices: int) -> str | bytes:
        """The frame at grid position ``indices`` (one index per parameter)."""
        if len(indices) != len(self.grids):
            raise ValueError(f"need {len(self.grids)} indices, got {len(indices)}")
        flat = 0
        for i, n in zip(indices, self.shape, strict=True):
            if not 0 <= i < n:
                raise IndexError(f"index {i} out of range for a grid of {n}")
            flat = flat * n + i
        return self.images[flat]

    def gzip_size(self) -> int:
        """Bytes all frames add to the page, gzipped as a web server would send them."""
        raw = b"".join(f.encode() if isinstance(f, str) else f for f in self.images)
        return len(gzip.compress(raw, compresslevel=6, mtime=0))


def _check_params(params: Mapping[str, Sequence[float | str]]) -> None:
    if not isinstance(params, Mapping) or not 1 <= len(params) <= 2:
        raise ValueError("params must be a dict of one or two parameter grids, e.g. {'angle': [0, 45, 90]}")
    for name, grid in params.items():
        if isinstance(grid, str) or not isinstance(grid, Sequence) or len(grid) == 0:
            raise ValueError(f"params[{name!r}] must be a non-empty sequence of values")


def render_frames(
    render: Callable[..., Figure | str],
    params: Mapping[str, Sequence[float | str]],
    fmt: Format = "svg",
    png_colors: int | None = 64,
) -> Frames:
    """Call ``render(**point)`` at every grid point and keep each frame as SVG text or PNG bytes.

    ``render`` returns a matplotlib ``Figure`` (converted here) or a ready SVG string. PNG
    frames are reduced to ``png_colors`` colours (``None``: keep all), a fifth of the bytes for
    a plot; the resolution is the figure's own dpi.
    """
    _check_params(params)
    if fmt not in ("svg", "png"):
        raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")
    names = tuple(params)
    grids = tuple(tuple(params[n]) for n in names)
    images: list[str | bytes] = []
    for point in itertools.product(*grids):
        out = render(**dict(zip(names, point, strict=True)))
        if isinstance(out, Figure):
            images.append(to_svg(out) if fmt == "svg" else to_png(out, colors=png_colors))
        elif isinstance(out, str) and fmt == "svg":
            images.append(out)
        else:
            raise TypeError(f"render must return a matplotlib Figure (or SVG text), got {type(out).__name__}")
    return Frames(names=names, grids=grids, images=tuple(images), fmt=fmt)


def frame_img(image: str | bytes, alt: str) -> str:
    """An ``<img>`` showing a frame from a ``data:`` URL, with ``alt`` text for screen readers.
    SVG text is URL-quoted only where a URL or the attribute requires it, so it stays readable
    to gzip; PNG bytes are base64, as any binary in a page must be."""
    alt = html.escape(alt, quote=True)
    if isinstance(image, bytes):
        src = "data:image/png;base64," + base64.b64encode(image).decode("ascii")
    else:
        src = "data:image/svg+xml," + urllib.parse.quote(image, safe=" !$&'()*+,-./:;=?@_~[]{}|^`")
    return f'<img src="{src}" alt="{alt}" style="max-width: 100%; height: auto">'


def _show(value: float | str, value_format: str) -> str:
    """A grid value as the slider shows it: numbers through ``value_format``, words as they are."""
    return value if isinstance(value, str) else value_format.format(value)


def build_widget(
    frames: Frames,
    labels: Mapping[str, str] | None = None,
    initial: Mapping[str, int] | None = None,
    value_format: str = "{:g}",
    alt: str = "an explorable figure",
) -> widgets.VBox:
    """Sliders above a Stack of frames; each slider is ``jslink``-ed to its Stacks.

    Args:
        frames: from :func:`render_frames`.
        labels: slider label per parameter (MathJax allowed, e.g. ``r"angle \\(\\theta\\)"``).
        initial: starting grid index per parameter (default: the middle).
        value_format: how slider values are shown.
        alt: what the figure shows, for readers who cannot see it; each frame's text adds its
            parameter values.
    """
    labels = dict(labels or {})
    initial = dict(initial or {})
    start = [initial.get(n, len(g) // 2) for n, g in zip(frames.names, frames.grids, strict=True)]
    sliders = [
        widgets.SelectionSlider(
            options=[(_show(v, value_format), i) for i, v in enumerate(grid)],
            value=s,
            description=labels.get(name, name),
            continuous_update=True,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="360px"),
        )
        for name, grid, s in zip(frames.names, frames.grids, start, strict=True)
    ]
    points = itertools.product(*frames.grids)
    views = [
        widgets.HTML(
            value=frame_img(
                img,
                f"{alt} ("
                + ", ".join(f"{n} = {_show(v, value_format)}" for n, v in zip(frames.names, p, strict=True))
                + ")",
            )
        )
        for img, p in zip(frames.images, points, strict=True)
    ]
    if len(frames.grids) == 1:
        stack = widgets.Stack(views, selected_index=start[0])
        widgets.jslink((sliders[0], "index"), (stack, "selected_index"))
    else:
        n_inner = frames.shape[1]
        inner = [
            widgets.Stack(views[i : i + n_inner], selected_index=start[1])
            for i in range(0, len(views), n_inner)
        ]
        stack = widgets.Stack(inner, selected_index=start[0])
        widgets.jslink((sliders[0], "index"), (stack, "selected_index"))
        for s in inner:  # one slider drives every inner Stack
            widgets.jslink((sliders[1], "index"), (s, "selected_index"))
    controls = widgets.HBox(sliders, layout=widgets.Layout(flex_flow="row wrap"))
    box = widgets.VBox([controls, stack])
    box.add_class("reidlab-explorable")
    return box


def explorable(
    render: Callable[..., Figure | str],
    params: Mapping[str, Sequence[float | str]],
    *,
    fmt: Format = "svg",
    labels: Mapping[str, str] | None = None,
    initial: Mapping[str, int] | None = None,
    value_format: str = "{:g}",
    png_colors: int | None = 64,
    alt: str | None = None,
) -> widgets.VBox:
    """One call for a chapter cell: :func:`render_frames`, then :func:`build_widget`. The
    frames' ``alt`` text defaults to the first line of ``render``'s docstring."""
    frames = render_frames(render, params, fmt=fmt, png_colors=png_colors)
    if alt is None:
        doc = getattr(render, "func", render).__doc__ or "an explorable figure"  # functools.partial too
        alt = " ".join(doc.strip().split("\n\n")[0].split())
    return build_widget(frames, labels=labels, initial=initial, value_format=value_format, alt=alt)
