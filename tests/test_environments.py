"""The chapters run where readers open them: on Binder and on Colab, simulated here.

* **Binder** installs ``binder/requirements.txt``. A fresh virtual environment made from exactly
  that file runs every chapter's ``.ipynb`` twin (what Binder opens) in a new kernel, side by
  side, and **on another machine**: PyTorch's kernels without AVX2 (``OTHER_MACHINE``), which
  trains every network along another path, as a reader's CPU would. Every claim must hold there
  too (claims are strict: one that does not hold fails its cell), and each twin must print what
  the built page shows, line by line, with the numbers left out of the comparison (they may
  move; how many did is reported).
* **Colab** has torch, numpy and the rest, but not ``reidlab``: a twin's first cell installs it
  with ``%pip install "reidlab @ git+<repository>#subdirectory=code"``. A fresh environment
  without ``reidlab`` runs that cell, with the repository URL pointed at this clone's HEAD, and
  then a chapter.

What cannot be tested here: PyTorch's own index and GitHub are out of reach, so pip finds the
CPU wheel of torch on this machine's disk, and the Colab cell installs from the local clone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, notebook_chapters
from nbclient import NotebookClient
from test_build import printed, shown

sys.path.insert(0, str(ROOT / "_ext"))
import execute

PIP_ENV = {**os.environ, "PIP_RETRIES": "0", "PIP_TIMEOUT": "5", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def pins(path: Path) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if m:
            found[m.group(1).lower()] = m.group(2)
    return found


def test_binder_pins_are_the_books_pins() -> None:
    book, binder = pins(ROOT / "requirements.txt"), pins(ROOT / "binder" / "requirements.txt")
    assert binder.pop("torch") == book["torch"] + "+cpu"
    assert binder, "binder/requirements.txt pins nothing else"
    assert {name: book.get(name) for name in binder} == binder
    text = (ROOT / "binder" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text and "-e ./code" in text
    assert (ROOT / "binder" / "runtime.txt").read_text() == (ROOT / "runtime.txt").read_text()


def make_env(where: Path, requirements: list[str]) -> Path:
    """A fresh virtual environment at ``where`` with ``pip install <requirements>``; its python."""
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *requirements], cwd=ROOT, env=PIP_ENV, check=True
    )
    return python


def kernel_for(python: Path, where: Path) -> tuple[str, dict[str, str]]:
    """A kernelspec that starts ``python``'s ipykernel; returns its name and the environment
    (``JUPYTER_PATH``) in which nbclient finds it."""
    spec = where / "kernels" / "sim"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "sim", "language": "python"}))
    return "sim", {**os.environ, "JUPYTER_PATH": str(where)}


def run(nb: nbformat.NotebookNode, kernel: str, env: dict[str, str]) -> None:
    old = dict(os.environ)
    os.environ.update(env)  # jupyter_client reads JUPYTER_PATH when it looks for the kernel
    try:
        NotebookClient(
            nb, timeout=600, kernel_name=kernel, resources={"metadata": {"path": str(ROOT / "chapters")}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)


#: The Binder run's numeric configuration: not the build's (see benchmarks/robustness.py).
OTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "default"}
NUMBER = re.compile(r"[-+−]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")
#: What the Binder runs measured, printed at the end of the session (conftest.py).
REPORT: list[str] = []


def masked(lines: list[str]) -> list[str]:
    """The lines with every number replaced by ``#`` and runs of spaces made one."""
    return [" ".join(NUMBER.sub("#", line).split()) for line in lines]


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, execute.Done]:
    """Every twin run in Binder's environment on another machine, with strict claims."""
    where = tmp_path_factory.mktemp("binder")
    python = make_env(where / "venv", ["-r", "binder/requirements.txt"])
    kernel, env = kernel_for(python, where / "jupyter")
    jobs = []
    for chapter in notebook_chapters():
        twin = nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)
        twin.metadata.kernelspec = {"name": kernel, "display_name": kernel, "language": "python"}
        machine = {"JUPYTER_PATH": env["JUPYTER_PATH"], "REIDLAB_STRICT_CLAIMS": "1", **OTHER_MACHINE}
        jobs.append(execute.Job(chapter, twin, machine))
    return {done.job.name: done for done in execute.run(jobs)}


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_chapter_twin_runs_on_binder_on_another_machine_keeps_its_claims_and_prints_what_the_book_shows(
    site: Path, binder: dict[str, execute.Done], chapter: str
) -> None:
    done = binder[chapter]
    assert done.error is None, f"{chapter} failed on another machine:\n{done.error[-4000:]}"
    page = shown((site / f"{chapter}.html").read_text(encoding="utf-8"))
    ran = printed(done.notebook)
    assert any(re.search(r"\d", line) for line in page), "the chapter prints no numbers to compare"
    assert masked(ran) == masked(page)
    ours, theirs = (NUMBER.findall(" ".join(lines)) for lines in (ran, page))
    moved = sum(a != b for a, b in zip(ours, theirs, strict=True))
    REPORT.append(
        f"{chapter}: {moved} of {len(ours)} printed numbers moved on {OTHER_MACHINE} ({done.seconds:.0f} s)"
    )


FAKE_COLAB = """import sys, types
google, colab = types.ModuleType("google"), types.ModuleType("google.colab")
colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: None)
google.colab = colab
sys.modules.update({"google": google, "google.colab": colab})"""


def test_colab_first_cell_installs_reidlab_into_a_fresh_environment(tmp_path: Path) -> None:
    deps = [f"{name}=={version}" for name, version in pins(ROOT / "binder" / "requirements.txt").items()]
    python = make_env(tmp_path / "venv", deps)  # what Colab has: everything but reidlab
    check = subprocess.run([str(python), "-c", "import reidlab"], capture_output=True)
    assert check.returncode != 0, "reidlab is there before the cell ran"
    twin = nbformat.read(ROOT / "chapters" / "scoring.ipynb", as_version=4)
    url = re.search(r"git\+(\S+)#subdirectory=code", twin.cells[0].source).group(1)
    local = f"file://localhost{ROOT}"  # this clone's HEAD (pip 23 rejects an empty host)
    twin.cells[0].source = twin.cells[0].source.replace(url, local)
    twin.cells.insert(0, nbformat.v4.new_code_cell(FAKE_COLAB))
    run(twin, *kernel_for(python, tmp_path / "jupyter"))
    assert "queries" in "\n".join(printed(twin))
    installed = subprocess.run(
        [str(python), "-m", "pip", "show", "reidlab"], capture_output=True, text=True, check=True
    )
    assert "Name: reidlab" in installed.stdout
