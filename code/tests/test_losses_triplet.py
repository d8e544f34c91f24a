"""Triplet and quadruplet losses: against PyTorch's triplet_margin_loss, brute-force loops,
gradcheck, and bitwise-reproducible gradients."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from reidlab.losses.metric import batch_distances, quadruplet_loss, triplet_loss
from reidlab.miners import all_triplets, batch_hard_quadruplets, batch_hard_triplets, semi_hard_triplets


def embeddings(seed: int, n: int = 12, dim: int = 5) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_batch_distances_equal_cdist_with_an_exact_zero_diagonal() -> None:
    x = embeddings(0, 20, 7)
    d = batch_distances(x)
    torch.testing.assert_close(d, torch.cdist(x, x), atol=1e-12, rtol=1e-10)
    assert (d.diagonal() == 0).all()
    dup = torch.cat([x[:3], x[:3]]).requires_grad_()
    weights = torch.rand(6, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    weights.fill_diagonal_(0)  # a loss never looks at the diagonal: its gradient there is 0
    (batch_distances(dup) * weights).sum().backward()
    assert torch.isfinite(dup.grad).all()  # duplicates and the diagonal pass no infinite slope


@pytest.mark.parametrize("margin", [0.2, 1.0, 5.0])
def test_explicit_triplets_equal_torch_triplet_margin_loss(margin: float) -> None:
    g = torch.Generator().manual_seed(1)
    a, p, n = (torch.randn(30, 8, generator=g, dtype=torch.float64) for _ in range(3))
    t = torch.arange(30)
    ours = triplet_loss(batch_distances(torch.cat([a, p, n])), (t, t + 30, t + 60), margin)
    theirs = F.triplet_margin_loss(a, p, n, margin=margin, p=2, eps=0.0)
    torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=1e-10)


def brute(dist: torch.Tensor, labels: torch.Tensor, margin: float) -> list[float]:
    """The loss of every valid triplet, by a plain loop."""
    out = []
    for a, p, n in itertools.product(range(len(labels)), repeat=3):
        if p != a and labels[p] == labels[a] and labels[n] != labels[a]:
            out.append(max(0.0, dist[a, p].item() - dist[a, n].item() + margin))
    return out


@pytest.mark.parametrize("sizes", [[3, 2, 4], [1, 3, 2, 2], [2, 2, 2, 2, 2]])
def test_batch_all_equals_a_loop_over_every_triplet(sizes: list[int]) -> None:
    labels = torch.cat([torch.full((k,), i) for i, k in enumerate(sizes)])
    d = batch_distances(embeddings(2, len(labels)))
    losses = brute(d, labels, 1.0)
    active = [x for x in losses if x > 0]
    trip = all_triplets(labels)
    assert triplet_loss(d, trip, 1.0, reduction="mean_active").item() == pytest.approx(
        sum(active) / len(active)
    )
    assert triplet_loss(d, trip, 1.0, reduction="mean").item() == pytest.approx(sum(losses) / len(losses))
    assert triplet_loss(d, trip, 1.0, reduction="sum").item() == pytest.approx(sum(losses))
    soft = triplet_loss(d, trip, soft=True, reduction="none")
    expected = [torch.nn.functional.softplus(d[a, p] - d[a, n]).item() for a, p, n in zip(*trip, strict=True)]
    torch.testing.assert_close(soft, torch.tensor(expected, dtype=torch.float64))


def test_batch_hard_and_semi_hard_losses_equal_loops() -> None:
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 3])
    d = batch_distances(embeddings(3, len(labels)))
    a, p, n = batch_hard_triplets(d, labels)
    per_anchor = [max(0.0, d[x, y].item() - d[x, z].item() + 0.3) for x, y, z in zip(a, p, n, strict=True)]
    assert triplet_loss(d, (a, p, n), 0.3).item() == pytest.approx(sum(per_anchor) / len(per_anchor))
    semi = semi_hard_triplets(d, labels, margin=2.0)
    assert (triplet_loss(d, semi, 2.0, reduction="none") > 0).all()  # semi-hard: always active


def test_quadruplet_loss_equals_its_formula() -> None:
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3])
    d = batch_distances(embeddings(4, len(labels)))
    quads = batch_hard_quadruplets(d, labels)
    expected = [
        max(0.0, d[a, p].item() - d[a, n].item() + 0.4) + max(0.0, d[a, p].item() - d[i, j].item() + 0.2)
        for a, p, n, i, j in zip(*quads, strict=True)
    ]
    assert quadruplet_loss(d, quads, 0.4, 0.2).item() == pytest.approx(sum(expected) / len(expected))
    with pytest.raises(ValueError, match="margin2 <= margin"):
        quadruplet_loss(d, quads, 0.2, 0.4)


def test_gradients_pass_gradcheck() -> None:
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2])
    x = (3 * embeddings(5, len(labels), 3)).requires_grad_()
    trip = all_triplets(labels)
    quads = batch_hard_quadruplets(batch_distances(x.detach()), labels)
    assert torch.autograd.gradcheck(lambda e: triplet_loss(batch_distances(e), trip, 1.0), (x,))
    assert torch.autograd.gradcheck(lambda e: triplet_loss(batch_distances(e), trip, soft=True), (x,))
    assert torch.autograd.gradcheck(lambda e: quadruplet_loss(batch_distances(e), quads, 1.0, 0.5), (x,))


def test_gradients_are_bitwise_reproducible() -> None:
    """Batch-all gathers the same (anchor, positive) many times; the gradient must still be
    the same to the last bit on every run (the Siamese chapter's lesson)."""
    labels = torch.arange(16).repeat_interleave(4)
    x = torch.randn(64, 32, generator=torch.Generator().manual_seed(6)).requires_grad_()
    trip = all_triplets(labels)

    def grad() -> torch.Tensor:
        x.grad = None
        triplet_loss(batch_distances(x), trip, 0.5, reduction="mean_active").backward()
        return x.grad.clone()

    first = grad()
    assert all(torch.equal(first, grad()) for _ in range(10))


def test_bad_input_is_named() -> None:
    d = batch_distances(embeddings(7, 6))
    idx = torch.arange(3)
    with pytest.raises(ValueError, match="triplets is empty"):
        triplet_loss(d, (idx[:0], idx[:0], idx[:0]))
    with pytest.raises(ValueError, match="must have one length"):
        triplet_loss(d, (idx, idx, idx[:2]))
    with pytest.raises(ValueError, match="3 1-D index tensors"):
        triplet_loss(d, (idx, idx))
    with pytest.raises(ValueError, match="square"):
        triplet_loss(d[:, :4], (idx, idx, idx))
    with pytest.raises(ValueError, match="margin must be positive"):
        triplet_loss(d, (idx, idx, idx), margin=0.0)
    with pytest.raises(ValueError, match="embeddings must be 2-D"):
        batch_distances(torch.rand(3))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_hard_equals_pytorch_metric_learning(seed: int) -> None:
    """The same loss and gradients as pytorch-metric-learning's TripletMarginLoss with its
    BatchHardMiner, pinned to the textbook loss: no normalisation, mean over anchors."""
    from pytorch_metric_learning.distances import LpDistance
    from pytorch_metric_learning.losses import TripletMarginLoss
    from pytorch_metric_learning.miners import BatchHardMiner
    from pytorch_metric_learning.reducers import MeanReducer

    labels = torch.arange(8).repeat_interleave(4)
    x = embeddings(seed, 32, 16).requires_grad_()
    d = batch_distances(x)
    ours = triplet_loss(d, batch_hard_triplets(d, labels), 0.3)
    (grad_ours,) = torch.autograd.grad(ours, x)
    distance = LpDistance(normalize_embeddings=False, p=2, power=1)
    theirs = TripletMarginLoss(margin=0.3, distance=distance, reducer=MeanReducer())(
        x, labels, BatchHardMiner(distance=distance)(x, labels)
    )
    (grad_theirs,) = torch.autograd.grad(theirs, x)
    torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(grad_ours, grad_theirs, atol=1e-10, rtol=1e-8)
