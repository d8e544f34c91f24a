"""One small training loop for every model in the book.

Used first in *Classification losses and outliers*. The loop knows nothing about the model or
the loss: the caller passes ``loss_fn(model, *batch) -> scalar``. It seeds its own batch order,
so the same seed and the same initial model give the same result on every run.

Left out on purpose: schedulers, early stopping, checkpoints, devices (the book runs on CPU).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from tqdm.auto import tqdm


def train(
    model: nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    data: tuple[torch.Tensor, ...],
    *,
    steps: int,
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    batch_size: int | None = None,
    sampler: Callable[[torch.Generator], torch.Tensor] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Minimise ``loss_fn(model, *batch)`` with Adam for ``steps`` steps; return the losses.

    Args:
        model: any ``nn.Module``; trained in place.
        loss_fn: maps the model and one batch (the tensors of ``data``, sliced alike) to a scalar.
        data: tensors sharing their first dimension (e.g. ``(x, y)``).
        steps: number of optimiser steps.
        lr, weight_decay: Adam's step size and L2 penalty (decoupled: AdamW).
        batch_size: ``None`` for full-batch training, else a random mini-batch per step.
        sampler: instead of ``batch_size``, a function that draws one batch's row indices from
            the loop's random generator (e.g. a few images of each of a few people).
        seed: seeds the batch order.
        progress: show a progress bar (for chapters whose training takes seconds).
    """
    if not data or any(not isinstance(t, torch.Tensor) for t in data):
        raise TypeError("data must be a non-empty tuple of tensors")
    n = data[0].shape[0]
    if n == 0 or any(t.shape[0] != n for t in data):
        raise ValueError(
            f"data tensors must share a non-empty first dimension, got {[tuple(t.shape) for t in data]}"
        )
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = []
    model.train()
    for _ in tqdm(range(steps), disable=not progress, leave=False):
        if sampler is not None:
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
