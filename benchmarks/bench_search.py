"""Search at gallery scale: how the cost of finding a query's nearest gallery images grows from
10,000 to 1,000,000 embeddings, exact (the book's distances) and with FAISS's indexes.

Market-1501 comes with 500,000 extra distractors; a real gallery is that large. Synthetic unit
embeddings of people (:func:`reidlab.search.synthetic_embeddings`, 128 numbers, 20 images per
person, noise 1.5 times a person's centre) stand in for a trained network's, and 1,000 queries
are searched. Reported per gallery size and method: the time to build the index, queries per
second, recall@1 against the exact search (the share of queries whose first result is the exact
first), the share whose first result shows the query's person (what ReID's rank-1 counts), and
bytes per gallery image. IVF appears twice: the same index visiting 8 and then 64 of its cells,
speed traded for recall. Everything on one thread (the book's setting). ``binary`` searches
64-bit hash codes (random hyperplanes, chapter *Triplet and quadruplet losses*) with FAISS's
binary index and with the book's :func:`reidlab.hashing.hamming_distances`, checked to agree; its
recall@1 is against the exact float search, so it shows what 8 bytes per image cost in accuracy.

HNSW's build grows fastest (its time is in the table), so it stops at 100,000.
``BENCH_SEARCH_MAX=100000`` limits the sizes.
"""

from __future__ import annotations

import os
import time

import numpy as np
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

SIZES = (10_000, 100_000, 1_000_000)
QUERIES = 1000
HNSW_MAX = 100_000
#: Noise 1.5 times a person's centre: exact search's rank-1 is below 1 at 10,000 and falls as the
#: gallery grows (more people to confuse), as distractors make it fall on real galleries.
SPREAD = 1.5


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def book_hamming_top1(codes_q: np.ndarray, codes_g: np.ndarray, chunk: int = 50) -> torch.Tensor:
    return torch.cat(
        [
            hamming_distances(codes_q[i : i + chunk], codes_g).argmin(dim=1)
            for i in range(0, len(codes_q), chunk)
        ]
    )[:, None]


def main() -> None:
    limit = int(os.environ.get("BENCH_SEARCH_MAX", SIZES[-1]))
    print(
        f"{'gallery':>9} {'method':<18} {'build s':>8} {'queries/s':>10} {'recall@1':>9} "
        f"{'same id@1':>11} {'bytes/image':>11}"
    )
    for n in [s for s in SIZES if s <= limit]:
        data = synthetic_embeddings(n, QUERIES, spread=SPREAD, seed=0)
        q, g = data.queries, data.gallery

        def same_person(found: torch.Tensor, data=data) -> float:
            return (data.gallery_ids[found[:, 0]] == data.query_ids).double().mean().item()

        exact, t_exact = timed(exact_search, q, g, chunk=64)
        rows = [("exact (book)", 0.0, t_exact, exact, 4 * g.shape[1])]
        for kind in ["flat", "ivf"] + (["hnsw"] if n <= HNSW_MAX else []):
            index, t_build = timed(build_index, g, kind)
            found, t_search = timed(index.search, q)
            rows.append((f"faiss {kind}", t_build, t_search, found, 4 * g.shape[1]))
            if kind == "ivf":  # the same index, visiting 8 times more cells: recall for speed
                index.index.nprobe = 8 * index.index.nprobe
                found, t_search = timed(index.search, q)
                rows.append((f"faiss ivf x{index.index.nprobe}", 0.0, t_search, found, 4 * g.shape[1]))
        planes = random_hyperplanes(g.shape[1], 64, seed=0)
        codes_g, codes_q = pack_bits(g @ planes), pack_bits(q @ planes)
        index, t_build = timed(binary_index, codes_g)
        (d, found), t_search = timed(binary_search, index, codes_q)
        ours, t_ours = timed(book_hamming_top1, codes_q, codes_g)
        same_distance = torch.equal(hamming_distances(codes_q[:20], codes_g).gather(1, ours[:20]), d[:20])
        rows.append(("faiss binary", t_build, t_search, found, 8))
        rows.append(("hamming (book)", 0.0, t_ours, ours, 8))
        for name, build, search, found, size in rows:
            print(
                f"{n:>9,} {name:<18} {build:>8.2f} {QUERIES / search:>10,.0f} "
                f"{recall_at_1(found, exact):>9.3f} {same_person(found):>11.3f} {size:>11}"
            )
        speed = {name: QUERIES / search for name, _, search, _, _ in rows}
        print(
            f"{'':>9} ratios: faiss flat / exact {speed['faiss flat'] / speed['exact (book)']:.2f}x, "
            f"faiss ivf / exact {speed['faiss ivf'] / speed['exact (book)']:.1f}x, "
            f"faiss binary / book hamming {speed['faiss binary'] / speed['hamming (book)']:.1f}x; "
            f"binary's first results as far as the book's: {same_distance}"
        )


if __name__ == "__main__":
    import reidlab  # noqa: F401  (first: one thread, see reidlab.cpu)

    main()
