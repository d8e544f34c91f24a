"""One training loop for any model: epochs of steps, a generator per epoch, two hooks.

Used by the strong baseline (:mod:`reidlab.baseline.training`); written so that it can become the
book's one loop (:func:`reidlab.train.train` is the special case of one epoch of Adam steps). The
loop knows nothing about models, losses, optimisers or devices:

* ``batches(epoch, g)`` gives the epoch's batches, drawing every random choice from ``g``, the
  epoch's own generator (:func:`reidlab.baseline.sampling.epoch_generator`: a mix of ``seed`` and
  ``epoch``, so no global seeding, and a run resumed at an epoch draws what it would have drawn);
* ``step(batch)`` does one step (forward, backward, optimiser) and returns what to log, a dict of
  floats with at least ``"loss"``;
* ``on_step_end(log)`` and ``on_epoch_end(epoch, logs)`` are called after every step and epoch
  (checkpoints, schedulers, evaluation, early stopping by raising).

A loss that is not finite stops training with a ``FloatingPointError`` naming the epoch and step.

Left out: gradient accumulation, mixed precision and anything a hook or a step can do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from tqdm.auto import tqdm

from reidlab.baseline.sampling import epoch_generator

Log = dict[str, float]


def fit(
    step: Callable[[Any], Mapping[str, float]],
    batches: Callable[[int, torch.Generator], Iterable[Any]],
    *,
    epochs: int,
    seed: int = 0,
    start_epoch: int = 0,
    on_step_end: Callable[[Log], None] | None = None,
    on_epoch_end: Callable[[int, list[Log]], None] | None = None,
    progress: bool = False,
) -> list[Log]:
    """Run epochs ``start_epoch .. epochs - 1``; return every step's log (``"epoch"``, ``"step"``
    and what ``step`` returned), in order.

    Args:
        step: one training step on one batch; returns floats to log, ``"loss"`` among them.
        batches: the batches of epoch ``epoch``, drawn from the generator it is given.
        epochs: the epoch to stop before (the run's total length).
        seed: seeds every epoch's generator.
        start_epoch: the first epoch to run (a resumed run's; the earlier ones are not repeated).
        on_step_end, on_epoch_end: hooks, called after each step with its log and after each epoch
            with its number and its steps' logs.
        progress: a progress bar over each epoch's steps, with the last loss.
    """
    for name, value in (("epochs", epochs), ("start_epoch", start_epoch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    if start_epoch > epochs:
        raise ValueError(f"start_epoch ({start_epoch}) is past epochs ({epochs}): nothing to run")
    history: list[Log] = []
    for epoch in range(start_epoch, epochs):
        logs: list[Log] = []
        bar = tqdm(batches(epoch, epoch_generator(seed, epoch)), disable=not progress, leave=False)
        bar.set_description(f"epoch {epoch + 1}/{epochs}")
        for i, batch in enumerate(bar):
            out = dict(step(batch))
            if "loss" not in out:
                raise KeyError("step must return a dict with a 'loss' entry")
            if not math.isfinite(out["loss"]):
                raise FloatingPointError(f"the loss became {out['loss']} at epoch {epoch}, step {i}")
            log = {"epoch": epoch, "step": i, **out}
            logs.append(log)
            bar.set_postfix(loss=f"{out['loss']:.4f}")
            if on_step_end is not None:
                on_step_end(log)
        history += logs
        if on_epoch_end is not None:
            on_epoch_end(epoch, logs)
    return history
