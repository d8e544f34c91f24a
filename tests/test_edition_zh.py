"""The Chinese edition (``_build/html/zh/``, built by ``make book`` from the English sources and
``locales/zh_CN/LC_MESSAGES/chapters/*.po``) against the English one.

* the catalogues hold exactly the English book's messages, every one translated, none fuzzy
  (``msgfmt``), with the markup a translation must keep (``_ext/po_check.py``);
* every page has its twin, and the language switch links the two both ways, relatively;
* every glued number of an English page is on its Chinese page;
* where an English page uses a glossary term, its Chinese page uses the term's Chinese name.

The browser tests (``test_browser.py``) load the Chinese pages too, and search both editions.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from conftest import ROOT, toc_files

sys.path.insert(0, str(ROOT / "_ext"))
import edition_zh
import editions
import po_check

LOCALES = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"
ARTICLE = re.compile(r'<article class="bd-article">(.*?)</article>', re.S)
GLUED = re.compile(r'<span class="pasted-text">(.*?)</span>', re.S)


def article(site: Path, doc: str) -> str:
    """The HTML of a page's own content (no navigation, no sidebars)."""
    found = ARTICLE.search((site / f"{doc}.html").read_text(encoding="utf-8"))
    assert found, f"{doc}.html has no <article class='bd-article'>"
    return found.group(1)


class _Prose(HTMLParser):
    """The words of the prose: code cells, their outputs, code and math left out. A skipped
    element ends at the end tag that matches it (same name, same nesting)."""

    SKIP_TAGS = frozenset({"script", "style", "pre", "code"})
    SKIP_CLASSES = frozenset({"cell_input", "cell_output", "math", "highlight"})

    def __init__(self) -> None:
        super().__init__()
        self.skipping: str | None = None  # the tag name of the skipped element we are in
        self.depth = 0  # how many elements of that name are open inside it (itself included)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            self.depth += tag == self.skipping
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in self.SKIP_TAGS or classes & self.SKIP_CLASSES:
            self.skipping, self.depth = tag, 1

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and tag == self.skipping:
            self.depth -= 1
            if self.depth == 0:
                self.skipping = None
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def words(html: str) -> str:
    parser = _Prose()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def messages(path: Path) -> set[str]:
    with path.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_every_page_has_a_catalogue_and_every_catalogue_a_page() -> None:
    catalogues = {p.relative_to(LOCALES).with_suffix("").as_posix() for p in LOCALES.rglob("*.po")}
    assert catalogues == set(toc_files())


