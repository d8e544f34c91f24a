"""Check the Chinese catalogues (``locales/zh_CN/LC_MESSAGES/**/*.po``) against their English
messages: every message translated, nothing fuzzy, and the markup a translation must keep kept.

A translated paragraph is parsed again as MyST, so what the reader sees depends on markup the
translator copies by hand: a glued number (``{glue:text}`key:.2f```), a citation, an equation
reference, inline code, inline and display math, and link targets. Each must appear in the
translation exactly as in the English (a link's *text* may change, its target may not).

Run ``python _ext/po_check.py [files...]`` (all catalogues by default); it prints each problem
as ``file: message: what`` and exits 1 if there is any.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"

ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
CODE = re.compile(r"(?<![}`])`([^`]+)`")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
MATH = re.compile(r"(?<![\\$])\$([^$\n]+?)\$")
LINK = re.compile(r"\]\(([^)\s]+)\)")
FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
XREF_ROLES = {"doc", "ref", "term", "numref"}  # their text may be translated, their target not


def _target(role: str, content: str) -> str:
    if role in XREF_ROLES:
        m = re.search(r"<([^>]+)>\s*$", content)
        return m.group(1) if m else content
    return content


def kept_markup(text: str) -> Counter:
    """The markup of ``text`` that a translation must keep, as a multiset of strings."""
    found: Counter = Counter()
    for role, content in ROLE.findall(text):
        found[f"{{{role}}}`{_target(role, content)}`"] += 1
    rest = ROLE.sub(" ", text)
    found.update(f"`{c}`" for c in CODE.findall(rest))
    rest = CODE.sub(" ", rest)
    found.update(f"$${m}$$" for m in DISPLAY_MATH.findall(rest))
    rest = DISPLAY_MATH.sub(" ", rest)
    found.update(f"${m}$" for m in MATH.findall(rest))
    found.update(f"]({u})" for u in LINK.findall(text))
    found.update(FOOTNOTE.findall(text))
    return found


def problems(msgid: str, msgstr: str) -> list[str]:
    if not msgstr.strip():
        return ["not translated"]
    want, got = kept_markup(msgid), kept_markup(msgstr)
    out = []
    if want - got:
        out.append(f"lost {sorted((want - got).elements())}")
    if got - want:
        out.append(f"added {sorted((got - want).elements())}")
    return out


def check(path: Path) -> list[str]:
    with path.open("rb") as f:
        catalog = read_po(f)
    out = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        msgstr = message.string if isinstance(message.string, str) else message.string[0]
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {msgid[:60]!r}"
        if message.fuzzy:
            out.append(f"{where}: fuzzy")
        out += [f"{where}: {p}" for p in problems(msgid, msgstr or "")]
    return out


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(LOCALES.rglob("*.po"))
    found = [p for path in paths for p in check(path)]
    print("\n".join(found) if found else f"{len(paths)} catalogues: every message translated, markup kept")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
