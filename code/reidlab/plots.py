"""The book's plotting style, and figures turned into small, reproducible SVG or PNG.

Used by every chapter and by :mod:`reidlab.explore`, whose frames are stored in the page: a
frame's bytes are the page's weight, so figures are exported without metadata (two builds give
the same bytes) and with text kept as text (SVG fonts as paths would triple the size).
"""

from __future__ import annotations

import io
import re

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

#: One colour per method, used the same way across chapters (colour-blind safe, Okabe-Ito).
COLORS: dict[str, str] = {
    "euclidean": "#0072B2",
    "cosine": "#D55E00",
    "normalised": "#009E73",
    "neutral": "#555555",
    "highlight": "#CC79A7",
}

STYLE: dict[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.fonttype": "none",  # keep text as <text>: a small, selectable SVG
    "svg.hashsalt": "reidlab",  # stable ids inside the SVG: same bytes on every build
    "path.simplify": True,
}


def use_style() -> None:
    """Apply the book's matplotlib style (chapters call this once at the top)."""
    plt.rcParams.update(STYLE)


def figure(
    width: float = 6.4, height: float = 3.6, layout: str | None = "constrained", **subplots_kw: object
) -> tuple[Figure, object]:
    """A new figure in the book's style, not attached to pyplot (so it never leaks into output).

    Frames of an explorable pass ``layout=None`` and fixed margins: the axes then stay put from
    frame to frame, and rendering is about twice as fast.
    """
    with plt.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout=layout)
        axes = fig.subplots(**subplots_kw)
    return fig, axes


def to_svg(fig: Figure) -> str:
    """The figure as a standalone SVG string: no date, no XML prolog, stable ids."""
    buf = io.StringIO()
    with plt.rc_context(STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE: it is inlined in HTML
    return re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes without a timestamp (for dense scatter plots and images)."""
    buf = io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