def test_every_message_is_translated_none_fuzzy_and_its_markup_kept() -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.fail("msgfmt is missing: apt-get install gettext (.ci/run does)")
    for po in sorted(LOCALES.rglob("*.po")):
        # --check-format is left out: Babel flags any message with a % as python-format, and
        # Sphinx never formats a message; po_check.py checks the markup that does matter.
        done = subprocess.run(
            [msgfmt, "--check-header", "--check-domain", "--statistics", "-o", os.devnull, str(po)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"{po.name}: {done.stderr}"
        assert "untranslated" not in done.stderr and "fuzzy" not in done.stderr, f"{po.name}: {done.stderr}"
    assert po_check.main([]) == 0, "run python _ext/po_check.py to see which messages"


def test_the_catalogues_hold_exactly_the_messages_of_the_english_book(tmp_path: Path) -> None:
    """An English paragraph changed without its translation: ``make catalogues`` marks it."""
    pot = edition_zh.extract(tmp_path / "gettext")
    stale = {}
    for doc in toc_files():
        want, have = messages(pot / f"{doc}.pot"), messages(LOCALES / f"{doc}.po")
        if want != have:
            stale[doc] = {"new in English": sorted(want - have)[:3], "gone": sorted(have - want)[:3]}
    assert not stale, f"run `make catalogues` and translate: {stale}"


def test_the_navigation_is_in_chinese_too(site: Path) -> None:
    """The part captions of the sidebar (from _toc.yml) come from the root page's catalogue."""
    parts = [part["caption"] for part in yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]]
    with (LOCALES / "chapters" / "intro.po").open("rb") as f:
        catalog = read_po(f)
    for doc in ("chapters/intro", "chapters/video"):
        html = (site / "zh" / f"{doc}.html").read_text(encoding="utf-8")
        for caption in parts:
            chinese = catalog[caption].string
            assert chinese and f">{chinese}<" in html and f">{caption}<" not in html, (doc, caption)


@pytest.mark.parametrize("doc", toc_files())
def test_the_language_switch_links_each_page_to_its_twin_both_ways(site: Path, doc: str) -> None:
    for source, twin, lang in ((doc, f"zh/{doc}", "zh-CN"), (f"zh/{doc}", doc, "en")):
        html = (site / f"{source}.html").read_text(encoding="utf-8")
        links = re.findall(r'<p class="language-switch"><a href="([^"]+)" hreflang="([^"]+)"', html)
        assert len(links) == 1, f"{source}: one switch per page"
        href, hreflang = links[0]
        assert hreflang == lang and not href.startswith(("/", "http")), f"{source}: {href}"
        assert ((site / source).parent / href).resolve() == (site / f"{twin}.html").resolve()


@pytest.mark.parametrize("doc", toc_files())
def test_every_glued_number_is_on_both_editions(site: Path, doc: str) -> None:
    english = Counter(GLUED.findall(article(site, doc)))
    chinese = Counter(GLUED.findall(article(site, f"zh/{doc}")))
    assert english == chinese, f"only English: {english - chinese}; only Chinese: {chinese - english}"


@pytest.mark.parametrize("doc", toc_files())
def test_the_buttons_of_a_chinese_page_are_chinese(site: Path, doc: str) -> None:
    html = (site / "zh" / f"{doc}.html").read_text(encoding="utf-8")
    english = r"(Show|Hide) code cell \w+|(Show|Hide) solution \d|Click to (show|hide)"
    left = [m.group(0) for m in re.finditer(english, html)]
    assert not left, f"English buttons on zh/{doc}.html: {sorted(set(left))}"


@pytest.mark.parametrize("doc", toc_files())
def test_every_figure_of_a_chinese_page_is_described_in_chinese(site: Path, doc: str) -> None:
    alts = re.findall(r'<img alt="([^"]*)" src="[^"]*_images/', article(site, f"zh/{doc}"))
    english = [alt[:60] for alt in alts if not editions.HAN.search(alt)]
    assert not english, f"alt texts still in English: {english}"


def english_pattern(term: str) -> re.Pattern:
    """A glossary term as the prose writes it: without its parenthesis, any case, singular or
    plural."""
    return re.compile(rf"(?<![\w-]){re.escape(editions.bare_term(term))}(s|es)?(?![\w-])", re.I)


def test_where_the_english_uses_a_glossary_term_the_chinese_uses_its_chinese_name(site: Path) -> None:
    """A term qualified by a parenthesis (``cell (HOG)``, ``tie (in a ranking)``) names one sense
    of a common word, so it is checked on the page that teaches it; any other term everywhere."""
    terms = editions.glossary_by_page(ROOT, (ROOT / "chapters" / "glossary.md").read_text(encoding="utf-8"))
    assert len(terms) > 100 and all(chapter for _, _, chapter in terms)
    missing, checked = [], 0
    for doc in toc_files():
        if doc.endswith(("glossary", "bibliography")):
            continue
        en, zh = words(article(site, doc)), words(article(site, f"zh/{doc}"))
        for term, names, chapter in terms:
            if ("(" in term and doc != chapter) or not english_pattern(term).search(en):
                continue
            checked += 1
            if not any(name in zh for name in names):
                missing.append(f"{doc}: {term} → {' / '.join(names)}")
    assert checked > 200, f"only {checked} uses of a term found: is the page text extracted?"
    assert not missing, f"{len(missing)} terms without their Chinese name:\n" + "\n".join(missing)
