"""The book on simulated machines: in how many does each claim hold, and how far does each glued
number move?

A chaotic training run on another CPU follows another trajectory, so the book is executed here
under numeric configurations that change the bits of a training run on one x86 machine (each
checked on 60 Adam steps of a small conv net and a GRU by ``benchmarks/knobs.py``):

* ``native``: this machine as the book build runs it (one thread per chapter);
* ``two-threads``: ``REIDLAB_THREADS=2``, MKL's matrix products split over two threads;
* ``aten-default``: ``ATEN_CPU_CAPABILITY=default``, PyTorch's own kernels without AVX2 (Adam,
  elementwise ops, reductions);
* ``mkl-compatible``: ``MKL_CBWR=COMPATIBLE``, MKL's matrix products on its portable code path;
* ``onednn-sse41``: ``ONEDNN_MAX_CPU_ISA=SSE41``, convolutions on oneDNN's SSE4.1 kernels;
* ``seeds+100``: ``REIDLAB_SEED_OFFSET=100``, every training seed drawn by :func:`reidlab.book.seeds`
  moved by 100: what another machine amounts to, in full.

Each chapter runs in a fresh kernel with ``REIDLAB_CLAIMS_LOG`` set, so every claim (held or not,
with its values) and every glued value is recorded; chapters run side by side, one per usable
CPU. The report goes to stdout and to ``benchmarks/robustness.md``.

    make robustness                                    # everything: about an hour on 2 cores
    python benchmarks/robustness.py --chapters video,attention --machines native,seeds+100
    python benchmarks/robustness.py --report           # the table again from the last run's logs
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import execute  # noqa: E402

LOGS = ROOT / "_build" / "robustness"
REPORT = Path(__file__).with_name("robustness.md")

MACHINES: dict[str, dict[str, str]] = {
    "native": {},
    "two-threads": {"REIDLAB_THREADS": "2"},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
    "onednn-sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "seeds+100": {"REIDLAB_SEED_OFFSET": "100"},
}


def log_path(machine: str, chapter: str) -> Path:
    return LOGS / machine / f"{chapter}.jsonl"


def execute_all(chapters: list[str], machines: list[str]) -> dict[tuple[str, str], float]:
    """Run every (machine, chapter); return the seconds each took. Logs go to ``LOGS``."""
    jobs = []
    for machine in machines:
        for chapter in chapters:
            log = log_path(machine, chapter)
            log.parent.mkdir(parents=True, exist_ok=True)
            log.unlink(missing_ok=True)
            env = {**execute.BUILD_ENV, **MACHINES[machine], "REIDLAB_CLAIMS_LOG": str(log)}
            # a generous timeout: a robustness run shares the machine with whatever else runs
            jobs.append(execute.Job(chapter, execute.read(chapter), env, label=machine, timeout=3600))
    seconds = {}
    file = LOGS / "seconds.json"
    for done in execute.run(jobs):
        key = (done.job.label, done.job.name)
        seconds[key] = done.seconds
        state = "FAILED" if done.error else "ok"
        where = f"  {done.job.label:<15} {done.job.name:<24}"
        print(f"{where} {done.seconds:6.0f} s ({done.cpu_seconds:.0f} s CPU)  {state}", flush=True)
        if done.error:
            print(done.error[-3000:], file=sys.stderr)
        took = json.loads(file.read_text()) if file.exists() else {}  # after each: a run may be cut short
        took[f"{key[0]}/{key[1]}"] = done.cpu_seconds
        file.write_text(json.dumps(took, indent=1))
    return seconds


def load(chapters: list[str], machines: list[str]) -> dict[str, dict[str, list[dict]]]:
    """``machine -> chapter -> records`` from the logs (missing logs: no records)."""
    out: dict[str, dict[str, list[dict]]] = {}
    for machine in machines:
        for chapter in chapters:
            path = log_path(machine, chapter)
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            out.setdefault(machine, {})[chapter] = [json.loads(line) for line in lines]
    return out


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def report(chapters: list[str], machines: list[str]) -> str:
    """The tables: claims that fail somewhere (then a count of those that hold everywhere), and
    the glued numbers that move most."""
    logs = load(chapters, machines)
    lines = [
        "# The book on simulated machines",
        "",
        "Written by `benchmarks/robustness.py` (`make robustness`). Machines: "
        + ", ".join(
            f"`{m}` ({' '.join(f'{k}={v}' for k, v in MACHINES[m].items()) or 'as built'})" for m in machines
        )
        + ".",
        "",
        "## Claims",
        "",
        "| chapter | claim | holds in | fails on |",
        "|---|---|---|---|",
    ]
    held_everywhere, missing = 0, []
    for chapter in chapters:
        names: dict[str, dict[str, dict]] = {}
        for machine in machines:
            if not logs[machine][chapter]:
                missing.append(f"{machine}/{chapter}")
            for r in logs[machine][chapter]:
                if r["kind"] == "claim":
                    names.setdefault(r["name"], {})[machine] = r
        for name, by_machine in names.items():
            failed = [m for m in machines if m in by_machine and not by_machine[m]["holds"]]
            ran = [m for m in machines if m in by_machine]
            if not failed and len(ran) == len(machines):
                held_everywhere += 1
                continue
            where = ", ".join(failed) or "-"
            lines.append(f"| {chapter} | {name} | {len(ran) - len(failed)} of {len(ran)} | {where} |")
    lines += ["", f"Claims that hold on every machine: {held_everywhere}."]
    if missing:
        lines += ["", "No log (the chapter failed or did not run): " + ", ".join(missing) + "."]
    lines += [
        "",
        "## Glued numbers that move most",
        "",
        "Spread = (max - min) over the machines, relative to the largest |value|; numbers that do",
        "not move at all are left out.",
        "",
        "| chapter | glued value | min | max | spread |",
        "|---|---|---|---|---|",
    ]
    moves = []
    unmoved = 0
    for chapter in chapters:
        values: dict[str, list[float]] = {}
        for machine in machines:
            for r in logs[machine][chapter]:
                x = _number(r.get("value")) if r["kind"] == "glue" else None
                if x is not None and math.isfinite(x):
                    values.setdefault(r["name"], []).append(x)
        for name, xs in values.items():
            lo, hi = min(xs), max(xs)
            scale = max(abs(lo), abs(hi))
            if hi == lo:
                unmoved += 1
                continue
            moves.append(((hi - lo) / scale if scale else 0.0, chapter, name, lo, hi))
    for spread, chapter, name, lo, hi in sorted(moves, reverse=True):
        lines.append(f"| {chapter} | {name} | {lo:.4g} | {hi:.4g} | {spread:.1%} |")
    lines += ["", f"Glued numbers identical on every machine: {unmoved}."]
    seconds_file = LOGS / "seconds.json"
    if seconds_file.exists():
        took = json.loads(seconds_file.read_text())
        lines += ["", "## CPU seconds per chapter (the kernel's own: what it takes on an idle core)", ""]
        lines += ["| chapter | " + " | ".join(machines) + " |"]
        lines.append("|---" * (len(machines) + 1) + "|")
        for chapter in chapters:
            row = [f"{took[f'{m}/{chapter}']:.0f}" if f"{m}/{chapter}" in took else "-" for m in machines]
            lines.append(f"| {chapter} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", default=",".join(execute.chapters()), help="comma-separated")
    parser.add_argument(
        "--machines", default=",".join(MACHINES), help=f"comma-separated, of {list(MACHINES)}"
    )
    parser.add_argument("--report", action="store_true", help="only write the report from the last logs")
    args = parser.parse_args(argv)
    chapters, machines = args.chapters.split(","), args.machines.split(",")
    bad = sorted(set(chapters) - set(execute.chapters())) + sorted(set(machines) - set(MACHINES))
    if bad:
        parser.error(f"unknown chapters or machines: {bad}")
    if not args.report:
        start = time.perf_counter()
        print(f"executing {len(chapters)} chapter(s) on {len(machines)} machine(s)", flush=True)
        execute_all(chapters, machines)
        print(f"done in {time.perf_counter() - start:.0f} s")
    text = report(chapters, machines)
    if set(chapters) == set(execute.chapters()) and set(machines) == set(MACHINES):
        REPORT.write_text(text, encoding="utf-8")  # only a full run replaces the table in the repo
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
