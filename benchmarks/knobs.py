"""Which numeric knobs change the bits of a small training run on this machine?

Each configuration runs in a fresh process (MKL, oneDNN and ATen read their switches when they
load): 60 Adam steps of a small conv net and of a GRU, from the same seed, then a hash of the
final parameters. A knob that changes the hash sends a chaotic training run along another path,
which is why ``benchmarks/robustness.py`` simulates machines with the ones that do.

    python benchmarks/knobs.py          # about a minute on 2 cores

Prints, per configuration, whether the conv net's and the GRU's final parameters differ from the
default run's, and the time relative to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

#: name -> (environment, script-side switch)
CONFIGS: dict[str, tuple[dict[str, str], str]] = {
    "default (1 thread)": ({}, ""),
    "torch.set_num_threads(2)": ({}, "threads2"),
    "OMP_NUM_THREADS=4 (> cores), 4 threads": ({"OMP_NUM_THREADS": "4"}, "threads4"),
    "ATEN_CPU_CAPABILITY=default": ({"ATEN_CPU_CAPABILITY": "default"}, ""),
    "ATEN_CPU_CAPABILITY=avx2": ({"ATEN_CPU_CAPABILITY": "avx2"}, ""),
    "MKL_CBWR=COMPATIBLE": ({"MKL_CBWR": "COMPATIBLE"}, ""),
    "MKL_CBWR=AVX2": ({"MKL_CBWR": "AVX2"}, ""),
    "ONEDNN_MAX_CPU_ISA=SSE41": ({"ONEDNN_MAX_CPU_ISA": "SSE41"}, ""),
    "ONEDNN_MAX_CPU_ISA=AVX2": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, ""),
    "torch.backends.mkldnn.enabled=False": ({}, "no-mkldnn"),
    "OMP_WAIT_POLICY=ACTIVE": ({"OMP_WAIT_POLICY": "ACTIVE"}, ""),
}
#: Inherited variables that would change the answer: cleared for every run.
CLEARED = ("OMP_", "MKL_", "KMP_", "ONEDNN_", "DNNL_", "ATEN_", "REIDLAB_")


def probe(switch: str) -> dict[str, object]:
    """Train both nets in this process; return their parameter hashes and seconds."""
    import torch
    from torch import nn

    torch.set_num_threads({"threads2": 2, "threads4": 4}.get(switch, 1))
    if switch == "no-mkldnn":
        torch.backends.mkldnn.enabled = False

    class GRUHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru, self.head = nn.GRU(16, 32), nn.Linear(32, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # (T, B, 16) -> (B, 10)
            return self.head(self.gru(x)[0][-1])

    nets = {
        "conv": (
            lambda: nn.Sequential(
                nn.Conv2d(3, 16, 3, stride=2), nn.ReLU(), nn.Conv2d(16, 32, 3, stride=2), nn.ReLU(),
                nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
            ),
            (32, 3, 32, 32), 32,
        ),
        "gru": (GRUHead, (8, 10, 16), 10),
    }  # fmt: skip
    out: dict[str, object] = {}
    for name, (make, shape, batch) in nets.items():
        torch.manual_seed(0)
        model, g = make(), torch.Generator().manual_seed(1)
        x, y = torch.randn(*shape, generator=g), torch.randint(10, (batch,), generator=g)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        start = time.process_time()
        for _ in range(60):
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        out[f"{name}_seconds"] = time.process_time() - start
        digest = hashlib.sha256()
        for t in model.state_dict().values():
            digest.update(t.numpy().tobytes())
        out[name] = digest.hexdigest()
    return out


def main() -> None:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    results = {}
    for name, (env, switch) in CONFIGS.items():
        done = subprocess.run(
            [sys.executable, __file__, "--probe", switch],
            env={**base_env, **env},
            capture_output=True,
            text=True,
        )
        results[name] = json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr[-200:]}
    ref = results["default (1 thread)"]
    print(f"{'configuration':<40} {'conv bits':>10} {'GRU bits':>10} {'CPU time':>9}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<40} fails: {r['error'].splitlines()[-1] if r['error'] else '?'}")
            continue
        conv = "differ" if r["conv"] != ref["conv"] else "same"
        gru = "differ" if r["gru"] != ref["gru"] else "same"
        ratio = (r["conv_seconds"] + r["gru_seconds"]) / (ref["conv_seconds"] + ref["gru_seconds"])
        print(f"{name:<40} {conv:>10} {gru:>10} {ratio:>8.2f}x")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        print(json.dumps(probe(sys.argv[2] if len(sys.argv) > 2 else "")))
    else:
        main()
