"""How many CPUs this process may really use, and torch's thread pool sized to match.

Used by every chapter: importing :mod:`reidlab` calls :func:`use_usable_cpus`.

Why it matters. The book's models are small, so torch's worker threads meet at a barrier many
times per training step. By default each waiting thread *spins* (keeps its core busy) for a
while instead of sleeping. That is fast on an idle machine and ruinous on a shared one: if
another process holds one of the cores, the thread on that core runs late at every barrier
while the others spin. Measured on a 2-core machine, the L1/L2/SSIM chapter took 29 s idle and
509 s with one other busy process; with threads that wait passively, 35 s and 53 s.

And torch sizes its pool by the cores it *sees*. A Binder container sees every core of its
host (dozens) but may use about one (its cgroup CPU quota); a process pinned with ``taskset``
sees all cores but runs on a few. :func:`usable_cpus` takes the smallest of: the cores this
process may run on (its affinity) and the CPU quota of its cgroup (v1 or v2, including the
quotas of parent groups).

Left out: CPU *shares* (a relative weight, not a limit) and changing threads while running.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

#: Threads that wait for work sleep instead of spinning (standard OpenMP; libgomp reads it when
#: it loads, so :mod:`reidlab` sets it before torch is first imported).
WAIT_POLICY = ("OMP_WAIT_POLICY", "PASSIVE")


def _v2_quota(path: Path, root: Path) -> float:
    """The smallest ``cpu.max`` quota (in CPUs) from ``path`` up to ``root``; inf if none."""
    best = math.inf
    while True:
        f = path / "cpu.max"
        if f.is_file():
            quota, _, period = f.read_text().strip().partition(" ")
            if quota != "max" and period:
                best = min(best, int(quota) / int(period))
        if path == root or root not in path.parents:
            return best
        path = path.parent


def _v1_quota(path: Path, root: Path) -> float:
    """The smallest ``cpu.cfs_quota_us / cpu.cfs_period_us`` from ``path`` up to ``root``."""
    best = math.inf
    while True:
        q, p = path / "cpu.cfs_quota_us", path / "cpu.cfs_period_us"
        if q.is_file() and p.is_file():
            quota, period = int(q.read_text()), int(p.read_text())
            if quota > 0 and period > 0:  # -1: no limit
                best = min(best, quota / period)
        if path == root or root not in path.parents:
            return best
        path = path.parent


def cgroup_cpu_quota(proc_cgroup: str = "/proc/self/cgroup", cgroup_root: str = "/sys/fs/cgroup") -> float:
    """The CPU quota of this process's cgroup, in CPUs (1.5 = one and a half); inf if none.

    Every group from the process's own up to the mount's root is read (a parent's quota limits
    its children; inside a container the process's group is usually the root itself)."""
    root = Path(cgroup_root)
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return math.inf
    best = math.inf
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        rel = rel.lstrip("/")
        if controllers == "" and (root / "cgroup.controllers").is_file():  # v2: one hierarchy
            best = min(best, _v2_quota(root / rel, root))
        elif "cpu" in controllers.split(","):
            for name in (controllers, "cpu", "cpu,cpuacct"):  # how distributions mount v1
                base = root / name
                if base.is_dir():
                    best = min(best, _v1_quota(base / rel, base))
                    break
    return best


def usable_cpus(proc_cgroup: str = "/proc/self/cgroup", cgroup_root: str = "/sys/fs/cgroup") -> int:
    """CPUs this process can actually use: its affinity, capped by its cgroup's quota (at least 1)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        n = os.cpu_count() or 1
    quota = cgroup_cpu_quota(proc_cgroup, cgroup_root)
    return max(1, min(n, math.floor(quota) if quota < math.inf else n))


def use_usable_cpus() -> int:
    """Size torch's thread pool to :func:`usable_cpus`, unless ``OMP_NUM_THREADS`` already says
    how many; return the number of threads torch now uses."""
    import torch

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(usable_cpus())
    return torch.get_num_threads()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one torch thread, then restore the pool. For models so small that
    threads cost more than they bring: the captioner of the chapter *Attention* trains in 3.2 s
    per 100 steps on one thread and 6.2 s on two, measured in a Jupyter kernel on the 2-core
    machine (the kernel's own threads compete with the second worker)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
