"""reidlab.explore: frames on a grid, and sliders linked to Stacks in the browser."""

from __future__ import annotations

import base64

import ipywidgets as widgets
import pytest
from ipywidgets.widgets.widget import _instances
from ipywidgets.widgets.widget_link import Link

from reidlab.explore import build_widget, explorable, render_frames
from reidlab.plots import figure

LINE_DOC = "A line of the given slope, lifted by shift."


def line(slope: float, shift: float = 0.0):
    """A line of the given slope,
    lifted by shift.

    More detail that the alt text leaves out."""
    fig, ax = figure(2, 2, layout=None)
    ax.plot([0, 1], [shift, shift + slope])
    ax.set_title(f"{slope:g}/{shift:g}")
    return fig


def links(w: widgets.Widget) -> list[Link]:
    """Every jslink whose target lies inside ``w`` (links live beside the widgets, not in them)."""
    inside = {id(c) for c in _walk(w)}
    return [lk for lk in _instances.values() if isinstance(lk, Link) and id(lk.target[0]) in inside]


def _walk(w: widgets.Widget):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)


def test_one_parameter_frames_follow_the_grid() -> None:
    frames = render_frames(line, {"slope": [0, 1, 2]})
    assert frames.shape == (3,) and frames.fmt == "svg"
    assert all(f.startswith("<svg") for f in frames.images)
    assert ">1/0<" in frames.at(1) and ">2/0<" in frames.at(2)


def test_two_parameter_frames_are_row_major() -> None:
    frames = render_frames(line, {"slope": [1, 2], "shift": [0, 5, 9]})
    assert frames.shape == (2, 3)
    assert ">2/5<" in frames.at(1, 1) and ">1/9<" in frames.at(0, 2)
    with pytest.raises(IndexError):
        frames.at(2, 0)
    with pytest.raises(ValueError, match="need 2 indices"):
        frames.at(1)


def test_frames_are_byte_identical_across_runs() -> None:
    """Two builds of the book must produce the same page."""
    assert render_frames(line, {"slope": [1, 2]}) == render_frames(line, {"slope": [1, 2]})


def test_png_frames() -> None:
    frames = render_frames(line, {"slope": [1]}, fmt="png")
    assert frames.images[0][:8] == b"\x89PNG\r\n\x1a\n"


def test_widget_links_slider_to_stack_for_one_parameter() -> None:
    w = explorable(line, {"slope": [0, 1, 2, 3]}, labels={"slope": "slope"}, initial={"slope": 1})
    sliders, stack = w.children[0].children, w.children[1]
    assert len(sliders) == 1 and isinstance(stack, widgets.Stack)
    assert len(stack.children) == 4 and stack.selected_index == 1 == sliders[0].index
    assert [(lk.source[0], lk.source[1], lk.target[1]) for lk in links(w)] == [
        (sliders[0], "index", "selected_index")
    ]
    assert "reidlab-explorable" in w._dom_classes


def test_widget_two_parameters_one_slider_drives_every_inner_stack() -> None:
    frames = render_frames(line, {"slope": [1, 2, 3], "shift": [0, 1]})
    w = build_widget(frames)
    s1, s2 = w.children[0].children
    outer = w.children[1]
    assert len(outer.children) == 3 and all(len(s.children) == 2 for s in outer.children)
    by_target = {id(lk.target[0]): lk.source[0] for lk in links(w)}
    assert by_target[id(outer)] is s1
    assert all(by_target[id(inner)] is s2 for inner in outer.children)
    assert outer.selected_index == 1 and outer.children[0].selected_index == 1  # middle by default


def test_frames_are_images_with_alt_text() -> None:
    """An <img> frame is quick to show (no SVG parsing into the page) and has alt text."""
    w = explorable(line, {"slope": [0.5, 1.25]}, labels={"slope": "s"})
    frames = w.children[1].children
    assert all(f.value.startswith('<img src="data:image/svg+xml,%3Csvg ') for f in frames)
    assert f'alt="{LINE_DOC} (slope = 1.25)"' in frames[1].value  # the docstring's first line
    assert all("#" not in f.value.split('alt="')[0] for f in frames)  # '#' would end the URL
    png = explorable(line, {"slope": [1.0]}, fmt="png", alt="a line").children[1].children[0]
    assert (
        png.value.startswith('<img src="data:image/png;base64,iVBOR')
        and 'alt="a line (slope = 1)"' in png.value
    )


def test_frame_img_round_trips() -> None:
    from urllib.parse import unquote

    from reidlab.explore import frame_img

    svg = '<svg a="1"><path fill="#ff0000" d="M 0 0 L 1 1 %"/></svg>'
    html = frame_img(svg, 'a "quoted" <alt>')
    url = html.split('"')[1]
    assert unquote(url.removeprefix("data:image/svg+xml,")) == svg
    assert 'alt="a &quot;quoted&quot; &lt;alt&gt;"' in html
    png = frame_img(b"\x89PNG", "x")
    assert base64.b64decode(png.split('"')[1].removeprefix("data:image/png;base64,")) == b"\x89PNG"


def test_slider_labels_show_values() -> None:
    w = explorable(line, {"slope": [0.5, 1.25]}, value_format="{:.2f}")
    assert w.children[0].children[0]._options_labels == ("0.50", "1.25")


@pytest.mark.parametrize(
    ("params", "match"),
    [({}, "one or two"), ({"a": [1], "b": [1], "c": [1]}, "one or two"), ({"slope": []}, "non-empty")],
)
def test_bad_params(params, match) -> None:
    with pytest.raises(ValueError, match=match):
        render_frames(line, params)


def test_bad_render_and_format() -> None:
    with pytest.raises(TypeError, match="render must return a matplotlib Figure"):
        render_frames(lambda slope: 42, {"slope": [1]})
    with pytest.raises(ValueError, match="fmt must be"):
        render_frames(line, {"slope": [1]}, fmt="gif")


def test_a_slider_can_step_through_words() -> None:
    def frame(slope: float, style: str):
        return line(slope)

    w = explorable(frame, {"slope": [1.0, 2.0], "style": ["solid", "dashed"]}, alt="lines")
    assert w.children[0].children[1]._options_labels == ("solid", "dashed")
    assert 'alt="lines (slope = 2, style = dashed)"' in w.children[1].children[1].children[1].value
