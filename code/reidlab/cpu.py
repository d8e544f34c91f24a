"""The book computes on one thread; how many CPUs this process may use, to run chapters side by side.

Importing :mod:`reidlab` calls :func:`use_book_threads`: torch computes on **one thread**
(``REIDLAB_THREADS=n`` for another number). Why:

* **The same numbers on any number of cores.** MKL splits a matrix product's sums by thread, so
  two threads add in another order than one, and a training run ends with other bits (checked:
  60 Adam steps of a small conv net and of a GRU, 1 vs 2 threads). To a chaotic training run
  that is another seed; on one thread, a laptop with 8 cores, Binder with one and CI with two
  follow the same path (on the same kind of CPU and libraries).
* **As fast, and immune to a busy neighbour.** The book's models are small: their threads meet
  at a barrier many times per step, and a thread whose core another process holds makes the
  others wait. Measured on a 2-core machine, the L1/L2/SSIM chapter took 29 s idle and 509 s
  next to one busy process with two spinning threads; the captioner of the chapter *Attention*
  trains in 3.2 s per 100 steps on one thread and 6.2 s on two in a Jupyter kernel.
* **The cores are used elsewhere:** the book build executes chapters side by side, one per CPU
  this process may use (:func:`usable_cpus`, ``_ext/execute.py``).

:func:`usable_cpus` takes the smallest of the cores this process may run on (its affinity) and
the CPU quota of its cgroup (v1 or v2, including the quotas of parent groups): a Binder container
sees every core of its host (dozens) but may use about one. Idle OpenMP threads sleep instead of
spinning (``OMP_WAIT_POLICY=PASSIVE``, set before torch loads) for when ``REIDLAB_THREADS`` > 1.

Left out: CPU *shares* (a relative weight, not a limit) and changing threads while running.
"""

from __future__ import annotations

import math
import os
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


def book_threads() -> int:
    """The number of threads the book computes on: ``REIDLAB_THREADS``, or 1."""
    value = os.environ.get("REIDLAB_THREADS", "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"REIDLAB_THREADS must be a positive whole number, got {value!r}")
    return int(value)


def use_book_threads() -> int:
    """Set torch's thread pool to :func:`book_threads`; return the number of threads it now uses."""
    import torch

    torch.set_num_threads(book_threads())
    return torch.get_num_threads()
