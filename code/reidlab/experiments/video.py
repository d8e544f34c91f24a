r"""Video ReID: a spatial stream on frames, a motion stream on optical flow, and ways to pool the
frames of a clip into one feature (chapter *Video ReID*).

**Two streams.** The *spatial* stream is the still-image :class:`~reidlab.models.EmbeddingNet`
run on every frame; its frame features are pooled over time. The *motion* stream is the same
network on the clip's optical flow, windows of 3 consecutive flow fields stacked as 6 input
channels (the stacked flow of Simonyan & Zisserman, 2014), its outputs averaged over the
windows; the chapter computes the flow at half the resolution.
:func:`fuse` joins the two unit-length features into one (late fusion: the squared distance
is the mean of the two streams' squared distances). Both are trained the same way: batch-hard
triplets (:mod:`reidlab.losses.metric`) over P x K batches of clips.

**Pooling frames.** A clip feature is a weighted mean of its frame features: the schemes are
the building block :mod:`reidlab.pooling`; this module trains and compares them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from reidlab.distances import pairwise_distances
from reidlab.evaluation import RankResult, evaluate_rank
from reidlab.experiments.triplets import metric_loss
from reidlab.models import EmbeddingNet
from reidlab.pooling import (
    QualityPooling,
    _check_features,
    pool_frames,
)
from reidlab.train import initial_weights, pk_sampler, train
from reidlab.worlds.walking import ClipSet, ToyVideo, corrupt


def _batch_hard(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return metric_loss("triplet, batch hard")(z, y)


def _train_batch_hard(
    model: nn.Module,
    embed: Callable[[nn.Module, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    pids: torch.Tensor,
    *,
    seed: int,
    steps: int,
    lr: float,
    p: int,
    k: int,
) -> None:
    """Train ``model`` in place: batch-hard triplets on the clip features ``embed(model, batch)``
    of P x K batches of clips (``p`` people, ``k`` clips each)."""
    train(
        model,
        lambda m, xb, yb: _batch_hard(embed(m, xb), yb),
        (x, pids),
        steps=steps,
        lr=lr,
        sampler=pk_sampler(pids, p, k),
        seed=seed,
    )


class ClipNet(nn.Module):
    """A frame network and a pooling module trained together: clips ``(B, T, 3, H, W)`` ->
    unit-length clip features ``(B, D)``. ``pooling`` maps frame features ``(B, T, D)`` to
    ``(B, D)`` (e.g. :class:`QualityPooling` or :class:`ContextPooling`); ``None``: the mean."""

    def __init__(self, net: EmbeddingNet, pooling: nn.Module | None = None) -> None:
        super().__init__()
        self.net, self.pooling = net, pooling

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        if self.pooling is None:
            return _clip_embedding(self.net, clips)
        frames = self.net(clips.flatten(0, 1))  # (N T, C, H, W) -> (N T, D)
        return self.pooling(frames.view(*clips.shape[:2], -1))  # (N, T, D) -> (N, D)


def train_spatial(
    clips: torch.Tensor,
    pids: torch.Tensor,
    seed: int = 0,
    steps: int = 300,
    p: int = 16,
    k: int = 2,
    frames: int = 4,
    pooling: nn.Module | None = None,
) -> EmbeddingNet:
    """The spatial stream: a fresh :class:`EmbeddingNet` trained on clips ``(N, T, 3, H, W)``;
    each step takes ``p`` people, ``k`` clips each, and ``frames`` random frames of every clip
    (the same positions for the whole batch), and applies batch-hard triplets to the pooled
    frame features: their mean, or ``pooling`` (trained along, in place)."""
    with initial_weights(seed):
        net = EmbeddingNet(dim=64, height=clips.shape[3], width=clips.shape[4])
    model = ClipNet(net, pooling)
    g = torch.Generator().manual_seed(seed)

    def some_frames(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
        pick = torch.randperm(x.shape[1], generator=g)[:frames]
        if pooling is not None:  # in time order, for a pooling that reads the frames in order
            pick = pick.sort().values
        return m(x[:, pick])

    _train_batch_hard(model, some_frames, clips, pids, seed=seed, steps=steps, lr=3e-3, p=p, k=k)
    if pooling is not None:
        pooling.eval()
    return net.eval()


def half_size(clips: torch.Tensor) -> torch.Tensor:
    """Clips ``(N, T, C, H, W)`` at half the height and width (means of 2 x 2 pixels)."""
    if clips.ndim != 5 or clips.shape[-1] % 2 or clips.shape[-2] % 2:
        raise ValueError(f"clips must be (N, T, C, H, W) with even H and W, got {tuple(clips.shape)}")
    small = F.avg_pool2d(clips.flatten(0, 1), 2)  # (N T, C, H/2, W/2)
    return small.view(*clips.shape[:3], *small.shape[-2:])  # (N, T, C, H/2, W/2)


def motion_input(flows: torch.Tensor, window: int = 3) -> torch.Tensor:
    """Flows ``(N, T - 1, 2, H, W)`` as overlapping windows of ``window`` consecutive flow fields
    stacked as channels: ``(N, T - window, 2 window, H, W)``. A window sees how the motion
    changes over a few frames; averaging over windows makes the clip feature the same wherever
    in its step cycle the clip starts."""
    if flows.ndim != 5 or flows.shape[2] != 2:
        raise ValueError(f"flows must be (N, T - 1, 2, H, W), got {tuple(flows.shape)}")
    if not 1 <= window <= flows.shape[1]:
        raise ValueError(f"window must be between 1 and T - 1 = {flows.shape[1]}, got {window}")
    windows = flows.unfold(1, window, 1)  # (N, W, 2, H, W, window)
    return windows.permute(0, 1, 5, 2, 3, 4).flatten(
        2, 3
    )  # (N, W, window, 2, H, W) -> (N, W, 2 window, H, W)


def _clip_embedding(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Mean over the second axis of a network's outputs: ``(N, S, C, H, W)`` -> ``(N, D)``."""
    z = net(x.flatten(0, 1)).view(x.shape[0], x.shape[1], -1)  # (N S, C, H, W) -> (N, S, D)
    return F.normalize(z.mean(dim=1), dim=1)  # (N, D)


