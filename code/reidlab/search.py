r"""Search at gallery scale: exact nearest neighbours, and FAISS's indexes that trade a little
recall for a lot of speed.

For the capstone chapter (from the toy world to Market-1501) and ``benchmarks/bench_search.py``.
Market-1501 comes with 500,000 extra distractor images: a query is then compared with half a
million gallery embeddings, and the exact search of the other chapters (a full ``(Q, G)``
distance matrix, :func:`reidlab.distances.pairwise_distances`) costs :math:`O(Q \cdot G \cdot D)`
time. Approximate indexes (Johnson, Douze and Jégou, *Billion-scale similarity search with
GPUs*, 2019: the FAISS library) look at a small part of the gallery per query:

* ``flat``: FAISS's exact search (inner product of unit vectors: the cosine); the reference;
* ``ivf``: an inverted file (Jégou et al.'s IVF): the gallery is split into ``nlist`` cells by
  k-means; a query visits the ``nprobe`` cells whose centres are nearest;
* ``hnsw``: a hierarchical navigable small-world graph (Malkov and Yashunin, 2018), walked
  greedily from a coarse layer down;
* ``binary``: exact Hamming search over packed hash codes (chapter *Triplet and quadruplet
  losses*): ``bits / 8`` bytes per image instead of ``4 D``.

**recall@1** of an index is the share of queries whose first result is the exact search's
first result. :func:`synthetic_embeddings` draws unit embeddings clustered by identity, queries among
them (a realistic shape: uniform random vectors have no near neighbours worth finding), so a
benchmark can grow the gallery to a million without training anything.

FAISS is imported only when an index is built (``pip install faiss-cpu``); it computes on
:func:`reidlab.cpu.book_threads` threads, like the rest of the book.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from reidlab.cpu import book_threads
from reidlab.distances import l2_normalize, pairwise_distances

IndexKind = Literal["flat", "ivf", "hnsw"]


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as e:  # pragma: no cover - the book's requirements install it
        raise ImportError("reidlab.search's indexes need FAISS: pip install faiss-cpu") from e
    faiss.omp_set_num_threads(book_threads())
    return faiss


@dataclass(frozen=True)
class Embeddings:
    """Query and gallery embeddings of synthetic people: rows of unit length, ids per row."""

    queries: torch.Tensor  # (Q, D)
    query_ids: torch.Tensor  # (Q,)
    gallery: torch.Tensor  # (G, D)
    gallery_ids: torch.Tensor  # (G,)


def synthetic_embeddings(
    n_gallery: int,
    n_queries: int = 500,
    dim: int = 128,
    per_id: int = 20,
    spread: float = 0.35,
    seed: int = 0,
) -> Embeddings:
    """Unit embeddings of ``n_gallery // per_id`` people (float32): each row is its person's
    centre plus Gaussian noise of ``spread`` per unit of length, normalised; the queries are
    further images of the same people."""
    if n_gallery < 1 or n_queries < 1 or dim < 1 or per_id < 1:
        raise ValueError(f"sizes must be positive, got {n_gallery=}, {n_queries=}, {dim=}, {per_id=}")
    n_ids = max(1, n_gallery // per_id)
    g = torch.Generator().manual_seed(seed)
    centres = l2_normalize(torch.randn(n_ids, dim, generator=g))

    def draw(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.randint(n_ids, (n,), generator=g)
        return l2_normalize(centres[ids] + torch.randn(n, dim, generator=g) * (spread / dim**0.5)), ids

    gallery, gallery_ids = draw(n_gallery)
    queries, query_ids = draw(n_queries)
    return Embeddings(queries, query_ids, gallery, gallery_ids)


def exact_search(queries: torch.Tensor, gallery: torch.Tensor, k: int = 1, chunk: int = 256) -> torch.Tensor:
    """The ``k`` nearest gallery rows of each query, by Euclidean distance (the book's
    :func:`~reidlab.distances.pairwise_distances`), a chunk of queries at a time: ``(Q, k)``."""
    if queries.ndim != 2 or gallery.ndim != 2 or queries.shape[1] != gallery.shape[1]:
        shapes = f"{tuple(queries.shape)} and {tuple(gallery.shape)}"
        raise ValueError(f"queries and gallery must be (Q, D) and (G, D) of one D, got {shapes}")
    if not 1 <= k <= len(gallery):
        raise ValueError(f"k must lie in 1..{len(gallery)}, got {k}")
    out = []
    for start in range(0, len(queries), chunk):
        d = pairwise_distances(queries[start : start + chunk], gallery, "sqeuclidean")  # (c, G)
        out.append(d.topk(k, dim=1, largest=False).indices)
    return torch.cat(out)


@dataclass
class Index:
    """A FAISS index over a gallery; :meth:`search` returns the ``k`` nearest rows per query."""

    kind: IndexKind
    index: Any

    def search(self, queries: torch.Tensor, k: int = 1) -> torch.Tensor:
        _, found = self.index.search(np.ascontiguousarray(queries.numpy(), dtype=np.float32), k)
        return torch.from_numpy(found)


def build_index(
    gallery: torch.Tensor,
    kind: IndexKind,
    *,
    nlist: int | None = None,
    nprobe: int = 8,
    hnsw_m: int = 32,
    ef_search: int = 64,
    seed: int = 0,
) -> Index:
    """A FAISS index of unit embeddings ``gallery (G, D)``: ``flat`` (exact inner product),
    ``ivf`` (``nlist`` cells, default :math:`4\\sqrt{G}` but at most :math:`G / 40`, so that
    k-means has 40 points per cell; ``nprobe`` visited) or ``hnsw``
    (``hnsw_m`` links per node, ``ef_search`` candidates kept while searching)."""
    faiss = _faiss()
    if gallery.ndim != 2 or len(gallery) == 0:
        raise ValueError(f"gallery must be a non-empty (G, D) tensor, got {tuple(gallery.shape)}")
    x = np.ascontiguousarray(gallery.numpy(), dtype=np.float32)
    dim = x.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "ivf":
        nlist = nlist or max(1, min(int(4 * len(x) ** 0.5), len(x) // 40))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        sample = np.random.default_rng(seed).permutation(len(x))[: 40 * nlist]  # k-means on a sample
        index.train(x[sample])
        index.nprobe = nprobe
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = ef_search
    else:
        raise ValueError(f"kind must be 'flat', 'ivf' or 'hnsw', got {kind!r}")
    index.add(x)
    return Index(kind, index)


def binary_index(codes: np.ndarray) -> Any:
    """FAISS's exact Hamming index over packed codes ``(G, W)`` uint64 (from
    :func:`reidlab.hashing.pack_bits`); ``search`` takes codes of the same shape."""
    faiss = _faiss()
    if not isinstance(codes, np.ndarray) or codes.dtype != np.uint64 or codes.ndim != 2:
        raise TypeError("codes must be packed codes, a 2-D uint64 array from reidlab.hashing.pack_bits")
    index = faiss.IndexBinaryFlat(64 * codes.shape[1])
    index.add(np.ascontiguousarray(codes).view(np.uint8))
    return index


def binary_search(index: Any, codes: np.ndarray, k: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Hamming distances and rows ``(Q, k)`` of the ``k`` nearest codes to each query code."""
    d, found = index.search(np.ascontiguousarray(codes).view(np.uint8), k)
    return torch.from_numpy(d).float(), torch.from_numpy(found)


def recall_at_1(found: torch.Tensor, exact: torch.Tensor) -> float:
    """Share of queries whose first result ``found[:, 0]`` is the exact first ``exact[:, 0]``."""
    if found.ndim != 2 or exact.ndim != 2 or len(found) != len(exact) or len(found) == 0:
        raise ValueError(
            f"found and exact must be (Q, k) of one Q > 0, got {tuple(found.shape)}, {tuple(exact.shape)}"
        )
    return (found[:, 0] == exact[:, 0]).double().mean().item()
