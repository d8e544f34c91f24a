r"""Which images each training step uses, on one process or several: P x K batches, split by person.

The triplet loss needs every person of a batch seen more than once, so a batch is :math:`P` people
x :math:`K` images (Hermans et al., 2017; the paper: :math:`P = 16, K = 4`, 64 images), drawn by
the book's :func:`reidlab.train.pk_sampler`. A person with fewer than :math:`K` training images
(Market-1501 has some) is topped up with repeats of its own images drawn at random, as the authors'
sampler does, so every batch is exactly :math:`P \times K`.

**One epoch's plan.** :func:`epoch_plan` draws, from the epoch's generator, every step's
**global batch** ``(P, K)`` of image indices and one augmentation seed per image. Every process
draws the same plan (same seed, same epoch), so none has to send indices to another.

**Several processes.** With :math:`N` processes (``torchrun --nproc_per_node=N``), process
:math:`r` takes the people :math:`rP/N, \dots, (r+1)P/N - 1` of each global batch with all
:math:`K` images each (:func:`share`): its local batch is itself a :math:`P/N \times K` batch,
and the :math:`N` local batches together are the global batch, whatever :math:`N` is. So the same
seed trains on the same images, augmented the same way (each image's seed travels with it), on one
process or on eight; :math:`P` must be a multiple of :math:`N`.

An epoch has ``len(train) // (P K)`` steps by default (about one pass over the images).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from reidlab.train import pk_sampler

SEED_BOUND = 2**62  # augmentation seeds are drawn below this


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The generator of epoch ``epoch`` of a run seeded ``seed``: its seed mixes the two (NumPy's
    ``SeedSequence``), so a run resumed at an epoch draws what it would have drawn uninterrupted,
    and nearby seeds or epochs give unrelated streams."""
    for name, value in (("seed", seed), ("epoch", epoch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    state = np.random.SeedSequence([seed, epoch]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def pk_batch(
    sample: Callable[[torch.Generator], torch.Tensor], pids: torch.Tensor, k: int, g: torch.Generator
) -> torch.Tensor:
    """One global batch ``(P, K)`` of indices: ``sample(g)`` (from :func:`reidlab.train.pk_sampler`),
    each person's row topped up to ``k`` with repeats drawn from ``g`` if they have fewer images."""
    idx = sample(g)
    _, counts = torch.unique_consecutive(pids[idx], return_counts=True)  # one run per person
    rows = []
    for group in idx.split(counts.tolist()):
        if len(group) < k:  # all of this person's images, then repeats of them
            group = torch.cat([group, group[torch.randint(len(group), (k - len(group),), generator=g)]])
        rows.append(group)
    return torch.stack(rows)  # (P, K)


def epoch_plan(
    pids: torch.Tensor, *, p: int, k: int, steps: int, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every step's global batch for one epoch: indices ``(steps, P, K)`` into the training images
    (person ``pids[i]``) and an augmentation seed ``(steps, P, K)`` for each image."""
    if not isinstance(pids, torch.Tensor) or pids.ndim != 1 or pids.dtype != torch.int64:
        raise TypeError("pids must be a 1-D int64 tensor (one identity per training image)")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    sample = pk_sampler(pids, p, k)  # checks 2 <= p <= identities and k >= 2
    indices = torch.stack([pk_batch(sample, pids, k, g) for _ in range(steps)])  # (steps, P, K)
    seeds = torch.randint(SEED_BOUND, indices.shape, generator=g)  # (steps, P, K)
    return indices, seeds


def check_split(p: int, world_size: int) -> None:
    """``ValueError`` unless ``P`` people split evenly over ``world_size`` processes."""
    if world_size < 1 or p % world_size:
        raise ValueError(
            f"p ({p} people per batch) must be a multiple of the number of processes ({world_size}): "
            "each process takes p / processes of them"
        )


def share(batch: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Process ``rank``'s part of a global batch ``(P, K)``: its ``P / world_size`` people, all ``K``
    images each, flattened to ``(P K / world_size,)`` person by person."""
    check_split(batch.shape[0], world_size)
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must lie in 0..{world_size - 1}, got {rank}")
    per = batch.shape[0] // world_size
    return batch[rank * per : (rank + 1) * per].reshape(-1)  # (P/N, K) -> (P K / N,)


def steps_per_epoch(n_images: int, p: int, k: int) -> int:
    """``n_images // (p k)``, at least 1: about one pass over the training images per epoch."""
    return max(1, n_images // (p * k))
