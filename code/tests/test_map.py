"""The package map (code/README.md) and the install (code/pyproject.toml) cannot go stale.

The map lists every public module once, in its layer, with links to the chapters that import it:
exactly those, no more and no fewer. The install declares every third-party package a module
imports, so ``pip install -e code`` alone gives a package where every module imports.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

CODE = Path(__file__).resolve().parents[1]
ROOT = CODE.parent
PACKAGE = CODE / "reidlab"
MAP = CODE / "README.md"

#: Rows whose chapter column says "every chapter": the book's own machinery.
EVERYWHERE = {"reidlab.book", "reidlab.plots", "reidlab.cpu"}
#: Packages listed as one row: their modules are read through the package.
PACKAGE_ROWS = {"reidlab.datasets", "reidlab.baseline", "reidlab.figures"}
LAYERS = {"building block", "synthetic world", "experiment", "real data", "the book"}
ROW = re.compile(r"^\| `(reidlab[.\w]*)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$")
LINK = re.compile(r"\[[^\]]+\]\(\.\./chapters/(\w+)\.md\)")


def public_modules() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(CODE).with_suffix("").parts
        if any(p.startswith("_") for p in parts[1:]) and parts[-1] != "__init__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        # reidlab itself and reidlab.losses are namespaces: their modules are listed one by one.
        if name in {"reidlab", "reidlab.losses"} or any(p.startswith("_") for p in parts):
            continue
        package = next((p for p in PACKAGE_ROWS if name.startswith(p + ".")), None)
        names.add(package or name)
    return names


@cache
def map_rows() -> dict[str, tuple[str, str, set[str]]]:
    rows: dict[str, tuple[str, str, set[str]]] = {}
    for line in MAP.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            name, layer, _what, chapters = (g.strip() for g in m.groups())
            assert name not in rows, f"{name} is listed twice in code/README.md"
            rows[name] = (layer, chapters, set(LINK.findall(chapters)))
    return rows


def chapters_in_book() -> set[str]:
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return set(re.findall(r"file: chapters/(\w+)", toc))


@cache
def chapter_text(name: str) -> str:
    return (ROOT / "chapters" / f"{name}.md").read_text(encoding="utf-8")


def importers(module: str) -> set[str]:
    """The chapters of the book whose code imports ``module`` (or one of its submodules)."""
    pattern = re.compile(rf"(from|import) {re.escape(module)}(\.\w+)*\b(?!\.)")
    return {name for name in chapters_in_book() if pattern.search(chapter_text(name))}


def test_the_map_lists_every_public_module_once_and_nothing_else() -> None:
    rows, modules = map_rows(), public_modules()
    assert not modules - rows.keys(), f"add to code/README.md: {sorted(modules - rows.keys())}"
    assert not rows.keys() - modules, f"not modules any more: {sorted(rows.keys() - modules)}"
    for name, (layer, _, _) in rows.items():
        assert layer in LAYERS, f"{name}: layer {layer!r} is not one of {sorted(LAYERS)}"


@pytest.mark.parametrize("module", sorted(public_modules() - EVERYWHERE - {"reidlab.figures"}))
def test_the_map_links_exactly_the_chapters_that_use_a_module(module: str) -> None:
    _, text, linked = map_rows()[module]
    used = importers(module)
    assert linked == used, (
        f"{module}: code/README.md links {sorted(linked)}, the book's chapters that import it "
        f"are {sorted(used)}"
    )
    if not used:
        assert text.startswith("—"), f"{module}: no chapter imports it; say why after '—'"


def test_the_book_machinery_is_used_by_every_chapter_that_says_so() -> None:
    for module in EVERYWHERE:
        assert map_rows()[module][1] == "every chapter"
    pages = {"intro", "questions", "glossary", "bibliography"}
    assert importers("reidlab.book") == chapters_in_book() - pages
    assert importers("reidlab.plots") == chapters_in_book() - pages


def test_every_figure_module_is_named_after_a_chapter() -> None:
    """``chapters/x.md`` -> ``reidlab/figures/x.py`` is one hop, or the module says which chapter."""
    for path in (PACKAGE / "figures").glob("*.py"):
        if path.stem == "__init__":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        users = importers(f"reidlab.figures.{path.stem}")
        assert users, f"figures/{path.stem}.py is imported by no chapter of the book"
        assert path.stem in users or "chapter" in doc.lower(), (
            f"figures/{path.stem}.py is used by {sorted(users)}: name it after its chapter or "
            "say in its docstring which chapter it draws"
        )


# --- the install ---------------------------------------------------------------------------

#: import name -> distribution name, where they differ.
DISTRIBUTION = {"PIL": "pillow", "faiss": "faiss-cpu", "sklearn": "scikit-learn"}


def name_of(requirement: str) -> str:
    """The distribution a requirement line names: ``faiss-cpu>=1.8  # ...`` -> ``faiss-cpu``."""
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower()


def third_party_imports(*, module_level: bool) -> dict[str, set[str]]:
    """Top-level import names outside the standard library and reidlab itself, with the files
    that import them: at module level only, or anywhere (imports inside functions are the
    optional features)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body if module_level else ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in (name.split(".")[0] for name in names):
                if top not in {"reidlab", "__future__"} and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(CODE)))
    return found


@cache
def declared(*, extras: bool) -> frozenset[str]:
    """The distributions code/pyproject.toml requires, and with ``extras`` its optional ones."""
    project = tomllib.loads((CODE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = list(project["dependencies"])
    if extras:
        names += [d for ds in project["optional-dependencies"].values() for d in ds]
    return frozenset(name_of(d) for d in names)


def test_every_module_level_import_is_a_declared_dependency() -> None:
    missing = {
        top: files
        for top, files in third_party_imports(module_level=True).items()
        if DISTRIBUTION.get(top, top).lower() not in declared(extras=False)
    }
    assert not missing, f"imported at module level but not in [project] dependencies: {missing}"


def test_optional_imports_are_declared_as_extras() -> None:
    """An import inside a function (faiss in reidlab.search) is an extra of pyproject."""
    # Imported only inside functions by the book's chapters' own machinery (IPython, myst_nb are
    # there whenever a notebook runs), never needed by `pip install -e code` users.
    in_a_notebook = {"IPython", "myst_nb", "ipywidgets"}
    undeclared = {
        t
        for t in third_party_imports(module_level=False).keys() - in_a_notebook
        if DISTRIBUTION.get(t, t).lower() not in declared(extras=True)
    }
    assert not undeclared, f"imported but declared nowhere in code/pyproject.toml: {sorted(undeclared)}"


def test_every_requirement_of_the_package_is_pinned_for_the_book() -> None:
    """requirements.txt (the book's environment) installs every dependency the package declares."""
    pins = {
        name_of(line)
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    }
    unpinned = declared(extras=True) - {"pytest", "hypothesis"} - pins
    assert not unpinned, sorted(unpinned)
