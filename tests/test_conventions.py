"""Conventions every chapter follows (README, "Writing a chapter"): exercises with folded
solutions that run, and reidlab imported before torch."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, notebook_chapters
from test_claims import parse

EXERCISE = re.compile(r"^\*\*Exercise (\d+)\*\*")


def exercise_section(md: str) -> str:
    if "\n## Exercises\n" not in md:
        return ""
    rest = md.split("\n## Exercises\n", 1)[1]
    return rest.split("\n## ", 1)[0]  # up to the next section, if any


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_chapter_ends_with_two_to_four_exercises_with_folded_solutions(chapter: str) -> None:
    section = exercise_section((ROOT / f"{chapter}.md").read_text(encoding="utf-8"))
    assert section, "no '## Exercises' section"
    paragraphs, cells = parse("---\n---\n" + section)
    numbers = [int(m.group(1)) for p in paragraphs if (m := EXERCISE.match(p.text))]
    assert 2 <= len(numbers) <= 4 and numbers == list(range(1, len(numbers) + 1)), numbers
    solutions = [c for c in cells if "hide-cell" in c.tags]
    assert len(solutions) == len(numbers), "each exercise needs one solution cell tagged hide-cell"
    assert all(c.source.strip() for c in solutions)


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_reidlab_is_imported_before_torch(chapter: str) -> None:
    """reidlab sets torch's threads and OpenMP's wait policy, which only works before torch loads."""
    _, cells = parse((ROOT / f"{chapter}.md").read_text(encoding="utf-8"))
    imports = [
        line.split()[1]
        for c in cells
        for line in c.source.splitlines()
        if re.match(r"(import|from) (torch|reidlab)\b", line)
    ]
    assert imports and imports[0].startswith("reidlab"), imports[:3]
