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
    """Apply the book's style; in a notebook, also show returned figures as images.

    Chapters call this once at the top. The figures of :mod:`reidlab.figures` are built
    without pyplot, and a notebook only draws a ``Figure`` once the inline backend has
    registered its display hook, which nothing else here triggers.
    """
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to display into
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "kernel"):
        shell.run_line_magic("matplotlib", "inline")
        # then show every figure as a palette PNG: the same picture in a third of the bytes
        png = shell.display_formatter.formatters["image/png"]
        png.for_type(Figure, lambda fig: to_png(fig, colors=256, tight=True))


def figure(
    width: float = 6.4,
    height: float = 3.6,
    layout: str | None = "constrained",
    dpi: float = 100,
    **subplots_kw: object,
) -> tuple[Figure, object]:
    """A new figure in the book's style, not attached to pyplot (so it never leaks into output).

    Frames of an explorable pass ``layout=None`` and fixed margins: the axes then stay put from
    frame to frame, and rendering is about twice as fast. ``dpi`` sets the PNG resolution.
    """
    with plt.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout=layout, dpi=dpi)
        axes = fig.subplots(**subplots_kw)
    return fig, axes


def show_image(ax: object, img: object, title: str = "", **imshow_kw: object) -> None:
    """Draw a grey image (0 black, 1 white) on ``ax`` with a title and no ticks or grid."""
    ax.imshow(img, cmap="gray", vmin=0, vmax=1, **{"interpolation": "nearest", **imshow_kw})
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def to_svg(fig: Figure) -> str:
    """The figure as a standalone SVG string: no date, no XML prolog, stable ids."""
    buf = io.StringIO()
    with plt.rc_context(STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE: it is inlined in HTML
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = _FONT_LIST.sub(r"font-family: \1, sans-serif", svg)
    svg = _GROUP_ID.sub("", _INDENT.sub("><", svg))
    return _PATH_DATA.sub(_round_path, svg)


# Matplotlib spells out its whole font fallback list in every text element (about 200 bytes
# each), indents every tag and names every group; none of it changes what a browser draws, and
# dropping it keeps an explorable's frames small enough (under gzip's 32 KB window) for the
# page to compress them against each other. Ids that something refers to (clip paths,
# markers: ``p41cb...``, ``m14fe...``) have no ``_<number>`` ending and are kept.
_FONT_LIST = re.compile(r"font-family: ('[^']*')(?:, '[^']*')*, sans-serif")
_INDENT = re.compile(r">\s+<")
_GROUP_ID = re.compile(r' id="[a-z][a-z0-9_.]*_\d+"')


# Path coordinates come with up to six significant digits; a tenth of a point is invisible and
# makes an explorable's frames about a third smaller. Only path data is touched: text
# transforms and scale factors keep their precision.
_PATH_DATA = re.compile(r'(\sd=")([^"]*)(")')
_LONG_DECIMAL = re.compile(r"(\d+\.\d)\d+")


def _round_path(m: re.Match[str]) -> str:
    data = " ".join(_LONG_DECIMAL.sub(r"\1", m.group(2)).split())  # also fold the newlines
    return f"{m.group(1)}{data}{m.group(3)}"


def to_png(fig: Figure, colors: int | None = None, tight: bool = False) -> bytes:
    """The figure as PNG bytes at the figure's own dpi, without a timestamp (for dense scatter
    plots and images).

    ``colors``: reduce to a palette of that many colours (a plot has few): about a third of
    the bytes, which matters when an explorable stores dozens of frames in the page.
    ``tight``: crop to what is drawn, as notebooks do when they show a figure.
    """
    buf = io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(
            buf,
            format="png",
            dpi=fig.dpi,
            metadata={"Software": None},
            bbox_inches="tight" if tight else None,
        )
    if colors is None:
        return buf.getvalue()
    from PIL import Image

    img = Image.open(buf).convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
