"""reidlab.distances against PyTorch's own functions, float64 brute force, and identities."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from reidlab.distances import (
    cosine_distance,
    cosine_similarity,
    euclidean,
    l2_normalize,
    pairwise_distances,
    squared_euclidean,
)


def brute_force(x: torch.Tensor, y: torch.Tensor, metric: str) -> torch.Tensor:
    """Every pair by the definition, in float64: the ground truth."""
    x, y = x.double(), y.double()
    diff = x[:, None, :] - y[None, :, :]  # (N, M, D)
    if metric == "sqeuclidean":
        return diff.pow(2).sum(-1)
    if metric == "euclidean":
        return diff.pow(2).sum(-1).sqrt()
    xn, yn = x / x.norm(dim=1, keepdim=True), y / y.norm(dim=1, keepdim=True)
    return 1 - xn @ yn.T


@pytest.mark.parametrize("shape", [(7, 3), (1, 128), (4, 5, 16)])
def test_rowwise_match_torch(shape: tuple[int, ...]) -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(*shape, generator=g), torch.randn(*shape, generator=g)
    torch.testing.assert_close(euclidean(a, b), torch.linalg.vector_norm(a - b, dim=-1))
    torch.testing.assert_close(squared_euclidean(a, b), F.pairwise_distance(a, b, eps=0).pow(2))
    torch.testing.assert_close(cosine_similarity(a, b), F.cosine_similarity(a, b, dim=-1))
    torch.testing.assert_close(cosine_distance(a, b), 1 - F.cosine_similarity(a, b, dim=-1))


def test_rowwise_broadcasts_a_query_against_a_gallery() -> None:
    g = torch.Generator().manual_seed(1)
    q, gallery = torch.randn(1, 8, generator=g), torch.randn(20, 8, generator=g)
    torch.testing.assert_close(euclidean(q, gallery), torch.cdist(q, gallery)[0])


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cosine"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pairwise_matches_brute_force(metric: str, dtype: torch.dtype) -> None:
    g = torch.Generator().manual_seed(2)
    x = torch.randn(33, 24, generator=g, dtype=dtype) * 3
    y = torch.randn(41, 24, generator=g, dtype=dtype) * 3
    got = pairwise_distances(x, y, metric=metric)
    assert got.shape == (33, 41) and got.dtype == dtype
    tol = {torch.float32: 1e-5, torch.float64: 1e-12}[dtype]
    torch.testing.assert_close(got.double(), brute_force(x, y, metric), rtol=tol, atol=tol)


def test_pairwise_euclidean_matches_cdist_on_ordinary_data() -> None:
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(100, 64, generator=g), torch.randn(80, 64, generator=g)
    torch.testing.assert_close(pairwise_distances(x, y), torch.cdist(x, y), rtol=1e-5, atol=1e-5)


def near_duplicates(n: int = 64, dim: int = 256, norm: float = 45.0, dist: float = 0.05):
    """Pairs (x_i, y_i) with |x_i| = norm and |x_i - y_i| = dist: the cancellation trap."""
    g = torch.Generator().manual_seed(4)
    x = torch.randn(n, dim, generator=g)
    x = norm * x / x.norm(dim=1, keepdim=True)
    step = torch.randn(n, dim, generator=g)
    return x, x + dist * step / step.norm(dim=1, keepdim=True)


def test_near_duplicates_with_large_norms_stay_accurate() -> None:
    x, y = near_duplicates()
    truth = (x.double() - y.double()).norm(dim=1)
    rel_ours = ((pairwise_distances(x, y).diagonal().double() - truth).abs() / truth).max()
    rel_cdist = ((torch.cdist(x, y).diagonal().double() - truth).abs() / truth).max()
    assert rel_ours < 1e-5
    assert rel_cdist > 1e-2  # the trap is real: the expansion alone loses several digits here


def test_near_parallel_cosine_distance_stays_accurate() -> None:
    """At an angle of 2e-4 rad, float32 1 - cos is pure rounding; 1/2 |a^ - b^|^2 is not."""
    x, y = near_duplicates(norm=45.0, dist=1e-2)
    truth = brute_force(x, y, "cosine").diagonal()

    def rel(v: torch.Tensor) -> float:
        return ((v.double() - truth).abs() / truth).max().item()

    assert rel(pairwise_distances(x, y, metric="cosine").diagonal()) < 1e-3
    assert rel(cosine_distance(x, y)) < 1e-3
    assert rel(1 - F.cosine_similarity(x, y)) > 1.0  # the naive formula: wrong by over 100%


def test_self_distance_is_exactly_zero() -> None:
    x = torch.randn(50, 32, generator=torch.Generator().manual_seed(5)) * 100
    assert pairwise_distances(x, x).diagonal().abs().max() == 0


def test_pairwise_gradient_matches_brute_force() -> None:
    g = torch.Generator().manual_seed(6)
    x = torch.randn(5, 4, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    for metric in ("euclidean", "sqeuclidean", "cosine"):
        assert torch.autograd.gradcheck(lambda a, b, m=metric: pairwise_distances(a, b, m), (x, y))


unit_pairs = st.integers(2, 32).flatmap(
    lambda d: st.tuples(
        *[arrays("float64", d, elements=st.floats(-1e3, 1e3, allow_subnormal=False)) for _ in range(2)]
    )
)


@settings(max_examples=200, deadline=None)
@given(unit_pairs)
def test_unit_vectors_identity(pair) -> None:
    """||a^ - b^||^2 = 2 - 2 cos(a, b), the correction of day 3, for any non-zero a, b."""
    a, b = (torch.from_numpy(v).unsqueeze(0) for v in pair)
    if a.norm() < 1e-6 or b.norm() < 1e-6:
        return
    lhs = squared_euclidean(l2_normalize(a), l2_normalize(b))
    rhs = 2 - 2 * cosine_similarity(a, b)
    torch.testing.assert_close(lhs, rhs, rtol=0, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_pairwise_properties(n: int, m: int, d: int, seed: int) -> None:
    """Non-negative, symmetric, and the triangle inequality holds (up to rounding)."""
    g = torch.Generator().manual_seed(seed)
    x, y = (
        torch.randn(n, d, generator=g, dtype=torch.float64),
        torch.randn(m, d, generator=g, dtype=torch.float64),
    )
    dxy, dyx = pairwise_distances(x, y), pairwise_distances(y, x)
    assert (dxy >= 0).all()
    torch.testing.assert_close(dxy, dyx.T)
    dxx = pairwise_distances(x, x)
    assert (dxy[:, None, :] <= dxx[:, :, None] + dxy[None, :, :] + 1e-9).all()


def test_ranking_agrees_after_normalising() -> None:
    g = torch.Generator().manual_seed(7)
    q = torch.randn(3, 16, generator=g)
    gallery = torch.randn(40, 16, generator=g) * torch.rand(40, 1, generator=g) * 5
    by_cos = pairwise_distances(q, gallery, "cosine").argsort(dim=1)
    by_euc = pairwise_distances(l2_normalize(q), l2_normalize(gallery)).argsort(dim=1)
    assert torch.equal(by_cos, by_euc)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "error", "match"),
    [
        ([[1.0, 2.0]], torch.ones(1, 2), {}, TypeError, "x must be a torch.Tensor"),
        (torch.ones(2, 3, dtype=torch.int64), torch.ones(2, 3), {}, TypeError, "x must have a floating"),
        (torch.ones(3), torch.ones(2, 3), {}, ValueError, "x must be 2-D"),
        (torch.ones(2, 3), torch.ones(2, 4), {}, ValueError, "same feature dimension"),
        (torch.ones(0, 3), torch.ones(2, 3), {}, ValueError, "x is empty"),
        (torch.tensor([[float("nan"), 1.0]]), torch.ones(2, 2), {}, ValueError, "x contains NaN"),
        (torch.ones(2, 2), torch.tensor([[float("inf"), 1.0]]), {}, ValueError, "y contains NaN or inf"),
        (torch.zeros(1, 2), torch.ones(2, 2), {"metric": "cosine"}, ValueError, "x contains a zero vector"),
        (torch.ones(2, 2), torch.ones(2, 2), {"metric": "manhattan"}, ValueError, "metric must be one of"),
        (torch.ones(2, 2), torch.ones(2, 2, dtype=torch.float64), {}, TypeError, "share a dtype"),
    ],
)
def test_pairwise_rejects_bad_input(x, y, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        pairwise_distances(x, y, **kwargs)


def test_rowwise_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="a and b must broadcast"):
        euclidean(torch.ones(3, 2), torch.ones(4, 2))
    with pytest.raises(ValueError, match="b contains a zero vector"):
        cosine_similarity(torch.ones(1, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="x contains a zero vector"):
        l2_normalize(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="at least one dimension"):
        euclidean(torch.tensor(1.0), torch.tensor(2.0))


def test_finite_check_tells_overflow_from_nan() -> None:
    """Huge but finite inputs overflow the quick sum; they must still be accepted."""
    from reidlab._checks import all_finite

    big = torch.full((4, 3), 3e38)
    assert not torch.isfinite(big.sum()) and all_finite(big)
    assert not all_finite(torch.tensor([1.0, float("nan")]))
    assert not all_finite(torch.tensor([float("inf"), -float("inf")]))
    assert pairwise_distances(big[:2], big[2:], "cosine").abs().max() < 1e-6
