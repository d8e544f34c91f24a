"""Sphinx extension: the book in two languages from one source (English, and Chinese from
``locales/zh_CN/LC_MESSAGES/*.po``).

* **Glued numbers in translated paragraphs.** Sphinx's i18n transform parses a translated
  paragraph anew, where myst-nb's ``{glue:text}`` role no longer sees the notebook it came from
  ("No key ... found in glue data for this document"). The role is given a fallback: the glue
  values myst-nb wrote for the same document (``jupyter_execute/<doc>.glue.json``, written before
  any transform runs). The English build never needs it.
* **A language switch on every page**: a link to the same page in the other edition, relative,
  so it works offline and from ``file://``. The Chinese edition lives in ``zh/`` inside the
  English site (``_build/html/zh/``), so from ``chapters/video.html`` the link is
  ``../zh/chapters/video.html`` and back ``../../chapters/video.html``.

* **The navigation's part captions in Chinese.** Jupyter Book inserts the book's toctrees (from
  ``_toc.yml``) after Sphinx has translated the page, so their captions ("Comparing features")
  would stay English; they are translated from the root page's catalogue once the page is read.
* **The buttons of folded cells in Chinese.** "Show code cell source" (myst-nb's default) and
  the exercises' "Show solution 2" are cell metadata, not text Sphinx translates:
  :data:`PROMPTS` gives their Chinese.
* **Search lists the chapter that teaches a term first** (both editions). Sphinx ranks a
  glossary entry above every chapter, and chapters among themselves by title words. A scorer
  (``html_search_scorer``, written here from the glossary) adds Sphinx's own scores one rule:
  when the query is a glossary term (English, its abbreviation, or a Chinese name), the page
  whose glossary section holds it comes first.
* **Chinese search that finds the book's terms.** Sphinx indexes Chinese text with jieba, whose
  general dictionary splits a term like 三元组损失 into pieces. The Chinese edition gives jieba the
  Chinese names of the glossary's terms (``book_glossary``, lines ``English term · 中文名``) as a
  user dictionary, so each term is one word of the search index.

The edition (English or Chinese) follows Sphinx's ``language``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from myst_nb.core.variables import VariableOutput
from myst_nb.ext.glue import roles, utils
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.locale import init as init_locale
from sphinx.util.i18n import docname_to_domain

ZH_FOLDER = "zh"  # the Chinese edition's folder inside the English site
SWITCH = {  # edition -> (link text, its language, title of the link)
    "en": ("中文", "zh-CN", "本页的中文版"),
    "zh_CN": ("English", "en", "This page in English"),
}

_retrieve = utils.retrieve_glue_data


def retrieve_glue_data(document: nodes.document, key: str) -> VariableOutput:
    """myst-nb's lookup, then the document's glue values on disk (for translated paragraphs)."""
    try:
        return _retrieve(document, key)
    except utils.RetrievalError:
        env = getattr(document.settings, "env", None)
        if env is None:
            raise
        path = Path(env.mystnb_config.output_folder, *env.docname.split("/"))
        path = path.with_name(path.name + ".glue.json")
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if key not in data:
            raise
        found = data[key]
        return VariableOutput(found["data"], found.get("metadata", {}), nb_renderer=None, vtype="code")


TERM = re.compile(r"^(\S[^\n]*?) · ([^\n]+)$", re.M)  # a glossary term: English · 中文 (别名)
HAN = re.compile(r"[\u3400-\u9fff]+")


def glossary_terms(text: str) -> list[tuple[str, list[str]]]:
    """Each glossary term's English name and its Chinese names (``点积 (内积)`` gives two)."""
    return [(en.strip(), HAN.findall(zh)) for en, zh in TERM.findall(text) if HAN.search(zh)]


def search_dictionary(text: str) -> str:
    """A jieba user dictionary (one ``word frequency`` per line) of the glossary's Chinese names,
    frequent enough that jieba keeps each one whole."""
    words = sorted({w for _, names in glossary_terms(text) for w in names if len(w) > 1})
    return "".join(f"{w} 100000\n" for w in words)


def bare_term(term: str) -> str:
    """A glossary term without its parenthesis: ``person re-identification (ReID)`` -> the words."""
    return re.sub(r"\s*\([^)]*\)", "", term).strip()


def glossary_by_page(srcdir: Path, glossary: str) -> list[tuple[str, list[str], str | None]]:
    """Each glossary term, its Chinese names, and the page that teaches it: the page whose title
    heads the term's section (``None`` before the first section, or for a title of no page)."""
    titles = {}
    for md in sorted(Path(srcdir, "chapters").glob("*.md")):
        first = re.search(r"^# (.+)$", md.read_text(encoding="utf-8"), re.M)
        if first:
            titles[first.group(1).strip()] = f"chapters/{md.stem}"
    terms, page = [], None
    for line in glossary.splitlines():
        if line.startswith("## "):
            page = titles.get(line[3:].strip())
        terms += [(en, names, page) for en, names in glossary_terms(line)]
    return terms


def teaching_pages(srcdir: Path, glossary: str) -> dict[str, str]:
    """Each glossary term, lower-cased (English without its parenthesis, an abbreviation in it,
    each Chinese name) -> the page that teaches it."""
    teaches: dict[str, str] = {}
    for en, names, page in glossary_by_page(srcdir, glossary):
        short = re.findall(r"\(([A-Z][\w-]*)\)", en)  # an abbreviation: (ReID), (BCE)
        for key in [bare_term(en), *short, *names]:
            if page and key.lower() not in teaches:
                teaches[key.lower()] = page
    return teaches


