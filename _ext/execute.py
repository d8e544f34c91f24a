"""Execute the book's chapters side by side, into the execution cache the build then reads.

``make book`` runs this before ``jupyter-book build``: every chapter whose code is not in the
cache yet runs in its own kernel, as many at once as this process has CPUs
(:func:`reidlab.cpu.usable_cpus`), longest first. Each kernel computes on one thread
(``reidlab`` sets that), so a chapter prints the same numbers whatever the number of cores, and
two chapters side by side on two cores take about half the time of one after the other.
The build that follows finds every chapter in the cache and executes nothing.

It mirrors what myst-nb does on a cache miss (``myst_nb/core/execute/cache.py``): the notebook is
read by myst-nb's own reader, executed with the notebook's folder as working directory, and
stored under the same hash (the kernelspec and the code cells); ``record_timing`` stays off,
since timing metadata would change the hash and every lookup would miss.

    python _ext/execute.py               # chapters missing from the cache
    python _ext/execute.py --force       # all of them
    python _ext/execute.py hog video     # just these (and --force to re-run them)

:func:`run` is also the engine of ``benchmarks/robustness.py``, which executes the book under
other numeric configurations without touching the cache.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"
#: A book build's kernels: a claim that does not hold is glued for the page, not raised
#: (``_ext/claims.py`` shows it there, or fails a strict build).
BUILD_ENV = {"REIDLAB_BOOK_BUILD": "1"}


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def chapters() -> list[str]:
    """The executable chapters of ``_toc.yml`` (documents that declare a kernel), as names."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    return [
        Path(f).name for f in files if "kernelspec:" in (ROOT / f"{f}.md").read_text(encoding="utf-8")[:500]
    ]


def read(name: str) -> nbformat.NotebookNode:
    """Chapter ``name`` as myst-nb reads it (its markdown extensions decide what is a cell)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    path = ROOT / "chapters" / f"{name}.md"
    md = MdParserConfig(enable_extensions=config().get("parse", {}).get("myst_enable_extensions", []))
    return read_myst_markdown_notebook(
        path.read_text(encoding="utf-8"), config=md, add_source_map=True, path=str(path)
    )


@dataclass
class Job:
    name: str  # the chapter
    notebook: nbformat.NotebookNode
    env: dict[str, str] = field(default_factory=dict)  # set in the kernel's environment
    label: str = ""  # the caller's, returned with the result (robustness.py: the machine)
    timeout: int | None = None  # seconds per cell; None: the book's (_config.yml)


@dataclass
class Done:
    job: Job
    notebook: nbformat.NotebookNode
    seconds: float
    error: str | None
    cpu_seconds: float = 0.0  # the kernel's own CPU time: what the chapter costs on an idle machine


def _execute(job: Job) -> Done:
    """One chapter in a fresh kernel (in a worker process: the kernel inherits its environment)."""
    from jupyter_cache.executors.utils import single_nb_execution

    before = dict(os.environ)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.environ.update(job.env)  # the kernel inherits it; a worker runs several jobs, so restore it
    try:
        start = time.perf_counter()
        result = single_nb_execution(
            job.notebook,
            cwd=str(ROOT / "chapters"),
            timeout=job.timeout or config()["execute"]["timeout"],
            allow_errors=False,
            meta_override=True,
        )
        seconds = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(before)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel has ended and been waited for
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    return Done(job, result.nb, seconds, result.exc_string if result.err else None, cpu)


def workers() -> int:
    """As many chapters at once as this process may use CPUs (``REIDLAB_JOBS`` overrides)."""
    if "REIDLAB_JOBS" in os.environ:
        return max(1, int(os.environ["REIDLAB_JOBS"]))
    from reidlab.cpu import usable_cpus

    return usable_cpus()


def run(jobs: Iterable[Job], n_workers: int | None = None) -> Iterator[Done]:
    """Execute ``jobs`` (longest expected first) on ``n_workers`` processes; yield each as it ends."""
    jobs = list(jobs)
    if not jobs:
        return
    n = min(n_workers or workers(), len(jobs))
    with mp.get_context("spawn").Pool(n) as pool:
        yield from pool.imap_unordered(_execute, jobs)


def expected_seconds(cache: object) -> dict[str, float]:
    """How long each chapter took when it was last cached (to start the longest first)."""
    took: dict[str, float] = {}
    for record in cache.list_cache_records():
        uri = Path(record.uri)
        if uri.parent == ROOT / "chapters":
            took[uri.stem] = float((record.data or {}).get("execution_seconds", 0.0))
    return took


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="chapters to execute (default: all in _toc.yml)")
    parser.add_argument("--force", action="store_true", help="execute even if the cache has them")
    args = parser.parse_args(argv)

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    known = chapters()
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"not chapters of _toc.yml: {unknown}; the chapters are {known}")
    cache = get_cache(str(CACHE))
    todo = []
    for name in args.names or known:
        nb = read(name)
        try:
            cache.match_cache_notebook(nb)
            if not args.force:
                continue
        except KeyError:  # this code never ran
            pass
        todo.append(Job(name, nb, BUILD_ENV))
    took = expected_seconds(cache)
    todo.sort(key=lambda j: -took.get(j.name, (ROOT / "chapters" / f"{j.name}.md").stat().st_size / 1e3))
    if not todo:
        print("every chapter is in the execution cache")
        return 0
    n = workers()
    print(f"executing {len(todo)} chapter(s), {min(n, len(todo))} at a time, one thread each")
    start, failed = time.perf_counter(), []
    for done in run(todo, n):
        name = done.job.name
        if done.error:
            failed.append(name)
            print(f"FAILED {name} after {done.seconds:.0f} s\n{done.error}", file=sys.stderr)
            continue
        path = ROOT / "chapters" / f"{name}.md"
        record = cache.add_nb_to_project(str(path), read_data={"type": "plugin", "name": "myst_nb_md"})
        bundle = CacheBundleIn(done.notebook, record.uri, data={"execution_seconds": done.seconds})
        cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
        print(f"  {name:<24} {done.seconds:6.1f} s")
    print(f"executed in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
