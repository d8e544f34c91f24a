"""Siamese training on the toy pedestrians (chapter *Siamese networks*).

A Siamese network is two copies of one network with *shared* weights: each copy embeds one image
of a pair, and the loss looks at the distance between the two embeddings. Shared weights mean
the two copies are one function, so here the one network embeds a whole batch and the pairs
are formed inside it (:func:`reidlab.miners.all_pairs`, the loss
:func:`reidlab.losses.metric.balanced_contrastive_loss`): a batch of ``p`` people with ``k``
images each holds ``p * k * (k - 1) / 2`` positive pairs and many more negative ones, for the
price of ``p * k`` forward passes.

The networks of this chapter and the next (:func:`embedding_net`) first average every 2 x 2 block
of pixels, so they see the toy world's 64 x 32 images at 32 x 16: a training step then takes
about 0.4 of the time (measured), which buys five seeds for every comparison.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from reidlab.distances import pairwise_distances
from reidlab.evaluation import evaluate_rank, match_masks, verification_pairs
from reidlab.losses.metric import balanced_contrastive_loss, batch_distances
from reidlab.miners import all_pairs
from reidlab.models import EmbeddingNet
from reidlab.train import initial_weights, pk_sampler, train
from reidlab.worlds.pedestrians import Identity, ToyReid

#: How much the chapters' networks shrink an image before the first convolution (each side).
DOWNSAMPLE = 2


def embedding_net(
    seed: int, height: int = 64, width: int = 32, dim: int = 64, downsample: int = DOWNSAMPLE
) -> nn.Sequential:
    """A fresh network for images ``(N, 3, height, width)``, its initial weights drawn from
    ``seed``: a ``downsample`` x ``downsample`` average (:class:`torch.nn.AvgPool2d`), then an
    :class:`~reidlab.models.EmbeddingNet` of ``dim`` unit-length outputs on the smaller image
    (``net[-1]``). The average commutes with a mirror (``images.flip(-1)``), so
    ``embed(..., flip=True)`` is still exactly mirror-invariant."""
    with initial_weights(seed):
        return build_embedding_net(height, width, dim, downsample)


def build_embedding_net(
    height: int = 64, width: int = 32, dim: int = 64, downsample: int = DOWNSAMPLE
) -> nn.Sequential:
    """:func:`embedding_net` without the seed: its weights come from torch's global generator,
    for a caller that seeds several modules in one :func:`~reidlab.train.initial_weights` block."""
    if not isinstance(downsample, int) or downsample < 1:
        raise ValueError(f"downsample must be a positive int, got {downsample!r}")
    if height % (8 * downsample) or width % (8 * downsample):
        raise ValueError(
            f"height and width must be multiples of 8 * downsample = {8 * downsample}, got {height} x {width}"
        )
    net = EmbeddingNet(dim=dim, height=height // downsample, width=width // downsample)
    return nn.Sequential(nn.AvgPool2d(downsample), net)


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
        return balanced_contrastive_loss(batch_distances(net(x)), all_pairs(y), margin)

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


def trained_net(
    images: torch.Tensor,
    pids: torch.Tensor,
    seed: int = 0,
    steps: int = 800,
    margin: float = 1.0,
    dim: int = 64,
    downsample: int = DOWNSAMPLE,
) -> tuple[nn.Sequential, list[float]]:
    """A fresh :func:`embedding_net` (initial weights from ``seed``) trained by
    :func:`train_siamese` with the same seed; returns the network and its loss per step."""
    net = embedding_net(seed, images.shape[2], images.shape[3], dim, downsample)
    small = net[0](images)  # the average once, not in every step: the same numbers, bit for bit
    history = train_siamese(net[-1], small, pids, margin=margin, steps=steps, seed=seed, progress=False)
    return net.eval(), history


@torch.no_grad()
def embed(model: nn.Module, images: torch.Tensor, batch_size: int = 512, flip: bool = False) -> torch.Tensor:
    """Embeddings of ``images`` ``(N, 3, H, W)`` in evaluation mode, a batch at a time.

    Without ``flip``, the model's own outputs, as they come (unit-length for the book's
    networks, whose last step normalises; nothing is normalised here). With ``flip``, each
    image's embedding is the sum of its own and its mirror image's (``images.flip(-1)``),
    scaled to unit length: then an image and its mirror get exactly the same embedding.
    (Convolutions are not symmetric, so without it they do not.)
    """
    model.eval()

    def one(x: torch.Tensor) -> torch.Tensor:
        return F.normalize(model(x) + model(x.flip(-1)), dim=1) if flip else model(x)

    return torch.cat([one(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


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


def rank1_misses(
    distmat: torch.Tensor,
    q_pids: torch.Tensor,
    g_pids: torch.Tensor,
    q_camids: torch.Tensor,
    g_camids: torch.Tensor,
    look_alikes: list[tuple[int, int]],
) -> tuple[list[int], list[int]]:
    """The queries whose closest gallery image (junk removed) shows someone else, and those of
    them whose closest image shows the query's look-alike (pairs of pids). Arguments as for
    :func:`reidlab.evaluation.evaluate_rank`."""
    partner = dict(look_alikes) | {b: a for a, b in look_alikes}
    _, junk = match_masks(q_pids, g_pids, q_camids, g_camids)
    top = g_pids[distmat.masked_fill(junk, float("inf")).argmin(dim=1)]  # (Q,) pid of the first answer
    missed = torch.nonzero(top != q_pids).flatten().tolist()
    by_look_alike = [q for q in missed if partner.get(int(q_pids[q])) == int(top[q])]
    return missed, by_look_alike


def ranking_scores(
    distmat: torch.Tensor,
    q_pids: torch.Tensor,
    g_pids: torch.Tensor,
    q_camids: torch.Tensor,
    g_camids: torch.Tensor,
    look_alikes: list[tuple[int, int]],
) -> dict[str, float]:
    """Rank-1, rank-5 and mAP of ``distmat`` ``(Q, G)`` (arguments as for
    :func:`reidlab.evaluation.evaluate_rank`), and the counts of :func:`rank1_misses`: queries
    missed at rank 1, and those of them taken for their look-alike."""
    r = evaluate_rank(distmat, q_pids, g_pids, q_camids, g_camids, max_rank=5)
    missed, to_look_alike = rank1_misses(distmat, q_pids, g_pids, q_camids, g_camids, look_alikes)
    return {
        "rank-1": r.cmc[0].item(),
        "rank-5": r.cmc[4].item(),
        "mAP": r.mAP,
        "misses": len(missed),
        "to the look-alike": len(to_look_alike),
    }


def mirror_pairs(people: list[Identity], look_alikes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The look-alike pairs ``(a, b)`` (indices into ``people``) whose two people are each
    other's mirror image (:meth:`reidlab.worlds.pedestrians.Identity.mirrored`): they differ only in
    the bag's shoulder, and nothing else on them is one-sided, so in any image one of them looks
    exactly like the other seen from the other side."""
    for a, b in look_alikes:
        if not (0 <= a < len(people) and 0 <= b < len(people)):
            raise ValueError(f"look-alike pair {(a, b)} is not a pair of indices into people ({len(people)})")
    return [(a, b) for a, b in look_alikes if people[a].mirrored() == people[b]]


