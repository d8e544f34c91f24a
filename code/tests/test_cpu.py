"""reidlab.cpu: the CPU quota is read from cgroup files (v1 and v2), parents included."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from reidlab.cpu import book_threads, cgroup_cpu_quota, usable_cpus, use_book_threads


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_v2_quota_of_own_group(tmp_path: Path) -> None:
    write(tmp_path / "fs" / "cgroup.controllers", "cpu memory")
    write(tmp_path / "fs" / "user" / "job" / "cpu.max", "150000 100000\n")
    write(tmp_path / "proc", "0::/user/job\n")
    assert cgroup_cpu_quota(str(tmp_path / "proc"), str(tmp_path / "fs")) == 1.5


def test_v2_parent_quota_limits_child(tmp_path: Path) -> None:
    write(tmp_path / "fs" / "cgroup.controllers", "cpu")
    write(tmp_path / "fs" / "user" / "cpu.max", "100000 100000\n")
    write(tmp_path / "fs" / "user" / "job" / "cpu.max", "max 100000\n")
    write(tmp_path / "proc", "0::/user/job\n")
    assert cgroup_cpu_quota(str(tmp_path / "proc"), str(tmp_path / "fs")) == 1.0


def test_v2_container_root_holds_the_quota(tmp_path: Path) -> None:
    """In a container the group path may not exist under the mount; the root is read."""
    write(tmp_path / "fs" / "cgroup.controllers", "cpu")
    write(tmp_path / "fs" / "cpu.max", "200000 100000\n")
    write(tmp_path / "proc", "0::/kubepods/pod1/abc\n")
    assert cgroup_cpu_quota(str(tmp_path / "proc"), str(tmp_path / "fs")) == 2.0


def test_v1_quota_and_unlimited(tmp_path: Path) -> None:
    cpu = tmp_path / "fs" / "cpu,cpuacct"
    write(cpu / "cpu.cfs_quota_us", "-1\n")
    write(cpu / "cpu.cfs_period_us", "100000\n")
    write(cpu / "job" / "cpu.cfs_quota_us", "50000\n")
    write(cpu / "job" / "cpu.cfs_period_us", "100000\n")
    write(tmp_path / "proc", "4:memory:/job\n3:cpu,cpuacct:/job\n")
    assert cgroup_cpu_quota(str(tmp_path / "proc"), str(tmp_path / "fs")) == 0.5
    write(tmp_path / "proc", "3:cpu,cpuacct:/\n")
    assert cgroup_cpu_quota(str(tmp_path / "proc"), str(tmp_path / "fs")) == math.inf


def test_no_cgroup_files_means_no_quota(tmp_path: Path) -> None:
    assert cgroup_cpu_quota(str(tmp_path / "missing"), str(tmp_path)) == math.inf


def test_usable_cpus_is_capped_by_quota_and_at_least_one(tmp_path: Path) -> None:
    write(tmp_path / "fs" / "cgroup.controllers", "cpu")
    write(tmp_path / "proc", "0::/\n")
    write(tmp_path / "fs" / "cpu.max", "20000 100000\n")  # a fifth of a CPU
    assert usable_cpus(str(tmp_path / "proc"), str(tmp_path / "fs")) == 1
    write(tmp_path / "fs" / "cpu.max", "max 100000\n")
    assert usable_cpus(str(tmp_path / "proc"), str(tmp_path / "fs")) == len(os.sched_getaffinity(0))


def test_the_book_computes_on_one_thread_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("REIDLAB_THREADS", raising=False)
        assert book_threads() == 1 and use_book_threads() == 1
        monkeypatch.setenv("REIDLAB_THREADS", "2")
        assert use_book_threads() == 2
        for bad in ("0", "-1", "two", "1.5", ""):
            monkeypatch.setenv("REIDLAB_THREADS", bad)
            with pytest.raises(ValueError, match="REIDLAB_THREADS must be a positive whole number"):
                book_threads()
    finally:
        torch.set_num_threads(before)


def test_importing_reidlab_first_sets_one_thread_and_the_wait_policy() -> None:
    """In a fresh process with neither variable set: passive waiting, one thread, whatever
    OMP_NUM_THREADS says."""
    env = {k: v for k, v in os.environ.items() if k not in ("REIDLAB_THREADS", "OMP_WAIT_POLICY")}
    env["OMP_NUM_THREADS"] = "2"
    code = "import reidlab, os, torch; print(os.environ['OMP_WAIT_POLICY'], torch.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["PASSIVE", "1"]
