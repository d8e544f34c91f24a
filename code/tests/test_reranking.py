"""reidlab.reranking: equal to fast-reid's implementation (its outputs on random features, recorded
by ``data/make_rerank_reference.py``) and to a loop-by-loop NumPy transcription of the authors'
algorithm (Zhong et al. 2017, the published Python version: inverted index and all) on random
features of any size hypothesis draws."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab import reranking
from reidlab.evaluation import evaluate_rank, re_rank  # re-ranking is part of evaluation's API


def reference(q: np.ndarray, g: np.ndarray, k1: int, k2: int, lam: float) -> np.ndarray:
    """The algorithm step by step, with loops and an inverted index, as its authors wrote it."""
    x = np.concatenate([q, g]).astype(np.float64)
    all_num, query_num = len(x), len(q)
    original = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    original = np.transpose(original / np.max(original, axis=0))
    V = np.zeros_like(original)
    initial_rank = np.argsort(original, kind="stable")
    for i in range(all_num):
        forward = initial_rank[i, : k1 + 1]
        backward = initial_rank[forward, : k1 + 1]
        k_reciprocal = forward[np.where(backward == i)[0]]
        expansion = k_reciprocal
        for candidate in k_reciprocal:
            half = int(np.around(k1 / 2.0))
            c_forward = initial_rank[candidate, : half + 1]
            c_backward = initial_rank[c_forward, : half + 1]
            c_reciprocal = c_forward[np.where(c_backward == candidate)[0]]
            if len(np.intersect1d(c_reciprocal, k_reciprocal)) > 2.0 / 3 * len(c_reciprocal):
                expansion = np.append(expansion, c_reciprocal)
        expansion = np.unique(expansion)
        weight = np.exp(-original[i, expansion])
        V[i, expansion] = weight / np.sum(weight)
    original = original[:query_num]
    if k2 != 1:
        V_qe = np.zeros_like(V)
        for i in range(all_num):
            V_qe[i] = np.mean(V[initial_rank[i, :k2]], axis=0)
        V = V_qe
    inv_index = [np.where(V[:, i] != 0)[0] for i in range(all_num)]
    jaccard = np.zeros_like(original)
    for i in range(query_num):
        temp_min = np.zeros(all_num)
        nonzero = np.where(V[i] != 0)[0]
        for j in nonzero:
            images = inv_index[j]
            temp_min[images] += np.minimum(V[i, j], V[images, j])
        jaccard[i] = 1 - temp_min / (2.0 - temp_min)
    final = jaccard * (1 - lam) + original * lam
    return final[:, query_num:]


FASTREID = json.loads((Path(__file__).parent / "data" / "rerank_reference.json").read_text())["cases"]


@pytest.mark.parametrize("case", FASTREID, ids=lambda c: f"k1={c['k1']},k2={c['k2']},lam={c['lam']}")
def test_equal_to_fastreid_on_random_features(case) -> None:
    """fast-reid computes in float32: agreement to 1e-5 (the distances lie in [0, 1])."""
    q, g = (torch.tensor(case[key], dtype=torch.float64) for key in ("query", "gallery"))
    ours = re_rank(q, g, k1=case["k1"], k2=case["k2"], lam=case["lam"])
    np.testing.assert_allclose(ours.numpy(), np.array(case["fastreid"]), rtol=0, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(
    n_q=st.integers(1, 12),
    n_g=st.integers(2, 40),
    dim=st.integers(1, 6),
    k1=st.integers(1, 12),
    k2=st.integers(1, 6),
    lam=st.sampled_from([0.0, 0.3, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_equal_to_the_reference_on_random_features(n_q, n_g, dim, k1, k2, lam, seed) -> None:
    k1, k2 = min(k1, n_q + n_g - 1), min(k2, n_q + n_g)
    gen = torch.Generator().manual_seed(seed)
    q, g = (
        torch.randn(n_q, dim, generator=gen, dtype=torch.float64),
        torch.randn(n_g, dim, generator=gen, dtype=torch.float64),
    )
    ours = re_rank(q, g, k1=k1, k2=k2, lam=lam)
    theirs = reference(q.numpy(), g.numpy(), k1, k2, lam)
    assert ours.shape == (n_q, n_g)
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-10, atol=1e-12)


def test_on_well_separated_people_every_query_finds_its_own_images_first() -> None:
    """Well-separated people: after re-ranking every query's own images still come first."""
    gen = torch.Generator().manual_seed(0)
    centres = torch.randn(10, 16, generator=gen) * 3
    ids = torch.arange(10).repeat_interleave(8)
    feats = centres[ids] + 0.5 * torch.randn(80, 16, generator=gen)
    q, g = feats[::8], torch.cat([feats[i * 8 + 1 : i * 8 + 8] for i in range(10)])
    q_ids, g_ids = ids[::8], torch.cat([ids[i * 8 + 1 : i * 8 + 8] for i in range(10)])
    d = re_rank(q, g, k1=6, k2=3)
    result = evaluate_rank(
        d, q_ids, g_ids, torch.zeros(10, dtype=torch.long), torch.ones(70, dtype=torch.long)
    )
    assert result.mAP == pytest.approx(1.0)


def test_evaluation_exports_the_re_ranking_of_its_own_module() -> None:
    assert re_rank is reranking.re_rank


def test_lambda_one_is_the_scaled_original_distance() -> None:
    q, g = torch.randn(3, 4, dtype=torch.float64), torch.randn(9, 4, dtype=torch.float64)
    x = torch.cat([q, g])
    sq = torch.cdist(x, x) ** 2
    scaled = (sq / sq.max(dim=0).values).T
    torch.testing.assert_close(re_rank(q, g, k1=3, k2=2, lam=1.0), scaled[:3, 3:])


@pytest.mark.parametrize(
    ("q", "g", "kw", "match"),
    [
        (torch.randn(0, 4), torch.randn(5, 4), {}, "query must be a non-empty"),
        (torch.randn(2, 4), torch.randn(5), {}, "gallery must be a non-empty"),
        (torch.full((2, 4), float("nan")), torch.randn(5, 4), {}, "query holds NaN"),
        (torch.randn(2, 4), torch.randn(5, 3), {}, "one dimension"),
        (torch.randn(2, 4), torch.randn(5, 4), {"k1": 7}, "k1 must lie in 1..6"),
        (torch.randn(2, 4), torch.randn(5, 4), {"k1": 3, "k2": 0}, "k2"),
        (torch.randn(2, 4), torch.randn(5, 4), {"k1": 3, "lam": 1.5}, "lam must lie in"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(q, g, kw, match) -> None:
    with pytest.raises(ValueError, match=match):
        re_rank(q, g, **kw)
