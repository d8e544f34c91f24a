"""reidlab.search: exact search equals brute force; FAISS's exact indexes agree with it (flat,
IVF visiting every cell, binary against the book's Hamming distances); approximate ones find
most first neighbours; recall@1 counts what it says."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reidlab.hashing import hamming_distances, pack_bits, random_hyperplanes
from reidlab.search import (
    binary_index,
    binary_search,
    build_index,
    exact_search,
    recall_at_1,
    synthetic_embeddings,
)


@pytest.fixture(scope="module")
def data() -> tuple[torch.Tensor, torch.Tensor]:
    e = synthetic_embeddings(2000, 100, dim=32, seed=0)
    return e.queries, e.gallery


def test_synthetic_embeddings_are_unit_clustered_and_seeded() -> None:
    e = synthetic_embeddings(400, 30, dim=16, per_id=40, seed=3)
    assert e.gallery.shape == (400, 16) and e.queries.shape == (30, 16) and e.gallery.dtype == torch.float32
    torch.testing.assert_close(e.gallery.norm(dim=1), torch.ones(400))
    assert set(e.query_ids.tolist()) <= set(range(10)) and set(e.gallery_ids.tolist()) <= set(range(10))
    same = e.query_ids[:, None] == e.gallery_ids[None, :]
    cos = e.queries @ e.gallery.T
    assert cos[same].mean() > 0.8 > 0.2 > cos[~same].mean().abs()
    again = synthetic_embeddings(400, 30, dim=16, per_id=40, seed=3)
    assert torch.equal(e.gallery, again.gallery) and torch.equal(e.queries, again.queries)


def test_exact_search_is_brute_force(data) -> None:
    q, g = data
    brute = torch.cdist(q.double(), g.double()).argsort(dim=1)[:, :5]
    assert torch.equal(exact_search(q, g, k=5, chunk=7), brute)


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_exact_faiss_indexes_agree_with_exact_search(data, kind) -> None:
    q, g = data
    index = build_index(g, kind, nlist=16, nprobe=16)  # every cell visited: exact
    assert torch.equal(index.search(q, k=3), exact_search(q, g, k=3))


def test_approximate_indexes_find_most_first_neighbours(data) -> None:
    q, g = data
    exact = exact_search(q, g)
    for index in (build_index(g, "ivf", nlist=32, nprobe=4), build_index(g, "hnsw", hnsw_m=16)):
        assert recall_at_1(index.search(q), exact) >= 0.8, index.kind


def test_binary_index_ranks_by_the_books_hamming_distance() -> None:
    g = torch.Generator().manual_seed(0)
    planes = random_hyperplanes(16, 96, seed=1)
    codes_g, codes_q = (pack_bits(torch.randn(n, 16, generator=g) @ planes) for n in (300, 20))
    d, found = binary_search(binary_index(codes_g), codes_q, k=300)
    ours = hamming_distances(codes_q, codes_g)
    assert torch.equal(d, ours.sort(dim=1).values)
    assert torch.equal(ours.gather(1, found), d)  # the rows it names are that far


def test_recall_at_1_counts_matching_first_results() -> None:
    exact = torch.tensor([[1, 2], [3, 4], [5, 6], [7, 8]])
    found = torch.tensor([[1, 9], [4, 3], [5, 0], [0, 7]])
    assert recall_at_1(found, exact) == 0.5


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: synthetic_embeddings(0), ValueError, "sizes must be positive"),
        (lambda: synthetic_embeddings(10, per_id=0), ValueError, "sizes must be positive"),
        (lambda: exact_search(torch.zeros(2, 3), torch.zeros(4, 2)), ValueError, "of one D"),
        (lambda: exact_search(torch.zeros(2, 3), torch.zeros(4, 3), k=5), ValueError, "k must lie in 1..4"),
        (lambda: build_index(torch.zeros(0, 3), "flat"), ValueError, "non-empty"),
        (lambda: build_index(torch.zeros(4, 3), "lsh"), ValueError, "kind must be"),
        (lambda: binary_index(np.zeros((3, 2), dtype=np.int64)), TypeError, "packed codes"),
        (lambda: recall_at_1(torch.zeros(0, 1), torch.zeros(0, 1)), ValueError, "one Q > 0"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
