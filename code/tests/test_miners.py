"""reidlab.miners: every miner equals a brute-force loop over all index triples of the batch."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.miners import (
    all_pairs,
    all_triplets,
    batch_hard_quadruplets,
    batch_hard_triplets,
    semi_hard_triplets,
)


def batch(
    seed: int, sizes: list[int], dim: int = 4, levels: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random distances between len(sum(sizes)) items, ``sizes[k]`` of label k; ``levels``
    rounds the distances to few values, so that many are tied."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.cat([torch.full((n,), k) for k, n in enumerate(sizes)])
    x = torch.randn(len(labels), dim, generator=g, dtype=torch.float64)
    d = torch.cdist(x, x)
    if levels:
        d = (d * levels).round() / levels
        d.fill_diagonal_(0)
    return d, labels


def brute_triplets(labels: torch.Tensor) -> list[tuple[int, int, int]]:
    b = len(labels)
    return [
        (a, p, n)
        for a, p, n in itertools.product(range(b), repeat=3)
        if p != a and labels[p] == labels[a] and labels[n] != labels[a]
    ]


CASES = [([3, 2, 4], None), ([1, 3, 2, 1], None), ([2, 2, 2], 2), ([4, 4], 1), ([1, 1, 5], None)]


@pytest.mark.parametrize(("sizes", "levels"), CASES)
def test_all_triplets_and_pairs_match_brute_force(sizes, levels) -> None:
    _, labels = batch(0, sizes, levels=levels)
    a, p, n = all_triplets(labels)
    assert list(zip(a.tolist(), p.tolist(), n.tolist(), strict=True)) == brute_triplets(labels)
    i, j, same = all_pairs(labels)
    b = len(labels)
    brute = [(x, y, bool(labels[x] == labels[y])) for x in range(b) for y in range(x + 1, b)]
    assert list(zip(i.tolist(), j.tolist(), same.tolist(), strict=True)) == brute


@pytest.mark.parametrize(("sizes", "levels"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_batch_hard_matches_brute_force(sizes, levels, seed) -> None:
    d, labels = batch(seed, sizes, levels=levels)
    got = list(zip(*(t.tolist() for t in batch_hard_triplets(d, labels)), strict=True))
    expected = []
    for a in range(len(labels)):
        pos = [p for p in range(len(labels)) if p != a and labels[p] == labels[a]]
        neg = [n for n in range(len(labels)) if labels[n] != labels[a]]
        if pos and neg:  # the first of ties: max/min keep the earliest index
            hp = max(pos, key=lambda p: (d[a, p].item(), -p))
            hn = min(neg, key=lambda n: (d[a, n].item(), n))
            expected.append((a, hp, hn))
    assert got == expected


@pytest.mark.parametrize(("sizes", "levels"), CASES)
def test_semi_hard_matches_brute_force(sizes, levels) -> None:
    d, labels = batch(3, sizes, levels=levels)
    got = list(zip(*(t.tolist() for t in semi_hard_triplets(d, labels, margin=0.5)), strict=True))
    expected = [(a, p, n) for a, p, n in brute_triplets(labels) if d[a, p] < d[a, n] < d[a, p] + 0.5]
    assert got == expected


@pytest.mark.parametrize(("sizes", "levels"), [([3, 2, 4], None), ([2, 2, 2, 1], 2), ([1, 3, 2, 2], None)])
def test_batch_hard_quadruplets_match_brute_force(sizes, levels) -> None:
    d, labels = batch(5, sizes, levels=levels)
    a, p, n, i, j = (t.tolist() for t in batch_hard_quadruplets(d, labels))
    assert list(zip(a, p, n, strict=True)) == list(
        zip(*(t.tolist() for t in batch_hard_triplets(d, labels)), strict=True)
    )
    b = len(labels)
    for anchor, x, y in zip(a, i, j, strict=True):
        candidates = [
            (u, v)
            for u in range(b)
            for v in range(b)
            if labels[u] != labels[v] and labels[u] != labels[anchor] and labels[v] != labels[anchor]
        ]
        best = min(d[u, v].item() for u, v in candidates)
        assert d[x, y].item() == best and (x, y) == next(c for c in candidates if d[c].item() == best)


def test_all_distances_tied_picks_the_first_index() -> None:
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    d = torch.ones(6, 6, dtype=torch.float64)
    d.fill_diagonal_(0)
    a, p, n = batch_hard_triplets(d, labels)
    assert a.tolist() == list(range(6))
    assert p.tolist() == [1, 0, 3, 2, 5, 4] and n.tolist() == [2, 2, 0, 0, 0, 0]
    assert len(semi_hard_triplets(d, labels, margin=0.5)[0]) == 0  # ties are not "farther"


def test_an_identity_with_one_sample_is_never_an_anchor() -> None:
    d, labels = batch(1, [1, 3, 2])
    a, p, n = batch_hard_triplets(d, labels)
    assert 0 not in a.tolist() and 0 not in p.tolist() and 0 in n.tolist()


def test_impossible_batches_raise() -> None:
    one_person = torch.zeros(4, dtype=torch.long)
    all_different = torch.arange(4)
    d = torch.rand(4, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="no triplet"):
        all_triplets(one_person)
    with pytest.raises(ValueError, match="no triplet"):
        all_triplets(all_different)
    with pytest.raises(ValueError, match="no anchor has both"):
        batch_hard_triplets(d, one_person)
    with pytest.raises(ValueError, match="both pairs"):
        all_pairs(one_person)
    with pytest.raises(ValueError, match="two people besides"):
        batch_hard_quadruplets(torch.rand(4, 4, dtype=torch.float64), torch.tensor([0, 0, 1, 1]))
    with pytest.raises(ValueError, match=r"dist must be \(4, 4\)"):
        batch_hard_triplets(torch.rand(3, 3), all_different)
    with pytest.raises(TypeError, match="labels must be an integer tensor"):
        all_pairs(torch.rand(4))
    with pytest.raises(ValueError, match="margin must be positive"):
        semi_hard_triplets(d, torch.tensor([0, 0, 1, 1]), margin=0.0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), sizes=st.lists(st.integers(1, 4), min_size=2, max_size=5))
def test_property_batch_hard_is_the_hardest_of_all_triplets(seed, sizes) -> None:
    d, labels = batch(seed, sizes)
    if not any(s > 1 for s in sizes):
        return
    a, p, n = batch_hard_triplets(d, labels)
    ta, tp, tn = all_triplets(labels)
    for anchor, hp, hn in zip(a.tolist(), p.tolist(), n.tolist(), strict=True):
        mine = ta == anchor
        assert d[anchor, hp] == d[ta[mine], tp[mine]].max()
        assert d[anchor, hn] == d[ta[mine], tn[mine]].min()