def train_motion(
    flows: torch.Tensor,
    pids: torch.Tensor,
    seed: int = 0,
    steps: int = 300,
    p: int = 16,
    k: int = 2,
    window: int = 3,
) -> EmbeddingNet:
    """The motion stream: a fresh :class:`EmbeddingNet` on windows of stacked flow
    (:func:`motion_input`), the windows' features averaged per clip, trained with batch-hard
    triplets on P x K batches of clips."""
    x = motion_input(flows, window)
    with initial_weights(seed):
        net = EmbeddingNet(dim=64, height=x.shape[3], width=x.shape[4], in_channels=x.shape[2])
    _train_batch_hard(net, _clip_embedding, x, pids, seed=seed, steps=steps, lr=3e-3, p=p, k=k)
    return net.eval()


def train_quality(
    features: torch.Tensor, pids: torch.Tensor, seed: int = 0, steps: int = 200, p: int = 16, k: int = 2
) -> QualityPooling:
    """:class:`QualityPooling` on fixed frame features ``(N, T, D)`` (from a trained spatial
    stream, on clips with corrupted frames), trained with batch-hard triplets on the pooled
    clip features."""
    x = _check_features(features)
    with initial_weights(seed):
        model = QualityPooling(x.shape[2])
    _train_batch_hard(model, lambda m, xb: m(xb), x, pids, seed=seed, steps=steps, lr=1e-2, p=p, k=k)
    return model.eval()


