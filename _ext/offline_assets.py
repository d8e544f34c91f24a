"""Sphinx extension: make the built book self-contained (no CDN, no third-party request).

What it does, and why (the snags are listed in the design notes):

* copies ``_vendor/`` (require.js, the ipywidgets HTML manager, MathJax, all pinned and fetched
  by ``_vendor/fetch.sh``) and ``widgets-setup.js`` into ``_static/_vendor/`` *after* the build.
  Copying there, rather than listing ``_vendor`` in ``html_static_path``, keeps the theme from
  injecting every ``.js`` file it finds into every page;
* drops sphinx-thebe's scripts: the book has no Live Code button, and those scripts name a CDN
  and are written twice per page (``const THEBE_JS_URL`` declared twice is a SyntaxError);
* removes the theme's ``fontawesome.js`` from the written pages (540 KB gzipped on every first
  visit): the theme's CSS already draws the same icons from its webfonts (compared in
  screenshots);
* draws the repository button with a solid icon (a code branch) instead of the GitHub mark: the
  mark is the only glyph of the brands webfont, 115 KB fetched on every first visit for one icon;
* fails the build if any page still refers to a script, style sheet or font on another host;
* mends three accessibility faults of the theme and extensions that axe-core reports as serious
  or critical (``ACCESSIBILITY``): a screen reader's name for a control must contain the text it
  shows, and a list must hold list items.

``_config.yml`` points ``mathjax_path`` and ``nb_ipywidgets_js`` at ``_vendor/...`` (Sphinx
prefixes ``_static/``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

HERE = Path(__file__).parent
VENDOR = HERE.parent / "_vendor"
# <script src=...>, <link href=...> and CSS url(...) that leave the site: what a reader's browser would fetch.
# pydata-sphinx-theme writes this tag from a template macro ("so that users can add custom
# icons"; the book adds none), with no option to turn it off.
FONTAWESOME_JS = re.compile(r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')
# the repository button's icon: the solid font is fetched anyway, the brands font only for this one
BRAND_ICON = ('<i class="fab fa-github"></i>', '<i class="fas fa-code-branch"></i>')
REMOTE = re.compile(
    r"""(?:<script[^>]+src|<link[^>]+href)=["'](?:https?:)?//[^"']+|url\((?:["'])?(?:https?:)?//"""
)


ACCESSIBILITY = [  # (pattern, replacement); the browser test's axe-core run checks the result
    # the search button shows "Search Ctrl+K" but is named "Search" (搜索 in the Chinese edition):
    # let its text name it
    (re.compile(r'(<button class="btn search-button-field[^"]*" title="([^"]*)") aria-label="\2"'), r"\1"),
    # myst-nb's folded cells show "Show solution 1" but are named "Toggle hidden content"
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
    # sphinxcontrib-bibtex puts entries with the deprecated role doc-biblioentry in a role="list"
    (re.compile(r'role="doc-biblioentry"'), 'role="listitem"'),
]


def _unwanted(script: Any) -> bool:
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "sphinx-thebe" in str(getattr(script, "filename", script)) or "THEBE_JS_URL" in body


def drop_scripts(app: Sphinx, pagename: str, template: str, context: dict[str, Any], doctree: object) -> None:
    context["script_files"] = [s for s in context.get("script_files", []) if not _unwanted(s)]


def finish(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / "_vendor"
    shutil.copytree(
        VENDOR, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("fetch.sh", "SHA256SUMS", "axe-core")
    )  # axe-core is for the browser tests only
    shutil.copy2(HERE / "widgets-setup.js", dest / "widgets-setup.js")
    offenders = []
    for page in Path(app.outdir).rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        slim = FONTAWESOME_JS.sub("", html).replace(*BRAND_ICON)
        for pattern, replacement in ACCESSIBILITY:
            slim = pattern.sub(replacement, slim)
        if slim != html:
            page.write_text(slim, encoding="utf-8")
        for match in REMOTE.finditer(slim):
            offenders.append(f"{page.relative_to(app.outdir)}: {match.group(0)[:120]}")
    if offenders:
        raise ExtensionError("pages load assets from other hosts:\n" + "\n".join(offenders[:20]))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", drop_scripts, priority=900)
    app.connect("build-finished", finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
