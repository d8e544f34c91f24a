"""reidlab.plots: reproducible, compact figure export."""

from __future__ import annotations

from reidlab.plots import figure, to_png, to_svg


def make():
    fig, ax = figure(3, 2)
    ax.plot([0, 1, 2], [2, 0, 1], label="a line")
    ax.set_title("title text")
    return fig


def test_svg_is_inline_ready_and_reproducible() -> None:
    svg = to_svg(make())
    assert svg.startswith("<svg") and "<?xml" not in svg and "<metadata>" not in svg
    assert ">title text<" in svg  # text kept as text, not glyph paths
    assert svg == to_svg(make())


def test_png_is_reproducible() -> None:
    png = to_png(make())
    assert png.startswith(b"\x89PNG") and png == to_png(make())
