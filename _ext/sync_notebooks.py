"""Write the .ipynb twin of every MyST chapter, for Colab and the download button.

Chapters are written as MyST markdown (``chapters/*.md``: readable diffs). Colab opens only
``.ipynb`` files, so each executable chapter gets a generated, output-free twin beside it, whose
first cell installs ``reidlab`` when it runs on Colab (which has no copy of this repository).
The repository URL comes from ``_config.yml``, the one place it is set. Sphinx ignores the
twins (``exclude_patterns``); the launch buttons find them by name.

    python _ext/sync_notebooks.py          # rewrite the twins
    python _ext/sync_notebooks.py --check  # exit 1 if any twin is stale (run by the tests)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent

COLAB_CELL = """# On Colab only: install this book's package, reidlab, and enable its widgets.
import sys

if "google.colab" in sys.modules:
    %pip install --quiet "reidlab @ git+{url}#subdirectory=code"
    from google.colab import output

    output.enable_custom_widget_manager()"""


def twin(md: Path) -> str:
    """The .ipynb text for one MyST chapter."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    nb = jupytext.read(md, fmt="md:myst")
    cell = nbformat.v4.new_code_cell(COLAB_CELL.format(url=url), metadata={"tags": ["remove-cell"]})
    nb.cells.insert(0, cell)
    for i, c in enumerate(nb.cells):  # stable ids (nbformat draws random ones): same text, same file
        c.id = hashlib.sha1(f"{i}:{c.source}".encode()).hexdigest()[:8]
    nb.metadata.pop("jupytext", None)
    nb.metadata["colab"] = {"provenance": []}
    return nbformat.writes(nb) + "\n"


def chapters() -> list[Path]:
    """MyST chapters that are notebooks (they declare a kernel)."""
    return [p for p in sorted((ROOT / "chapters").glob("*.md")) if "kernelspec:" in p.read_text()[:500]]


def main(check: bool) -> int:
    stale = []
    for md in chapters():
        text, path = twin(md), md.with_suffix(".ipynb")
        if not path.exists() or path.read_text() != text:
            stale.append(path.relative_to(ROOT))
            if not check:
                path.write_text(text)
    if check and stale:
        print("stale notebook twins (run `python _ext/sync_notebooks.py`):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