def read_glossary(app: Sphinx) -> str:
    glossary = Path(app.srcdir, app.config.book_glossary)
    if not glossary.is_file():
        raise FileNotFoundError(f"book_glossary: no glossary at {glossary}")
    return glossary.read_text(encoding="utf-8")


SCORER = """// Written by _ext/editions.py: Sphinx's scores, and one rule more. When the query is a glossary
// term, the page that teaches it (its glossary section) comes first. The terms, {page: [terms]},
// are in window.bookTeaches, which only the search page defines.
var Scorer = {
  teaches: null,
  score: (result) => {
    const [docname, , , , score] = result;
    if (Scorer.teaches === null) {
      const pages = Object.entries(window.bookTeaches || {});
      Scorer.teaches = Object.fromEntries(pages.flatMap(([page, terms]) => terms.map((t) => [t, page])));
    }
    const query = (new URLSearchParams(window.location.search).get("q") || "").trim().toLowerCase();
    return Scorer.teaches[query] === docname ? score + 100 : score;
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: {0: 15, 1: 5, 2: -5},
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
"""


def use_search_scorer(app: Sphinx) -> None:
    by_page: dict[str, list[str]] = {}
    for term, page in sorted(teaching_pages(Path(app.srcdir), read_glossary(app)).items()):
        by_page.setdefault(page, []).append(term)
    app.config.book_teaches = by_page
    path = Path(app.doctreedir, "search_scorer.js")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SCORER, encoding="utf-8")
    app.config.html_search_scorer = str(path)


def add_search_terms(
    app: Sphinx, pagename: str, _template: str, context: dict[str, Any], _doctree: object
) -> None:
    """The glossary's terms for the scorer, on the search page only (every page loads the scorer;
    the terms would add kilobytes to each)."""
    if pagename != "search":
        return
    terms = json.dumps(app.config.book_teaches, ensure_ascii=False, separators=(",", ":"))
    terms = terms.replace("</", "<\\/")  # never ends the script element
    context["metatags"] = context.get("metatags", "") + f"<script>window.bookTeaches = {terms};</script>\n"


def use_search_dictionary(app: Sphinx) -> None:
    if edition(app.config.language) != "zh_CN":
        return
    path = Path(app.doctreedir, "search_terms.zh.txt")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(search_dictionary(read_glossary(app)), encoding="utf-8")
    app.config.html_search_options = {**(app.config.html_search_options or {}), "dict": str(path)}


#: The folded cells' button labels (``{type}`` is myst-nb's: source, outputs, ...).
PROMPTS = [
    (re.compile(r"^Show code cell \{type\}$"), "显示代码"),
    (re.compile(r"^Hide code cell \{type\}$"), "隐藏代码"),
    (re.compile(r"^Show solution (\d+)$"), r"显示练习 \1 的解答"),
    (re.compile(r"^Hide solution (\d+)$"), r"隐藏练习 \1 的解答"),
]


def translate_prompts(doctree: nodes.document) -> None:
    for node in doctree.findall(lambda n: isinstance(n, nodes.Element) and "prompt_show" in n.attributes):
        for key in ("prompt_show", "prompt_hide"):
            for pattern, chinese in PROMPTS:
                node[key] = pattern.sub(chinese, node[key])


def finish_chinese_page(app: Sphinx, doctree: nodes.document) -> None:
    """What Sphinx leaves English on a Chinese page: folded cells' buttons, the part captions."""
    if edition(app.config.language) != "zh_CN":
        return
    translate_prompts(doctree)
    domain = docname_to_domain(app.env.docname, app.config.gettext_compact)
    dirs = [str(Path(app.srcdir, d)) for d in app.config.locale_dirs]
    catalog, found = init_locale(dirs, app.config.language, domain)
    if not found:
        return
    for toctree in doctree.findall(addnodes.toctree):
        if toctree.get("caption"):
            toctree["caption"] = catalog.gettext(toctree["caption"])


def edition(language: str | None) -> str:
    return "zh_CN" if (language or "en").startswith("zh") else "en"


def switch_link(pagename: str, language: str | None) -> str:
    """The relative link from ``pagename`` to the same page in the other edition."""
    depth = pagename.count("/")
    if edition(language) == "en":
        return "../" * depth + f"{ZH_FOLDER}/{pagename}.html"
    return "../" * (depth + 1) + f"{pagename}.html"


def add_switch(app: Sphinx, pagename: str, template: str, context: dict[str, Any], doctree: object) -> None:
    if "body" not in context:  # search page, genindex: no page body to put it in
        return
    text, lang, title = SWITCH[edition(app.config.language)]
    href = switch_link(pagename, app.config.language)
    link = (
        f'<p class="language-switch"><a href="{href}" hreflang="{lang}" lang="{lang}" '
        f'title="{title}">{text}</a></p>\n'
    )
    context["body"] = link + context["body"]


def setup(app: Sphinx) -> dict[str, Any]:
    roles.retrieve_glue_data = retrieve_glue_data  # the roles module looks it up by this name
    app.add_config_value("book_glossary", "chapters/glossary.md", "env")
    app.add_config_value("book_teaches", {}, "")  # set from the glossary (use_search_scorer)
    app.connect("builder-inited", use_search_dictionary)
    app.connect("builder-inited", use_search_scorer)
    app.connect("html-page-context", add_search_terms)
    app.connect("doctree-read", finish_chinese_page)
    app.connect("html-page-context", add_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