@torch.no_grad()
def frame_features(net: nn.Module, clips: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Unit-length features of every frame: clips ``(N, T, 3, H, W)`` -> ``(N, T, D)``."""
    if clips.ndim != 5:
        raise ValueError(f"clips must be (N, T, C, H, W), got {tuple(clips.shape)}")
    net.eval()
    frames = clips.flatten(0, 1)  # (N T, 3, H, W)
    z = torch.cat([net(frames[i : i + batch_size]) for i in range(0, len(frames), batch_size)])
    return F.normalize(z, dim=1).view(*clips.shape[:2], -1)  # (N T, D) -> (N, T, D)


@torch.no_grad()
def motion_features(
    net: nn.Module, flows: torch.Tensor, window: int = 3, batch_size: int = 64
) -> torch.Tensor:
    """Unit-length motion features ``(N, D)`` of clips, from their flows ``(N, T - 1, 2, H, W)``."""
    net.eval()
    x = motion_input(flows, window)
    return torch.cat([_clip_embedding(net, x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def fuse(*features: torch.Tensor, weights: Sequence[float] | None = None) -> torch.Tensor:
    r"""Late fusion of unit-length features ``(N, D_i)``, one per stream: each scaled by
    :math:`\sqrt{w_i}` and concatenated, with weights :math:`w_i \ge 0` summing to 1 (``None``:
    equal weights). The result has unit length and its squared distances are the weighted means
    of the streams' squared distances, :math:`d^2 = \sum_i w_i d_i^2`."""
    if not features or any(f.ndim != 2 or f.shape[0] != features[0].shape[0] for f in features):
        raise ValueError("need one or more feature tensors (N, D_i) with the same number of clips")
    if weights is None:
        weights = [1.0] * len(features)
    w = torch.as_tensor(weights, dtype=torch.float64)
    if w.ndim != 1 or len(w) != len(features) or not torch.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be one non-negative number per stream, not all 0, got {weights!r}")
    w = (w / w.sum()).tolist()
    return torch.cat([wi**0.5 * F.normalize(f, dim=1) for wi, f in zip(w, features, strict=True)], dim=1)


def rank_clips(
    query: torch.Tensor,
    gallery: torch.Tensor,
    q_pids: torch.Tensor,
    g_pids: torch.Tensor,
    q_camids: torch.Tensor,
    g_camids: torch.Tensor,
    queries: torch.Tensor | None = None,
) -> RankResult:
    """CMC and mAP of clip features under the Market-1501 protocol; ``queries`` (a boolean mask
    or indices) keeps only some queries, against the whole gallery."""
    d = pairwise_distances(query, gallery)  # (Q, G), exact: as every evaluation of the book
    keep = torch.arange(len(query)) if queries is None else queries
    return evaluate_rank(d[keep], q_pids[keep], g_pids, q_camids[keep], g_camids, max_rank=10)


def query_subsets(world: ToyVideo) -> dict[str, torch.Tensor]:
    """Boolean masks over ``world.query``: every query; the queries whose person has a look-alike
    (who walks differently); the queries whose person has a walk-alike (who looks different)."""
    people = world.test_walkers
    look_alikes = {p for pair in people.look_alikes for p in pair}
    walk_alikes = {p for pair in people.walk_alikes for p in pair}
    pids = world.query.pids.tolist()
    return {
        "all": torch.ones(len(pids), dtype=torch.bool),
        "look-alikes": torch.tensor([p in look_alikes for p in pids]),
        "walk-alikes": torch.tensor([p in walk_alikes for p in pids]),
    }


def score_streams(
    streams: dict[str, tuple[torch.Tensor, torch.Tensor]], world: ToyVideo, query: ClipSet, gallery: ClipSet
) -> torch.Tensor:
    """Rank-1 and mAP ``(streams, subsets, 2)`` of each stream's ``(query, gallery)`` clip
    features on each of :func:`query_subsets`."""
    masks = query_subsets(world)
    return torch.tensor(
        [
            [
                [
                    (r := rank_clips(q, g, query.pids, gallery.pids, query.camids, gallery.camids, m)).cmc[0],
                    r.mAP,
                ]
                for m in masks.values()
            ]
            for q, g in streams.values()
        ]
    )


def fusion_curve(
    spatial: tuple[torch.Tensor, torch.Tensor],
    motion: tuple[torch.Tensor, torch.Tensor],
    alphas: Sequence[float],
    world: ToyVideo,
    query: ClipSet,
    gallery: ClipSet,
) -> torch.Tensor:
    r"""Rank-1 and mAP ``(alphas, subsets, 2)`` of the fused features
    :math:`d^2 = (1 - \alpha)\, d_\text{spatial}^2 + \alpha\, d_\text{motion}^2` for each
    :math:`\alpha` of ``alphas`` (in [0, 1]; 0: the spatial stream alone, 1: motion alone, 0.5:
    :func:`fuse` with equal weights), from each stream's ``(query, gallery)`` clip features, on
    each of :func:`query_subsets`."""
    if not alphas or any(not 0 <= a <= 1 for a in alphas):
        raise ValueError(f"alphas must be numbers in [0, 1], got {alphas!r}")
    streams = {
        i: tuple(fuse(s, m, weights=[1 - a, a]) for s, m in zip(spatial, motion, strict=True))
        for i, a in enumerate(alphas)
    }
    return score_streams(streams, world, query, gallery)


def rank1_hits(
    streams: dict[str, tuple[torch.Tensor, torch.Tensor]], query: ClipSet, gallery: ClipSet
) -> torch.Tensor:
    """Which queries each stream gets right at rank 1: ``(streams, queries)`` booleans, from each
    stream's ``(query, gallery)`` clip features (the same ranking as :func:`score_streams`)."""
    return torch.stack(
        [
            rank_clips(q, g, query.pids, gallery.pids, query.camids, gallery.camids).first_match == 0
            for q, g in streams.values()
        ]
    )


def closer_than_partner(
    query_features: torch.Tensor,
    gallery_features: torch.Tensor,
    query: ClipSet,
    gallery: ClipSet,
    pairs: list[tuple[int, int]],
) -> torch.Tensor:
    """For every query whose person is in one of ``pairs`` (e.g. ``world.test_walkers.walk_alikes``):
    is the person's nearest gallery clip nearer than the partner's nearest gallery clip? One
    boolean per such query, in query order. A feature that sees only what the two share (the
    gait, for walk-alikes) cannot tell them apart: about half the answers are ``True``."""
    if any(len(pair) != 2 or pair[0] == pair[1] for pair in pairs):
        raise ValueError(f"pairs must hold pairs of two different people, got {pairs!r}")
    partner = {a: b for pair in pairs for a, b in (tuple(pair), tuple(pair)[::-1])}
    d = pairwise_distances(query_features, gallery_features)  # (Q, G)
    out = []
    for i, pid in enumerate(query.pids.tolist()):
        if pid not in partner:
            continue
        own, other = gallery.pids == pid, gallery.pids == partner[pid]
        if not own.any() or not other.any():
            raise ValueError(f"person {pid} or their partner has no clip in the gallery")
        out.append(bool(d[i, own].min() < d[i, other].min()))
    return torch.tensor(out, dtype=torch.bool)


def _refresh(
    net: nn.Module,
    clean: torch.Tensor,
    clips: ClipSet,
    size: Callable[[torch.Tensor], torch.Tensor] = lambda clips: clips,
) -> torch.Tensor:
    """The frame features of ``clips`` (``size``d for ``net``) from those of the same clips
    uncorrupted, ``clean`` ``(N, T, D)``: only the corrupted frames go through ``net`` again
    (each frame's feature depends on that frame alone)."""
    features = clean.clone()
    hit = clips.corrupted
    if hit.any():
        features[hit] = frame_features(net, size(clips.clips[hit][:, None]))[:, 0]
    return features


#: The frame-weighting schemes of the experiment: keyword arguments of :func:`pool_frames`.
#: The far-first weights are taken once, from the plain mean, as the exponential loss weighs a
#: point by its current error; iterated, they chase the outliers and swing back.
SCHEMES: dict[str, dict[str, str | int]] = {
    "mean": {"pooling": "mean"},
    "close-first": {"pooling": "close-first"},
    "close-first, one step": {"pooling": "close-first", "iterations": 1},
    "far-first": {"pooling": "far-first", "iterations": 1},
    "median (L1)": {"pooling": "median"},
}


@torch.no_grad()
def weighting_curves(
    net: nn.Module,
    quality: nn.Module,
    world: ToyVideo,
    corrupted: tuple[int, ...],
    seed: int = 0,
    learned: str = "quality",
    half: bool = False,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """For each number ``k`` in ``corrupted``: corrupt ``k`` frames of every test clip (query and
    gallery, from ``seed``), pool the frame features of ``net`` with each of :data:`SCHEMES`
    and with the learned pooling ``quality`` (:class:`QualityPooling` or :class:`ContextPooling`,
    reported as ``learned``), and score. With ``half``, ``net`` sees the clips at half size
    (:func:`half_size`, after the corruption). Returns ``{scheme: (len(corrupted), 2)}`` of
    rank-1 and mAP, and ``{scheme: (len(corrupted),)}``: the mean share of a clip's weight on its
    corrupted frames."""
    scores: dict[str, list[list[float]]] = {name: [] for name in [*SCHEMES, learned]}
    shares: dict[str, list[float]] = {name: [] for name in scores}
    size = half_size if half else (lambda clips: clips)
    clean = {
        "query": frame_features(net, size(world.query.clips)),
        "gallery": frame_features(net, size(world.gallery.clips)),
    }
    for k in corrupted:
        g = torch.Generator().manual_seed(seed * 1000 + k)
        query = corrupt(world.query, world.cameras, g, n_frames=k)
        gallery = corrupt(world.gallery, world.cameras, g, n_frames=k)
        fq, fg = (
            _refresh(net, clean[name], split, size)
            for name, split in (("query", query), ("gallery", gallery))
        )
        for name in scores:
            if name == learned:
                (zq, wq), zg = (quality(fq), quality.weights(fq)), quality(fg)
            else:
                (zq, wq), (zg, _) = pool_frames(fq, **SCHEMES[name]), pool_frames(fg, **SCHEMES[name])
            r = rank_clips(zq, zg, query.pids, gallery.pids, query.camids, gallery.camids)
            scores[name].append([float(r.cmc[0]), r.mAP])
            shares[name].append(float((wq * query.corrupted).sum(dim=1).mean()))
    return {n: torch.tensor(v) for n, v in scores.items()}, {n: torch.tensor(v) for n, v in shares.items()}
