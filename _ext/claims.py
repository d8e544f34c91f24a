"""Sphinx extension: a claim that does not hold in this build is shown at its sentence, never hidden.

A chapter's sentence that states a result opens with ``% claim: <name>``, and a hidden cell checks
it with :func:`reidlab.book.claim`. In a book build a claim that does not hold is glued as
``claim-not-held:<name>`` (what was checked, and this build's values). For each such claim this
extension

* puts a note right before the paragraph that carries ``% claim: <name>``: an admonition with the
  CSS class ``claim-not-held`` that names the claim, says what was checked and gives the values
  of this build, so a reader whose machine trained another network sees where the text and the
  numbers part;
* in a strict build (``REIDLAB_STRICT_CLAIMS=1`` or ``CI`` set: ``make test``, ``.ci/run``) also
  logs a warning, which ``-W`` turns into a failed build that names the claim;
* ends the build with one line: how many claims did not hold, and which.

myst-nb keeps ``%`` comments as ``nodes.comment`` in the doctree and writes a document's glue
values to ``jupyter_execute/<doc>.glue.json`` (its keys in ``env.nb_metadata``), cached
executions included, before any transform runs.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from reidlab.book import NOT_HELD, strict

LOGGER = logging.getLogger(__name__)
CLASS = "claim-not-held"


def not_held(env: BuildEnvironment, docname: str) -> dict[str, dict[str, str]]:
    """``name -> {"what", "values"}`` of the claims glued as not held in ``docname``."""
    keys = [
        k
        for k in getattr(env, "nb_metadata", {}).get(docname, {}).get("glue") or []
        if k.startswith(NOT_HELD)
    ]
    if not keys:  # a stale .glue.json of an earlier build may remain: trust the keys only
        return {}
    path = Path(env.mystnb_config.output_folder, *docname.split("/"))
    data = json.loads(path.with_name(path.name + ".glue.json").read_text(encoding="utf-8"))
    # a glued str is stored as its repr()
    return {k[len(NOT_HELD) :]: json.loads(ast.literal_eval(data[k]["data"]["text/plain"])) for k in keys}


def claim_comments(document: nodes.document) -> Iterator[tuple[nodes.comment, list[str]]]:
    """Each ``% claim: a, b`` comment with its names (consecutive ``%`` lines make one comment)."""
    for comment in document.findall(nodes.comment):
        names = [
            n.strip()
            for line in comment.astext().splitlines()
            if line.strip().startswith("claim:")
            for n in line.strip()[len("claim:") :].split(",")
        ]
        if names:
            yield comment, [n for n in names if n]


#: The note's own words, per edition (the check's ``what`` and values come from the chapter's code,
#: which both editions share, so they stay as the code wrote them).
WORDS = {
    "en": {
        "title": "Not shown by this build: ",
        "claim": "claim “{}”",
        "intro": (
            "The paragraph below states a result that its hidden check did not find on the machine "
            "that built this page (another CPU, thread count or library trains a network along "
            "another path, like another seed)."
        ),
        "line": "{name}. Checked: {what}. This build: {values}.",
        "sep": ", ",
    },
    "zh": {
        "title": "本次构建没有得到这一结果：",
        "claim": "论断“{}”",
        "intro": (
            "下面这段话陈述的结果，在构建本页的机器上没有通过它背后的隐藏检查"
            "（换一种 CPU、线程数或程序库，网络的训练会走上另一条路径，就像换了一个随机种子）。"
        ),
        "line": "{name}。检查的是：{what}。本次构建：{values}。",
        "sep": "，",
    },
}


def note(
    names: list[str], failed: dict[str, dict[str, str]], language: str | None = "en"
) -> nodes.admonition:
    """The admonition shown before a paragraph whose claims did not hold in this build."""
    words = WORDS["zh" if (language or "en").startswith("zh") else "en"]
    title = words["title"] + words["sep"].join(words["claim"].format(n) for n in names)
    box = nodes.admonition("", classes=[CLASS, "warning"])  # the theme draws it as a warning
    box += nodes.title(title, title)
    box += nodes.paragraph(words["intro"], words["intro"])
    for n in names:
        text = words["line"].format(name=n, what=failed[n]["what"], values=failed[n]["values"])
        box += nodes.paragraph(text, text)
    return box


class ShowClaimsNotHeld(SphinxTransform):
    """Put a note before each paragraph whose claim did not hold; record it for the summary."""

    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        docname = self.env.docname
        failed = not_held(self.env, docname)
        placed: set[str] = set()
        checked = 0
        for comment, names in list(claim_comments(self.document)):
            checked += len(names)
            bad = [n for n in names if n in failed]
            if not bad:
                continue
            parent, after = comment.parent, comment.next_node(descend=False, siblings=True)
            parent.insert(
                parent.index(after) if after is not None else len(parent),
                note(bad, failed, self.config.language),
            )
            placed.update(bad)
        unplaced = sorted(set(failed) - placed)
        self.env.reidlab_claims = getattr(self.env, "reidlab_claims", {})
        self.env.reidlab_claims[docname] = {"checked": checked, "failed": failed, "unplaced": unplaced}


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, "reidlab_claims", {}).pop(docname, None)


def merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    env.reidlab_claims = getattr(env, "reidlab_claims", {})
    env.reidlab_claims.update(
        {d: v for d, v in getattr(other, "reidlab_claims", {}).items() if d in docnames}
    )


def check(app: Sphinx, env: BuildEnvironment) -> None:
    """On every build (pages read now or earlier): in a strict build, a claim that did not hold
    is a warning, which ``-W`` makes an error; anywhere, so is a failure with no sentence to
    show it at."""
    for docname, found in sorted(getattr(env, "reidlab_claims", {}).items()):
        for name in found["unplaced"]:
            LOGGER.warning(
                f"claim {name!r} did not hold, and no '% claim: {name}' marks its sentence", location=docname
            )
        if strict():
            for name, f in found["failed"].items():
                LOGGER.warning(
                    f"claim {name!r} does not hold: {f['what']}. This build: {f['values']}", location=docname
                )


def summary(app: Sphinx, exception: Exception | None) -> None:
    """One line at the end of the build: every claim held, or which did not."""
    if exception is not None:
        return
    found = getattr(app.env, "reidlab_claims", {})
    checked = sum(f["checked"] for f in found.values())
    failed = [f"{doc.split('/')[-1]}: {n}" for doc, f in sorted(found.items()) for n in f["failed"]]
    if not failed:
        LOGGER.info(f"claims: all {checked} claims of the book held in this build")
    else:
        LOGGER.info(
            f"claims: {len(failed)} of {checked} did not hold in this build, each shown as a note "
            f"on its page: {', '.join(failed)}",
            color="red",
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(ShowClaimsNotHeld)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-check-consistency", check)
    app.connect("build-finished", summary)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
