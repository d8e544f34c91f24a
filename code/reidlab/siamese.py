"""Siamese training on the toy pedestrians (chapter *Siamese networks*).

A Siamese network is two copies of one network with *shared* weights: each copy embeds one image
of a pair, and the loss looks at the distance between the two embeddings. Shared weights mean
the two copies are one function, so here the one network embeds a whole batch and the pairs
are formed inside it: a batch of ``p`` people with ``k`` images each holds
``p * k * (k - 1) / 2`` positive pairs and many more negative ones, for the price of
``p * k`` forward passes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from reidlab.distances import squared_euclidean
from reidlab.evaluation import match_masks
from reidlab.losses.metric import contrastive_loss
from reidlab.train import train


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


def pairs_in_batch(pids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every pair ``i < j`` in a batch: indices ``(P,)``, ``(P,)`` and whether they match."""
    i, j = torch.triu_indices(len(pids), len(pids), offset=1)
    return i, j, pids[i] == pids[j]


def batch_contrastive_loss(embeddings: torch.Tensor, pids: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """Contrastive loss over all pairs of a batch, positives and negatives weighted equally
    (mean over positive pairs + mean over negative pairs), as if pairs were drawn half and half."""
    i, j, same = pairs_in_batch(pids)
    if same.all() or not same.any():
        raise ValueError("a batch needs both pairs of one person and pairs of two people")
    # All (B, B) squared distances from differences, then the pairs i < j. Gathering rows with
    # embeddings[i] would be shorter, but its backward pass adds into repeated rows in an order
    # that changes from run to run on a multi-core CPU, and so would the trained network.
    sq = squared_euclidean(embeddings[:, None, :], embeddings[None, :, :])[i, j]
    # the square root has an infinite slope at 0: keep it away, or one duplicate image gives NaN
    d = sq.clamp(min=1e-12).sqrt()
    losses = contrastive_loss(d, same, margin, reduction="none")
    return losses[same].mean() + losses[~same].mean()


def train_siamese(
    model: nn.Module,
    images: torch.Tensor,
    pids: torch.Tensor,
    *,
    margin: float = 1.0,
    steps: int = 400,
    p: int = 16,
    k: int = 4,
    lr: float = 3e-3,
    seed: int = 0,
    progress: bool = True,
) -> list[float]:
    """Train ``model`` (images -> embeddings) in place with the contrastive loss on batches of
    ``p`` people x ``k`` images; returns the loss of every step."""

    def loss_fn(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return batch_contrastive_loss(net(x), y, margin)

    return train(
        model,
        loss_fn,
        (images, pids),
        steps=steps,
        lr=lr,
        sampler=pk_sampler(pids, p, k),
        seed=seed,
        progress=progress,
    )


@torch.no_grad()
def embed(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Embeddings of ``images`` in evaluation mode, a batch at a time."""
    model.eval()
    return torch.cat([model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def one_shot_rates(
    distmat: torch.Tensor,
    q_pids: torch.Tensor,
    g_pids: torch.Tensor,
    q_camids: torch.Tensor,
    g_camids: torch.Tensor,
    threshold: float,
    look_alikes: list[tuple[int, int]],
) -> dict[str, float]:
    """One-shot verification: each query image is the only image known of its person; every
    gallery image is then judged "same person" if its distance ``distmat[q, g]`` is within
    ``threshold`` (arguments as for :func:`reidlab.evaluation.evaluate_rank`). Returns the share
    of right decisions for three kinds of gallery image: the same person seen by another camera
    (should be accepted), the person's look-alike (given as pairs of pids; should be rejected),
    and everybody else (should be rejected)."""
    same, junk = match_masks(q_pids, g_pids, q_camids, g_camids)
    partner = torch.zeros_like(same)
    for a, b in look_alikes:
        partner |= (q_pids[:, None] == a) & (g_pids[None, :] == b)
        partner |= (q_pids[:, None] == b) & (g_pids[None, :] == a)
    if not partner.any():
        raise ValueError("look_alikes matched no (query, gallery) pair")
    accept = distmat <= threshold
    return {
        "same person, other camera: accepted": float(accept[same & ~junk].double().mean()),
        "their look-alike: rejected": float((~accept[partner]).double().mean()),
        "anybody else: rejected": float((~accept[~same & ~partner]).double().mean()),
    }
