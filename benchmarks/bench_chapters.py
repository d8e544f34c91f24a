"""How long each chapter takes to execute: on an idle machine, next to one busy process, and
under a CPU quota of one core, reported as ratios to the idle time.

Readers run the chapters on shared CPUs: a laptop that is doing other things, a Binder
container whose quota is about one core. Small models on many threads suffer there (threads
spin while one of them waits for a core); ``reidlab.cpu`` sizes torch's threads to the usable
CPUs and lets idle threads sleep. Target: with one competing process, no chapter slower than
1.5x its idle time.

The quota run needs a writable cgroup file system (``/sys/fs/cgroup``, v1 or v2, as root);
where there is none it is skipped and says so. Choose chapters with
``BENCH_CHAPTERS=scoring,hog`` (default: all).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import notebook_chapters  # noqa: E402

TARGET = 1.5


def execute(chapter: str) -> float:
    """Seconds to run the chapter's .ipynb twin in a fresh kernel."""
    nb = nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "chapters")}}
    ).execute()
    return time.perf_counter() - start


@contextlib.contextmanager
def busy_neighbour() -> Iterator[None]:
    """One other process that keeps one core busy the whole time."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def _quota_dir() -> tuple[Path, str, str] | None:
    """A cgroup we may create with a quota of one CPU: (directory, quota file, its content)."""
    v1 = Path("/sys/fs/cgroup/cpu")
    if (v1 / "cpu.cfs_quota_us").exists() and os.access(v1, os.W_OK):
        return v1 / "reidlab-bench", "cpu.cfs_quota_us", "100000"
    v2 = Path("/sys/fs/cgroup")
    if (v2 / "cgroup.controllers").exists() and os.access(v2, os.W_OK):
        return v2 / "reidlab-bench", "cpu.max", "100000 100000"
    return None


@contextlib.contextmanager
def one_cpu_quota() -> Iterator[bool]:
    """Run the body (and the kernels it starts) in a cgroup limited to one CPU; yields False
    if no cgroup could be made."""
    found = _quota_dir()
    if found is None:
        yield False
        return
    group, quota_file, quota = found
    try:
        group.mkdir(exist_ok=True)
        (group / quota_file).write_text(quota)
        procs = "tasks" if quota_file.startswith("cpu.cfs") else "cgroup.procs"
        (group / procs).write_text(str(os.getpid()))  # children (the kernel) inherit it
    except OSError:
        yield False
        return
    try:
        yield True
    finally:
        (group.parent / procs).write_text(str(os.getpid()))  # back to the parent group
        with contextlib.suppress(OSError):
            group.rmdir()


def main() -> None:
    import reidlab.cpu

    chosen = os.environ.get("BENCH_CHAPTERS")
    chapters = [c for c in notebook_chapters() if not chosen or Path(c).name in chosen.split(",")]
    print(f"usable CPUs: {reidlab.cpu.usable_cpus()} (torch threads follow it)")
    print(f"{'chapter':28s} {'idle':>7s} {'1 busy neighbour':>17s} {'1-CPU quota':>13s}")
    worst = 0.0
    for chapter in chapters:
        idle = execute(chapter)
        with busy_neighbour():
            loaded = execute(chapter)
        with one_cpu_quota() as limited:
            quota = execute(chapter) if limited else float("nan")
        worst = max(worst, loaded / idle)
        quota_text = f"{quota:6.1f} s {quota / idle:4.2f}x" if limited else "    (no cgroup)"
        print(f"{Path(chapter).name:28s} {idle:6.1f}s {loaded:8.1f} s {loaded / idle:4.2f}x {quota_text}")
    print(f"worst ratio with a busy neighbour: {worst:.2f}x (target: at most {TARGET}x)")


if __name__ == "__main__":
    main()
