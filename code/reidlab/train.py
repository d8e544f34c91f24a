"""One small training loop for every model in the book.

Used first in *Classification losses and outliers*. The loop knows nothing about the model or
the loss: the caller passes ``loss_fn(model, *batch) -> scalar``. It seeds its own batch order,
so the same seed and the same initial model give the same result on every run. A hook,
``on_step_end(step, loss)``, sees every step (to record, plot or stop by raising); another
optimiser than AdamW comes in as a factory.

:func:`initial_weights` seeds a model's initial weights without touching anyone else's random
numbers. Left out on purpose: schedulers, early stopping, checkpoints, devices (the book runs on
CPU); the strong baseline's loop (:func:`reidlab.baseline.loop.fit`) has epochs and checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import nn
from tqdm.auto import tqdm

Optimizer = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


@contextmanager
def initial_weights(seed: int) -> Iterator[None]:
    """Modules built inside the block draw their initial weights from ``seed``; after it, torch's
    global generator is where it was before.

    PyTorch's layers draw their initial weights from the global generator and take no generator
    argument, so seeding them means seeding it. ``torch.manual_seed(seed)`` alone would leave it
    seeded for whatever runs next (a reader's own cell included); this puts it back::

        with initial_weights(seed):
            net = EmbeddingNet()  # the same weights as after torch.manual_seed(seed)
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    with torch.random.fork_rng(devices=[]):  # the CPU generator: the book's models live there
        torch.default_generator.manual_seed(seed)
        yield


def train(
    model: nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    data: tuple[torch.Tensor, ...] | Callable[[torch.Generator], tuple[torch.Tensor, ...]],
    *,
    steps: int,
    lr: float | None = None,
    weight_decay: float | None = None,
    optimizer: Optimizer | None = None,
    batch_size: int | None = None,
    sampler: Callable[[torch.Generator], torch.Tensor] | None = None,
    seed: int = 0,
    on_step_end: Callable[[int, float], None] | None = None,
    progress: bool = False,
) -> list[float]:
    """Minimise ``loss_fn(model, *batch)`` for ``steps`` steps (AdamW unless ``optimizer``);
    return the losses.

    Args:
        model: any ``nn.Module``; trained in place.
        loss_fn: maps the model and one batch (the tensors of ``data``, sliced alike) to a scalar.
        data: tensors sharing their first dimension (e.g. ``(x, y)``), or a function that draws
            one batch from the loop's random generator (e.g. samples of two distributions).
        steps: number of optimiser steps.
        lr, weight_decay: AdamW's step size (default 0.01) and decoupled L2 penalty (default 0).
        optimizer: instead of ``lr`` and ``weight_decay``, a function that makes the optimiser
            from the model's parameters, e.g. ``lambda p: torch.optim.Adam(p, lr=2e-3)``.
        batch_size: ``None`` for full-batch training, else a random mini-batch per step.
        sampler: instead of ``batch_size``, a function that draws one batch's row indices from
            the loop's random generator (e.g. a few images of each of a few people).
        seed: seeds the batch order.
        on_step_end: called after every step with the step's number (from 0) and its loss.
        progress: show a progress bar (for chapters whose training takes seconds).
    """
    if callable(data):
        if sampler is not None or batch_size is not None:
            raise ValueError("data that draws its own batches takes no batch_size or sampler")
    elif not data or any(not isinstance(t, torch.Tensor) for t in data):
        raise TypeError("data must be a non-empty tuple of tensors, or a function drawing a batch")
    else:
        n = data[0].shape[0]
        if n == 0 or any(t.shape[0] != n for t in data):
            shapes = [tuple(t.shape) for t in data]
            raise ValueError(f"data tensors must share a non-empty first dimension, got {shapes}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if sampler is not None and batch_size is not None:
        raise ValueError("give batch_size or sampler, not both (the sampler sets the batch)")
    if optimizer is None:
        opt = torch.optim.AdamW(
            model.parameters(), lr=1e-2 if lr is None else lr, weight_decay=weight_decay or 0.0
        )
    elif lr is not None or weight_decay is not None:
        raise ValueError("give lr and weight_decay or optimizer, not both (the optimizer sets them)")
    else:
        opt = optimizer(model.parameters())
    g = torch.Generator().manual_seed(seed)
    history = []
    model.train()
    for _ in tqdm(range(steps), disable=not progress, leave=False):
        if callable(data):
            batch = tuple(data(g))
        elif sampler is not None:
            idx = sampler(g)  # one draw for all tensors, so rows stay paired
            batch = tuple(t[idx] for t in data)
        elif batch_size is None:
            batch = data
        else:
            idx = torch.randint(n, (batch_size,), generator=g)  # one draw, so rows stay paired
            batch = tuple(t[idx] for t in data)
        loss = loss_fn(model, *batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss.item()} at step {len(history)}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history.append(loss.item())
        if on_step_end is not None:
            on_step_end(len(history) - 1, history[-1])
    model.eval()
    return history


def pk_sampler(pids: torch.Tensor, p: int = 16, k: int = 4) -> Callable[[torch.Generator], torch.Tensor]:
    """A batch sampler for :func:`reidlab.train.train`: ``p`` random identities, ``k`` random
    images of each, without repeats (all of them if a person has fewer than ``k``)."""
    if pids.ndim != 1 or len(pids) == 0:
        raise ValueError(f"pids must be a non-empty 1-D tensor, got shape {tuple(pids.shape)}")
    people = pids.unique()
    if not 2 <= p <= len(people) or k < 2:
        raise ValueError(
            f"need 2 <= p <= {len(people)} (the number of identities) and k >= 2, got p={p}, k={k}"
        )
    rows = [torch.nonzero(pids == person).flatten() for person in people]

    def sample(g: torch.Generator) -> torch.Tensor:
        chosen = torch.randperm(len(rows), generator=g)[:p]
        picks = [rows[i][torch.randperm(len(rows[i]), generator=g)[:k]] for i in chosen.tolist()]
        return torch.cat(picks)

    return sample
