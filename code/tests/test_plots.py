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


def test_png_palette_is_smaller_and_still_a_png() -> None:
    import io

    from PIL import Image

    full, small = to_png(make()), to_png(make(), colors=16)
    assert len(small) < len(full)
    img = Image.open(io.BytesIO(small))
    assert img.mode == "P" and len(img.getpalette()) // 3 <= 16


def test_svg_path_data_is_rounded_but_still_valid() -> None:
    import re
    import xml.etree.ElementTree as ET

    svg = to_svg(make())
    ET.fromstring(svg)  # well-formed
    paths = re.findall(r'\sd="([^"]*)"', svg)
    assert paths and not any(re.search(r"\d\.\d\d", d) or "\n" in d for d in paths)


def test_svg_drops_what_a_browser_ignores_but_keeps_every_reference() -> None:
    import re
    import xml.etree.ElementTree as ET

    fig, ax = figure(3, 2)
    ax.plot([0, 1, 2], [2, 0, 1], marker="o")  # markers and clip paths are referenced by id
    ax.set_xlabel("x label")
    svg = to_svg(fig)
    ET.fromstring(svg)  # still well-formed
    assert "Bitstream Vera Sans" not in svg and "font-family: 'DejaVu Sans', sans-serif" in svg
    assert ">\n<" not in svg and 'id="line2d_' not in svg
    refs = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', svg))
    assert refs and refs <= set(re.findall(r' id="([^"]+)"', svg))
