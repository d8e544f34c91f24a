"""Write ``rerank_reference.json``: fast-reid's k-reciprocal re-ranking on random features, for
``tests/test_reranking.py`` to check ``reidlab.reranking.re_rank`` against an implementation the
field uses (fast-reid's ``fastreid/evaluation/rerank.py``, itself based on the authors' code,
github.com/zhunzhong07/person-re-ranking).

fast-reid is not installed beside the book's torch (fastreid 1.4.0 on PyPI pins torch 1.13.1), and
its ``rerank.py`` needs only NumPy, so this script loads that one file from the wheel, without
fast-reid's package imports::

    pip download fastreid==1.4.0 --no-deps -d /tmp/fastreid && cd /tmp/fastreid && unzip -o *.whl
    cd code/tests/data && python make_rerank_reference.py /tmp/fastreid/fastreid/evaluation/rerank.py

Nothing of fast-reid is copied into the book: the JSON holds its outputs only. Each case is
features drawn from a seeded NumPy generator (stored, so the test does not depend on the
generator), the parameters, and fast-reid's re-ranked ``(Nq, Ng)`` distances. fast-reid takes
Euclidean distances (it squares them), computes in float32 and sorts with NumPy's default sort;
the features are continuous random draws, so no two distances tie and the sort order is the same.
The output is deterministic (the same file on every run).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("rerank_reference.json")
#: (seed, n_query, n_gallery, dim, k1, k2, lambda): the paper's defaults, small k, no query
#: expansion (k2 = 1), lambda 0 (Jaccard only) and a single query.
CASES = [
    (0, 10, 60, 8, 20, 6, 0.3),
    (1, 6, 30, 4, 6, 3, 0.3),
    (2, 12, 80, 4, 20, 1, 0.5),
    (3, 1, 12, 2, 4, 2, 0.0),
    (4, 20, 40, 8, 10, 6, 0.3),
]


def euclidean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def main(rerank_py: str) -> None:
    spec = importlib.util.spec_from_file_location("fastreid_rerank", rerank_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = []
    for seed, n_q, n_g, dim, k1, k2, lam in CASES:
        rng = np.random.default_rng(seed)
        q, g = rng.standard_normal((n_q, dim)), rng.standard_normal((n_g, dim))
        out = module.re_ranking(euclidean(q, g), euclidean(q, q), euclidean(g, g), k1, k2, lam)
        cases.append(
            {
                "k1": k1,
                "k2": k2,
                "lam": lam,
                "query": q.tolist(),
                "gallery": g.tolist(),
                "fastreid": np.asarray(out, dtype=np.float64).tolist(),
            }
        )
    source = "fastreid 1.4.0, fastreid/evaluation/rerank.py"
    OUT.write_text(json.dumps({"source": source, "cases": cases}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main(sys.argv[1])
