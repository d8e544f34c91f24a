"""The Chinese edition's machinery (_ext/editions.py), on a tiny book built in both languages.

The book's Chinese edition is built from the English sources and gettext catalogues
(``locales/zh_CN/LC_MESSAGES/<doc>.po``). What can silently go wrong is tested here on a
one-chapter book, built as the real one will be (English; gettext; Chinese from the same
execution cache into ``zh/`` inside the English site):

* a glued number inside a translated paragraph keeps its value (myst-nb loses it without the
  extension's fallback);
* a claim that did not hold is a note on both editions, in each edition's words;
* the language switch links each page to its twin, both ways, with relative links;
* the Chinese search index holds the glossary's terms whole (jieba with the glossary as its
  dictionary), so searching 三元组损失 finds its page;
* the Chinese build executes nothing: it reads the English build's cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
babel = pytest.importorskip("babel.messages.pofile")

CHAPTER = """\
---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

# Triplet loss

```{code-cell} ipython3
:tags: [remove-cell]
from reidlab.book import claim, glue

glue("acc", 0.87654)
claim("acc-high", 0.87654 > 0.9, "accuracy above 0.9", values={"acc": 0.87654})
```

% claim: acc-high
The triplet loss reaches an accuracy of {glue:text}`acc:.3f` on the test set.
"""

GLOSSARY = """\
# Glossary

```{glossary}
triplet loss · 三元组损失
  A loss on three images at a time.
```
"""

TRANSLATIONS = {
    "Triplet loss": "三元组损失",
    "The triplet loss reaches an accuracy of {glue:text}`acc:.3f` on the test set.": (
        "三元组损失在测试集上的准确率为 {glue:text}`acc:.3f`。"
    ),
    "Glossary": "术语表",
    "triplet loss · 三元组损失": "三元组损失 · triplet loss",  # Chinese first in the Chinese edition
    "A loss on three images at a time.": "一次看三张图像的损失。",
}


def jupyter_book(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "REIDLAB_STRICT_CLAIMS")}
    env |= {"REIDLAB_BOOK_BUILD": "1", "REIDLAB_STRICT_CLAIMS": "0"}
    jb = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run([str(jb), *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def config(book: Path, **sphinx_config: object) -> str:
    settings = {"nb_execution_cache_path": str(book / "_build" / ".jupyter_cache"), **sphinx_config}
    lines = "".join(f"    {k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in settings.items())
    return (
        "title: tiny\nexecute: {execute_notebooks: cache}\n"
        f"sphinx:\n  local_extensions:\n    claims: {ROOT / '_ext'}\n    editions: {ROOT / '_ext'}\n"
        f"  config:\n{lines}"
    )


def translate(pot: Path, po: Path) -> None:
    """Write the Chinese catalogue of one document from its template: every message translated."""
    with pot.open("rb") as f:
        catalog = babel.read_po(f)
    for message in catalog:
        if message.id:
            message.string = TRANSLATIONS[message.id]
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as f:
        babel.write_po(f, catalog)


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    book = tmp_path_factory.mktemp("editions") / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "triplets.md").write_text(CHAPTER, encoding="utf-8")
    (book / "chapters" / "glossary.md").write_text(GLOSSARY, encoding="utf-8")
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: chapters/triplets\nchapters:\n  - file: chapters/glossary\n"
    )
    (book / "_config.yml").write_text(config(book, gettext_compact=False))
    english = jupyter_book("build", str(book))
    gettext = book / "_build" / "gettext"
    jupyter_book(
        "build",
        str(book),
        "--builder",
        "custom",
        "--custom-builder",
        "gettext",
        "--path-output",
        str(gettext),
    )
    locales = book / "locales"
    for pot in (gettext / "_build" / "gettext").rglob("*.pot"):
        rel = pot.relative_to(gettext / "_build" / "gettext").with_suffix(".po")
        translate(pot, locales / "zh_CN" / "LC_MESSAGES" / rel)
    zh_config = book / "_build" / "_config.zh.yml"
    zh_config.write_text(config(book, gettext_compact=False, language="zh_CN", locale_dirs=[str(locales)]))
    zh_out = book / "_build" / "zh"
    chinese = jupyter_book("build", str(book), "--config", str(zh_config), "--path-output", str(zh_out))
    site = book / "_build" / "html"
    shutil.copytree(zh_out / "_build" / "html", site / "zh")
    return {"site": site, "english": english.stdout, "chinese": chinese.stdout}


def text(html: str) -> str:
    """The page's words, tags removed (inline tags join their neighbours, as a reader sees them)."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", re.sub(r"</?(p|div|h\d)\b[^>]*>", " ", html))))


def page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def test_a_glued_number_keeps_its_value_in_a_translated_paragraph(editions: dict) -> None:
    site = editions["site"]
    assert "accuracy of 0.877 on the test set" in text(page(site, "chapters/triplets.html"))
    assert "三元组损失在测试集上的准确率为 0.877。" in text(page(site, "zh/chapters/triplets.html"))


def test_a_claim_note_is_on_both_editions_in_their_own_words(editions: dict) -> None:
    site = editions["site"]
    en, zh = text(page(site, "chapters/triplets.html")), text(page(site, "zh/chapters/triplets.html"))
    assert "Not shown by this build: claim “acc-high”" in en
    assert "本次构建没有得到这一结果：论断“acc-high”" in zh
    assert "检查的是：accuracy above 0.9。本次构建：acc = 0.877" in zh
    assert zh.index("论断“acc-high”") < zh.index("三元组损失在测试集上"), "the note precedes its paragraph"


@pytest.mark.parametrize(
    ("source", "language"),
    [
        ("chapters/triplets.html", "zh-CN"),
        ("zh/chapters/triplets.html", "en"),
        ("zh/chapters/glossary.html", "en"),
    ],
)
def test_the_language_switch_links_each_page_to_its_twin(editions: dict, source: str, language: str) -> None:
    site = editions["site"]
    links = re.findall(r'<p class="language-switch"><a href="([^"]+)" hreflang="([^"]+)"', page(site, source))
    assert len(links) == 1, "one switch per page"
    href, lang = links[0]
    assert lang == language and not href.startswith(("/", "http"))
    target = ((site / source).parent / href).resolve()
    twin = source.removeprefix("zh/") if source.startswith("zh/") else "zh/" + source
    assert target == (site / twin).resolve() and target.is_file()


def test_chinese_search_holds_the_glossary_terms_whole(editions: dict) -> None:
    index = json.loads(
        page(editions["site"], "zh/searchindex.js").removeprefix("Search.setIndex(").rstrip(")")
    )
    docs = {}
    for kind in ("terms", "titleterms"):  # a page's title words are indexed as title terms
        hits = index[kind].get("三元组损失", [])
        docs[kind] = {index["docnames"][i] for i in (hits if isinstance(hits, list) else [hits])}
    assert docs["terms"] | docs["titleterms"] == {"chapters/triplets", "chapters/glossary"}, (
        "jieba split the glossary term: its dictionary was not used"
    )
    assert docs["titleterms"] == {"chapters/triplets"}, "the chapter titled 三元组损失 ranks first"


def test_the_chinese_build_reads_the_english_execution_cache(editions: dict) -> None:
    assert "Executing" in editions["english"] or "executing" in editions["english"].lower()
    assert "Executing notebook" not in editions["chinese"]