def look_alikes_per_batch(
    pids: torch.Tensor,
    look_alikes: list[tuple[int, int]],
    p: int = 16,
    k: int = 4,
    batches: int = 1000,
    seed: int = 0,
) -> float:
    """How many look-alike pairs (both people) a :func:`pk_sampler` batch holds, on average over
    ``batches`` batches: the pairs the loss can push apart in one step."""
    sample = pk_sampler(pids, p=p, k=k)
    g = torch.Generator().manual_seed(seed)
    hits = 0
    for _ in range(batches):
        in_batch = set(pids[sample(g)].tolist())
        hits += sum(a in in_batch and b in in_batch for a, b in look_alikes)
    return hits / batches


def margin_sweep(
    world: ToyReid, margins: list[float], steps: int = 400, seed: int = 0
) -> dict[float, dict[str, float]]:
    """Train one network per contrastive margin (same seed and start) and measure it on the
    test split: the median distance of same-person and of different-person (query, gallery)
    pairs, rank-1 and mAP. Returns ``{margin: {"same", "different", "rank-1", "mAP"}}``."""
    q, g = world.query, world.gallery
    ids = (q.pids, g.pids, q.camids, g.camids)
    out = {}
    for margin in margins:
        net, _ = trained_net(world.train.images, world.train.pids, seed=seed, steps=steps, margin=margin)
        d = pairwise_distances(embed(net, q.images), embed(net, g.images))
        d_pairs, same = verification_pairs(d, *ids)
        r = evaluate_rank(d, *ids, max_rank=1)
        out[margin] = {
            "same": d_pairs[same].median().item(),
            "different": d_pairs[~same].median().item(),
            "rank-1": r.cmc[0].item(),
            "mAP": r.mAP,
        }
    return out
