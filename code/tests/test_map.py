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
#: Packages whose modules are listed one by one.
NAMESPACES = {
    "reidlab",
    "reidlab.losses",
    "reidlab.worlds",
    "reidlab.experiments",
    "reidlab.experiments.image_losses",
}
#: The layers, top first: a module imports only from its own layer or one above it.
LAYERS = ("building block", "synthetic world", "experiment", "real data", "the book")
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
        # Namespaces: their modules are listed one by one.
        if name in NAMESPACES or any(p.startswith("_") for p in parts):
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


def module_of(path: Path) -> str:
    parts = path.relative_to(CODE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def row_of(module: str) -> str | None:
    """The map row that covers ``module`` (itself, or the package row it belongs to)."""
    while module and module not in map_rows():
        module = module.rpartition(".")[0]
    return module or None


@cache
def imported_modules(path: Path, *, module_level: bool) -> tuple[str, ...]:
    """The absolute module names ``path`` imports: at module level only, or anywhere."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body if module_level else ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return tuple(names)


def reidlab_imports(path: Path) -> set[str]:
    return {name for name in imported_modules(path, module_level=False) if name.startswith("reidlab.")}


def test_no_module_imports_from_a_layer_below_its_own() -> None:
    """Building blocks import no world, worlds no experiment, experiments no real data or figure."""
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        mine = row_of(module_of(path))
        if mine is None or mine in NAMESPACES:
            continue
        for imported in reidlab_imports(path):
            theirs = row_of(imported)
            if (
                theirs
                and theirs not in NAMESPACES
                and rank[map_rows()[theirs][0]] > rank[map_rows()[mine][0]]
            ):
                wrong.append(
                    f"{module_of(path)} ({map_rows()[mine][0]}) imports {imported} ({map_rows()[theirs][0]})"
                )
    assert not wrong, "\n".join(wrong)


def test_every_experiment_is_named_after_a_chapter_with_its_test_beside_it() -> None:
    """``chapters/x.md`` -> ``reidlab/experiments/x.py`` -> ``tests/experiments/test_x.py``."""
    for path in sorted((PACKAGE / "experiments").iterdir()):
        if path.name.startswith("_") or path.name == "__pycache__":
            continue
        chapter = path.stem
        assert chapter in chapters_in_book(), f"experiments/{path.name} is named after no chapter"
        assert importers(f"reidlab.experiments.{chapter}") >= {chapter}, (
            f"chapters/{chapter}.md does not use it"
        )
        tests = CODE / "tests" / "experiments"
        if path.is_dir():
            modules = [m.stem for m in path.glob("*.py") if not m.name.startswith("_")]
            missing = [m for m in modules if not (tests / chapter / f"test_{m}.py").exists()]
        else:
            missing = [] if (tests / f"test_{chapter}.py").exists() else [chapter]
        assert not missing, f"no tests/experiments/.../test_<name>.py for {missing}"
    for path in (PACKAGE / "worlds").glob("[!_]*.py"):
        assert (CODE / "tests" / "worlds" / f"test_{path.stem}.py").exists(), (
            f"no test for worlds/{path.name}"
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
        for top in (name.split(".")[0] for name in imported_modules(path, module_level=module_level)):
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
