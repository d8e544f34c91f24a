"""Checkpoints of a baseline run: everything needed to continue exactly where it stopped.

A checkpoint (``DIR/checkpoint.pt``, written after every epoch by the main process only) holds the
model (without DDP's ``module.`` prefix, so it loads into a one-process model), the optimiser(s),
the centres of the centre loss, the learning-rate scheduler, the number of epochs done, every
step's log so far, the run's settings, and torch's global random states (CPU and CUDA). The run
itself draws from per-epoch generators (:func:`reidlab.baseline.sampling.epoch_generator`), so
its randomness needs only the epoch; the global states are restored for anything else that uses
them (a backbone with dropout, say).

The file is written to a temporary name and then renamed over the old one, so a run killed while
saving leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

NAME = "checkpoint.pt"


def rng_states() -> dict[str, Any]:
    """Torch's global random states: the CPU's and every CUDA device's."""
    states: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore what :func:`rng_states` returned (CUDA states only where there is CUDA)."""
    torch.set_rng_state(states["cpu"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write ``state`` to ``path`` atomically (a temporary file, then a rename); returns the path."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint at ``path`` on the CPU; errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint to resume from (run without --resume first)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # tensors, numbers, strings
    except Exception as err:
        raise ValueError(f"{path}: not a readable checkpoint ({err})") from err
    missing = {"model", "optimizer", "scheduler", "epoch", "history", "config"} - set(state)
    if missing:
        raise ValueError(f"{path}: not a baseline checkpoint (missing {sorted(missing)})")
    return state
