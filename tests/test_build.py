"""The built site: complete, executed without errors, self-contained, reproducible."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import ROOT, notebook_chapters, toc_files
from jupyter_cache import get_cache

# What a browser would fetch from another host: script/img/iframe src, link href, CSS url().
EXTERNAL_ASSET = re.compile(
    r"""<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=["'](?:https?:)?//"""
    r"""|<link\b[^>]*\bhref=["'](?:https?:)?//|url\(["']?(?:https?:)?//""",
    re.I,
)


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_toc_document_has_a_page(site: Path) -> None:
    for doc in toc_files():
        assert (site / f"{doc}.html").is_file(), doc


def test_no_cell_failed_or_wrote_to_stderr(site: Path) -> None:
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        assert "output traceback" not in html, f"{page.name} shows a traceback"
        assert "output stderr" not in html, f"{page.name} shows stderr output"
        assert "&lt;Figure size" not in html, f"{page.name} shows a figure as text, not as an image"


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_every_code_cell_was_executed(site: Path, chapter: str) -> None:
    """The execution cache holds a run of the chapter's current text, with every cell run."""
    cache = get_cache(site.parent / ".jupyter_cache")
    source = jupytext.read(ROOT / f"{chapter}.md")
    _, executed = cache.merge_match_into_notebook(source)  # KeyError: this text never ran
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), "a code cell was not executed"


def test_no_page_loads_assets_from_another_host(site: Path) -> None:
    for page in [*pages(site), *site.rglob("*.css")]:
        found = EXTERNAL_ASSET.findall(page.read_text(encoding="utf-8", errors="replace"))
        assert not found, f"{page.relative_to(site)} loads {found[:3]}"


def test_vendored_scripts_are_in_the_site(site: Path) -> None:
    for rel in (
        "requirejs/require.js",
        "html-manager/dist/embed-amd.js",
        "mathjax/tex-chtml.js",
        "widgets-setup.js",
    ):
        assert (site / "_static" / "_vendor" / rel).is_file(), rel


def test_notebook_twins_are_in_sync() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "_ext" / "sync_notebooks.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_chapter_code_fits_the_page(chapter: str) -> None:
    """Code cells show 78 characters; longer lines scroll sideways, hiding their end. (Cells
    tagged remove-cell, such as claim checks, are not shown.)"""
    nb = jupytext.read(ROOT / f"{chapter}.md")
    shown_cells = [
        c for c in nb.cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])
    ]
    long = [line for c in shown_cells for line in c.source.splitlines() if len(line) > 78]
    assert not long, long


def printed(nb: nbformat.NotebookNode) -> list[str]:
    """The non-blank lines the code cells printed or returned as text (not widgets, not images)."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                out.append(o.text)
            elif "data" in o and "text/plain" in o.data and not {"image/png", WIDGET} & set(o.data):
                out.append(o.data["text/plain"])
    return [line.rstrip() for line in "\n".join(out).splitlines() if line.strip()]


WIDGET = "application/vnd.jupyter.widget-view+json"
OUTPUT_PRE = re.compile(r'<div class="output (?:stream|text_plain)[^"]*">.*?<pre>(.*?)</pre>', re.S)


def shown(html: str) -> list[str]:
    """The non-blank lines of the text outputs a chapter page shows."""
    text = "\n".join(unescape(re.sub(r"<[^>]+>", "", m)) for m in OUTPUT_PRE.findall(html))
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def test_chapter_figures_are_palette_pngs(site: Path) -> None:
    """reidlab.plots.use_style shows figures as palette PNGs (a third of the bytes)."""
    from PIL import Image

    shown = set()
    for page in pages(site / "chapters"):
        shown |= set(re.findall(r'src="\.\./(_images/[^"]+\.png)"', page.read_text(encoding="utf-8")))
    assert shown
    for rel in sorted(shown):
        with Image.open(site / rel) as img:
            assert img.mode == "P", f"{rel} is {img.mode}, not a palette PNG"
            assert "transparency" not in img.info, f"{rel} is transparent: unreadable on the dark theme"


def test_chapter_figures_have_alt_text(site: Path) -> None:
    """A figure's alt text (cell metadata ``mystnb: image: alt:``) says what it shows; myst-nb's
    default is the file's path, which tells a screen-reader user nothing."""
    for page in pages(site / "chapters"):
        for alt, src in re.findall(
            r'<img alt="([^"]*)" src="\.\./(_images/[^"]+)"', page.read_text(encoding="utf-8")
        ):
            assert len(alt) > 30 and not alt.endswith(".png"), f"{page.name}: {src} has alt {alt!r}"
