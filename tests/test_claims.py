"""Every sentence that states a result is checked by a hidden claim cell (README, "Writing a chapter").

The convention, in a chapter's MyST source:

* a paragraph that states a result starts with a comment ``% claim: <name>`` (several names:
  ``% claim: a, b``), and a cell tagged ``remove-cell`` calls ``claim("<name>", <check>, "...")``
  on the values the chapter computed (:func:`reidlab.book.claim`), so the build fails if the
  result changes;
* a paragraph that uses a word of comparison without stating a measured result (a definition, a
  formula, a paper's finding) starts with ``% no-claim: <why>`` instead.

This test finds the paragraphs that need one or the other by their words (``RESULT_WORDS``), and
checks that comments and claim calls pair up one to one.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, notebook_chapters

RESULT_WORDS = re.compile(
    r"\b(best|worst|beats?|better|worse|most|least|fewest|highest|lowest|ahead|behind|wins?|"
    r"outperforms?|more than|less than|fewer than|faster|slower|twice|times as|majority|"
    r"improves?|hurts?|fails?|collapses?|(?:on|over|in|for) every (?:seed|run))\b",
    re.I,
)
# a glued number next to a comparison is a result too: "{glue:text}`a` against {glue:text}`b`"
GLUED_COMPARISON = re.compile(r"\b(than|against|above|below|only|exceeds?)\b", re.I)
CLAIM_CALL = re.compile(r"""\bclaim\(\s*["']([^"']+)["']""")
FENCE = re.compile(r"^(```+|:::+)")


@dataclass
class Paragraph:
    line: int
    text: str
    claims: list[str]
    no_claim: str | None


@dataclass
class Cell:
    line: int
    tags: list[str]
    source: str


def parse(md: str) -> tuple[list[Paragraph], list[Cell]]:
    """Prose paragraphs (with the %-comments that open them) and code cells of a MyST notebook."""
    lines = md.splitlines()
    if lines and lines[0] == "---":  # front matter
        end = lines.index("---", 1)
        lines = [""] * (end + 1) + lines[end + 1 :]
    paragraphs: list[Paragraph] = []
    cells: list[Cell] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:  # a code cell or directive: skip to its closing fence
            j = i + 1
            while j < len(lines) and not lines[j].startswith(fence.group(1)):
                j += 1
            if line.startswith("```{code-cell}"):
                cells.append(code_cell(i + 1, lines[i + 1 : j]))
            i = j + 1
            continue
        if not line.strip() or line.startswith("#") or line.startswith("("):  # blank, heading, label
            i += 1
            continue
        start, block = i, []
        while i < len(lines) and lines[i].strip() and not FENCE.match(lines[i]):
            block.append(lines[i])
            i += 1
        comments = [b[1:].strip() for b in block if b.startswith("%")]
        text = " ".join(b for b in block if not b.startswith("%"))
        claims = [n.strip() for c in comments if c.startswith("claim:") for n in c[6:].split(",")]
        no_claim = next((c[9:].strip() for c in comments if c.startswith("no-claim:")), None)
        if text or claims or no_claim is not None:
            paragraphs.append(Paragraph(start + 1, text, claims, no_claim))
    return paragraphs, cells


def code_cell(line: int, body: list[str]) -> Cell:
    """A code cell's tags (``:tags: [...]`` or a ``---`` YAML header) and source."""
    options: dict = {}
    if body and body[0].startswith(":tags:"):
        options = {"tags": yaml.safe_load(body[0].split(":", 2)[2])}
        body = body[1:]
    elif body and body[0] == "---":
        end = body.index("---", 1)
        options = yaml.safe_load("\n".join(body[1:end])) or {}
        body = body[end + 1 :]
    return Cell(line, list(options.get("tags", [])), "\n".join(body))


def needs_annotation(p: Paragraph) -> bool:
    return bool(RESULT_WORDS.search(p.text)) or ("{glue:" in p.text and bool(GLUED_COMPARISON.search(p.text)))


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_result_sentences_carry_a_claim_or_say_why_not(chapter: str) -> None:
    paragraphs, _ = parse((ROOT / f"{chapter}.md").read_text(encoding="utf-8"))
    missing = [
        f"line {p.line}: {p.text[:90]}..."
        for p in paragraphs
        if needs_annotation(p) and not p.claims and p.no_claim is None
    ]
    assert not missing, "paragraphs that state a result need '% claim: <name>' or '% no-claim: <why>':\n" + (
        "\n".join(missing)
    )
    empty = [p.line for p in paragraphs if p.no_claim is not None and len(p.no_claim) < 8]
    assert not empty, f"'% no-claim:' needs a reason (lines {empty})"


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_claim_comments_and_hidden_checks_pair_up(chapter: str) -> None:
    paragraphs, cells = parse((ROOT / f"{chapter}.md").read_text(encoding="utf-8"))
    said = [name for p in paragraphs for name in p.claims]
    checked = [name for c in cells for name in CLAIM_CALL.findall(c.source)]
    assert len(said) == len(set(said)), f"a claim name is used twice in the prose: {said}"
    assert len(checked) == len(set(checked)), f"a claim is checked twice: {checked}"
    assert set(said) == set(checked), (
        f"claims in the prose but never checked: {sorted(set(said) - set(checked))}; "
        f"checked but in no sentence: {sorted(set(checked) - set(said))}"
    )
    shown = [c.line for c in cells if CLAIM_CALL.search(c.source) and "remove-cell" not in c.tags]
    assert not shown, f"claim checks belong in cells tagged remove-cell (lines {shown})"


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_every_claim_passes_the_values_it_rests_on(chapter: str) -> None:
    """A note of a claim that did not hold shows this build's values: each call passes them."""
    _, cells = parse((ROOT / f"{chapter}.md").read_text(encoding="utf-8"))
    bare = [
        (c.line, call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else "?")
        for c in cells
        if CLAIM_CALL.search(c.source)
        for call in ast.walk(ast.parse(c.source))
        if isinstance(call, ast.Call)
        and getattr(call.func, "id", None) == "claim"
        and "values" not in [k.arg for k in call.keywords]
    ]
    assert not bare, f"claim calls without values=: {bare}"


def test_the_parser_finds_claims_checks_and_result_words() -> None:
    md = """---
kernelspec: {}
---

# A title that is best ignored

% claim: a-wins
A beats B on every seed.

% no-claim: a definition
The best constant under L2 is the mean.

Plain text without results.

```{code-cell} ipython3
:tags: [remove-cell]
claim("a-wins", True, "A above B")
```

```{code-cell} ipython3
---
tags: [hide-cell]
mystnb: {code_prompt_show: "Show solution 1"}
---
print(1)
```
"""
    paragraphs, cells = parse(md)
    assert [p.claims for p in paragraphs] == [["a-wins"], [], []]
    assert paragraphs[1].no_claim == "a definition"
    assert [needs_annotation(p) for p in paragraphs] == [True, True, False]
    assert cells[0].tags == ["remove-cell"] and CLAIM_CALL.findall(cells[0].source) == ["a-wins"]
    assert cells[1].tags == ["hide-cell"] and cells[1].source == "print(1)"


TINY_CHAPTER = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

# A tiny chapter

```{code-cell} ipython3
:tags: [remove-cell]
from reidlab.book import claim

claim("sky-is-green", 1 > 2, "one is more than two", values={"one": 1, "two": 2.0})
claim("sky-is-blue", 2 > 1, "two is more than one", values={"two": 2})
```

% claim: sky-is-blue
Two is more than one, as always.

% claim: sky-is-green
One is more than two on every seed.
"""


def build_tiny_book(tmp_path: Path, strict: bool) -> tuple[subprocess.CompletedProcess, Path]:
    """A one-chapter book with the book's claims extension, one claim true and one false."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "chapter.md").write_text(TINY_CHAPTER)
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapter\n")
    (book / "_config.yml").write_text(
        "title: tiny\nexecute: {execute_notebooks: force}\n"
        f"sphinx:\n  local_extensions:\n    claims: {ROOT / '_ext'}\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "REIDLAB_STRICT_CLAIMS")}
    env |= {"REIDLAB_BOOK_BUILD": "1", "REIDLAB_STRICT_CLAIMS": "1" if strict else "0"}
    jb = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run(
        [str(jb), "build", str(book), "--warningiserror", "--keep-going"],
        env=env,
        capture_output=True,
        text=True,
    )
    return done, book / "_build" / "html" / "chapter.html"


def test_a_claim_that_does_not_hold_is_a_note_at_its_sentence_in_the_readers_build(tmp_path: Path) -> None:
    done, page = build_tiny_book(tmp_path, strict=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = page.read_text(encoding="utf-8")
    notes = re.findall(r'<div class="claim-not-held[^"]*">(.*?)</div>', html, re.S)
    assert len(notes) == 1, "exactly one note, for the one claim that failed"
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", notes[0])))
    assert "claim “sky-is-green”" in text and "one is more than two" in text
    assert "This build: one = 1; two = 2." in text
    assert html.index("claim-not-held") < html.index("One is more than two on every seed")
    assert html.index("Two is more than one") < html.index("claim-not-held"), (
        "the note sits at its own paragraph"
    )
    assert "claims: 1 of 2 did not hold in this build" in done.stdout
    assert "chapter: sky-is-green" in done.stdout


def test_a_claim_that_does_not_hold_fails_the_strict_build_and_names_itself(tmp_path: Path) -> None:
    done, _ = build_tiny_book(tmp_path, strict=True)
    assert done.returncode != 0
    log = done.stdout + done.stderr
    assert "claim 'sky-is-green' does not hold: one is more than two. This build: one = 1; two = 2" in log
    assert "claim 'sky-is-blue'" not in log, "the claim that holds is quiet"
