import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu

from reidlab.evaluation import (
    auc,
    balanced_accuracy,
    best_threshold,
    evaluate_rank,
    evaluate_retrieval,
    roc_curve,
    verification_pairs,
)


def reference(distmat, q_pids, g_pids, q_camids, g_camids, max_rank):
    """One query at a time, written for clarity: the definition the vectorised code must meet.
    Ties: sort by distance, then wrong before correct (``lexsort`` sorts by the last key first)."""
    cmcs, aps, firsts = [], [], []
    for q in range(len(q_pids)):
        keep = ~((g_pids == q_pids[q]) & (g_camids == q_camids[q]))
        dist, correct = distmat[q][keep], (g_pids == q_pids[q])[keep]
        order = np.lexsort((correct, dist))
        hits = correct[order]
        if not hits.any():
            aps.append(np.nan)
            firsts.append(-1)
            continue
        ranks = np.flatnonzero(hits) + 1
        aps.append(np.mean([(k + 1) / r for k, r in enumerate(ranks)]))
        firsts.append(ranks[0] - 1)
        cmcs.append([ranks[0] <= k + 1 for k in range(max_rank)])
    if not cmcs:
        return None, None, np.array(aps), np.array(firsts)
    return np.mean(cmcs, axis=0), np.nanmean(aps), np.array(aps), np.array(firsts)


def market1501_ap(ranks):
    """AP as Market-1501's evaluation code computes it (``compute_AP``), hit by hit: the mean, over
    correct matches, of the precision just before the match and at it. ``ranks``: 1-based."""
    ap = 0.0
    for i, r in enumerate(ranks):  # i correct matches came before this one, at rank r
        precision = (i + 1) / r
        old_precision = i / (r - 1) if r != 1 else 1.0
        ap += (old_precision + precision) / 2 / len(ranks)
    return ap


def test_the_chapter_example_both_ways():
    """Correct matches at ranks 1, 3 and 6 after junk removal: 0.722 at hits, 0.678 trapezoid."""
    g_pids = torch.tensor([7, 7, 3, 7, 4, 5, 7, 6, 8, 9])
    g_cams = torch.tensor([0, 1, 2, 2, 1, 1, 1, 2, 2, 1])
    args = (torch.arange(10.0).view(1, 10), torch.tensor([7]), g_pids, torch.tensor([0]), g_cams)
    assert evaluate_rank(*args, max_rank=5).mAP == pytest.approx((1 / 1 + 2 / 3 + 3 / 6) / 3)
    assert evaluate_rank(*args, max_rank=5, ap="trapezoid").mAP == pytest.approx(market1501_ap([1, 3, 6]))
    assert market1501_ap([1, 3, 6]) == pytest.approx((1 + (1 / 2 + 2 / 3) / 2 + (2 / 5 + 3 / 6) / 2) / 3)
    with pytest.raises(ValueError, match="ap must be"):
        evaluate_rank(*args, ap="interpolated")


@pytest.mark.parametrize("levels", [None, 3])
def test_trapezoid_ap_matches_market1501_code(levels):
    problem = random_problem(7, n_q=30, n_g=200, levels=levels)
    got = evaluate_rank(*problem, max_rank=5, ap="trapezoid")
    d, q_pids, g_pids, q_cams, g_cams = problem
    for q in range(len(q_pids)):
        keep = ~((g_pids == q_pids[q]) & (g_cams == q_cams[q]))
        dist, correct = d[q][keep], (g_pids == q_pids[q])[keep]
        hits = correct[np.lexsort((correct, dist))]
        if hits.any():
            assert got.ap[q].item() == pytest.approx(market1501_ap(np.flatnonzero(hits) + 1), abs=1e-12)
        else:
            assert np.isnan(got.ap[q].item())
    # never above the AP at hits: the precision just before a hit is never above the one at it
    at_hits = evaluate_rank(*problem, max_rank=5)
    assert (got.ap.nan_to_num() <= at_hits.ap.nan_to_num() + 1e-12).all()


def random_problem(seed, n_q=40, n_g=300, n_ids=30, n_cams=4, levels=None):
    rng = np.random.default_rng(seed)
    d = rng.random((n_q, n_g))
    if levels:  # few distinct values: many ties
        d = np.floor(d * levels) / levels
    return (
        d,
        rng.integers(0, n_ids + n_ids // 3 + 1, n_q),  # some query ids are not in the gallery
        rng.integers(0, n_ids, n_g),
        rng.integers(0, n_cams, n_q),
        rng.integers(0, n_cams, n_g),
    )


def check_against_reference(problem, max_rank=10):
    cmc, mean_ap, ap, first = reference(*problem, max_rank)
    got = evaluate_rank(*problem, max_rank=max_rank)
    np.testing.assert_allclose(got.cmc.numpy(), cmc, atol=1e-12)
    assert abs(got.mAP - mean_ap) < 1e-12
    np.testing.assert_allclose(got.ap.numpy(), ap, atol=1e-12)  # NaN where skipped, in both
    np.testing.assert_array_equal(got.first_match.numpy(), first)
    return got


@pytest.mark.parametrize("seed", range(5))
def test_matches_reference_on_random_rankings(seed):
    got = check_against_reference(random_problem(seed))
    assert got.n_skipped > 0  # queries whose id is missing are skipped


@pytest.mark.parametrize("levels", [2, 5, 20])
def test_ties_go_against_the_model(levels):
    check_against_reference(random_problem(7, levels=levels))


def test_all_distances_equal_is_the_worst_ranking():
    d, qp, gp, qc, gc = random_problem(3)
    got = evaluate_rank(np.zeros_like(d), qp, gp, qc, gc, max_rank=5)
    valid = got.first_match >= 0
    # every correct match ties with every wrong one, so all wrong images come first
    n_correct = torch.tensor([((gp == p) & (gc != c)).sum() for p, c in zip(qp, qc, strict=True)])
    n_junk = torch.tensor([((gp == p) & (gc == c)).sum() for p, c in zip(qp, qc, strict=True)])
    expected_first = len(gp) - n_correct - n_junk
    assert torch.equal(got.first_match[valid], expected_first[valid])


def test_perfect_ranking_scores_one_and_junk_is_ignored():
    # query 0 is id 1 from camera 0; junk (id 1, camera 0) is closest, then the correct matches
    d = np.array([[0.0, 0.1, 0.2, 0.9, 0.5]])
    g_pids, g_cams = np.array([1, 1, 1, 2, 3]), np.array([0, 1, 2, 1, 1])
    got = evaluate_rank(d, np.array([1]), g_pids, np.array([0]), g_cams, max_rank=3)
    assert got.mAP == 1.0 and got.cmc.tolist() == [1.0, 1.0, 1.0]
    # without the junk rule the same-camera image would be a (too easy) correct match; with a
    # wrong image closest instead, AP = (1/2 + 2/3) / 2
    d2 = np.array([[0.3, 0.1, 0.2, 0.05, 0.5]])
    got2 = evaluate_rank(d2, np.array([1]), g_pids, np.array([0]), g_cams, max_rank=3)
    assert got2.mAP == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert got2.cmc.tolist() == [0.0, 1.0, 1.0]


def test_skipped_queries_are_counted_not_averaged():
    d = np.array([[0.1, 0.2], [0.1, 0.2]])
    # query 1 (id 9) has no image in the gallery
    got = evaluate_rank(d, np.array([5, 9]), np.array([5, 6]), np.array([0, 0]), np.array([1, 1]), 2)
    assert got.n_skipped == 1 and got.mAP == 1.0 and torch.isnan(got.ap[1])


def test_torch_and_numpy_inputs_agree_and_chunks_do_not_matter():
    problem = random_problem(11, n_q=70, n_g=2**16 + 3)  # > 2**22 / G rows: several chunks
    as_torch = [torch.from_numpy(a) for a in problem]
    a, b = evaluate_rank(*problem, max_rank=5), evaluate_rank(*as_torch, max_rank=5)
    assert torch.equal(a.ap.nan_to_num(), b.ap.nan_to_num()) and torch.equal(a.cmc, b.cmc)
    check_against_reference(problem, max_rank=5)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n_q=st.integers(1, 8),
    n_g=st.integers(1, 30),
    n_ids=st.integers(1, 6),
    n_cams=st.integers(1, 3),
    levels=st.sampled_from([None, 1, 3]),
    max_rank=st.integers(1, 40),
)
def test_property_matches_reference(seed, n_q, n_g, n_ids, n_cams, levels, max_rank):
    problem = random_problem(seed, n_q, n_g, n_ids, n_cams, levels)
    cmc, mean_ap, _, first = reference(*problem, max_rank)
    if (first < 0).all():
        with pytest.raises(ValueError, match="no query has a correct match"):
            evaluate_rank(*problem, max_rank=max_rank)
        return
    got = evaluate_rank(*problem, max_rank=max_rank)
    np.testing.assert_allclose(got.cmc.numpy(), cmc, atol=1e-12)
    assert abs(got.mAP - mean_ap) < 1e-12
    assert (got.cmc.diff() >= 0).all() and 0 < got.mAP <= 1


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda p: [p[0][0], *p[1:]], ValueError, r"distmat must be 2-D, got shape \(300,\)"),
        (lambda p: [p[0].astype(int), *p[1:]], TypeError, "floating-point"),
        (lambda p: [np.where(p[0] > 0.5, np.nan, p[0]), *p[1:]], ValueError, "NaN"),
        (lambda p: [p[0], p[1][:-1], *p[2:]], ValueError, r"q_pids must have shape \(40,\)"),
        (lambda p: [p[0], p[1], p[2][:5], *p[3:]], ValueError, "g_pids must have shape"),
        (lambda p: [*p[:3], p[3].astype(float), p[4]], TypeError, "q_camids must hold integers"),
        (lambda p: [*p[:4], list(p[4])], TypeError, "g_camids must be a torch.Tensor or numpy"),
        (lambda p: [p[0][:, :0], *p[1:]], ValueError, "distmat is empty"),
    ],
)
def test_bad_input_is_named(change, error, message):
    with pytest.raises(error, match=message):
        evaluate_rank(*change(list(random_problem(0))))


@pytest.mark.parametrize("max_rank", [0, 2.0, True])
def test_bad_max_rank(max_rank):
    with pytest.raises(ValueError, match="max_rank"):
        evaluate_rank(*random_problem(0), max_rank=max_rank)


def test_retrieval_counts_every_same_label_item_as_correct():
    d = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.1, 0.4, 0.2, 0.3]])
    r = evaluate_retrieval(d, torch.tensor([1, 2]), torch.tensor([1, 2, 1, 2]), max_rank=4)
    # query 0: correct at ranks 1 and 3; query 1: correct at ranks 3 and 4
    assert r.ap.tolist() == pytest.approx([(1 + 2 / 3) / 2, (1 / 3 + 2 / 4) / 2])
    assert r.cmc.tolist() == [0.5, 0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"g_labels must have shape \(4,\)"):
        evaluate_retrieval(d, torch.tensor([1, 2]), torch.tensor([1, 2, 1]))


def brute_force_auc(d, same):
    """Mann-Whitney: the share of (positive, negative) pairs where the positive is closer."""
    pos, neg = d[same].tolist(), d[~same].tolist()
    wins = sum((p < n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("levels", [None, 4, 50])
def test_roc_auc_matches_brute_force(levels):
    g = torch.Generator().manual_seed(2)
    same = torch.rand(300, generator=g) < 0.3
    d = torch.rand(300, generator=g, dtype=torch.float64) + 0.3 * (~same)
    if levels:
        d = (d * levels).floor() / levels  # ties
    fpr, tpr, thr = roc_curve(d, same)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert (fpr.diff() >= 0).all() and (tpr.diff() >= 0).all() and (thr.diff() > 0).all()
    assert auc(fpr, tpr) == pytest.approx(brute_force_auc(d, same), abs=1e-12)
    # SciPy's Mann-Whitney U counts (negative, positive) pairs with the negative farther, ties half
    u = mannwhitneyu(d[~same].numpy(), d[same].numpy()).statistic
    assert auc(fpr, tpr) == pytest.approx(u / (int(same.sum()) * int((~same).sum())), abs=1e-12)
    # each point is the rates at "same person if d <= threshold"
    k = len(thr) // 2
    assert tpr[k + 1] == pytest.approx(float((d[same] <= thr[k]).double().mean()))
    assert fpr[k + 1] == pytest.approx(float((d[~same] <= thr[k]).double().mean()))


def test_roc_bad_input():
    with pytest.raises(ValueError, match="both positive"):
        roc_curve(torch.rand(5), torch.ones(5, dtype=torch.bool))
    with pytest.raises(ValueError, match="same must be a bool tensor shaped like d"):
        roc_curve(torch.rand(5), torch.ones(4, dtype=torch.bool))
    with pytest.raises(ValueError, match="d contains NaN"):
        roc_curve(torch.tensor([0.1, float("nan")]), torch.tensor([True, False]))


def test_best_threshold_is_the_best_of_all_thresholds_and_pairs_skip_junk():
    g = torch.Generator().manual_seed(5)
    same = torch.rand(200, generator=g) < 0.2
    d = torch.rand(200, generator=g, dtype=torch.float64) + 0.4 * (~same)
    t = best_threshold(d, same)
    brute = max(balanced_accuracy(d <= x, same) for x in d)
    assert balanced_accuracy(d <= t, same) == pytest.approx(brute)
    acc = balanced_accuracy(d <= 0.7, same)
    assert acc == pytest.approx(0.5 * ((d[same] <= 0.7).double().mean() + (d[~same] > 0.7).double().mean()))
    distmat = torch.arange(6.0).view(2, 3)
    dd, ss = verification_pairs(
        distmat, torch.tensor([1, 2]), torch.tensor([1, 1, 2]), torch.tensor([0, 0]), torch.tensor([0, 1, 1])
    )
    assert dd.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0] and ss.tolist() == [True, False, False, False, True]


def test_balanced_accuracy_checks_its_input():
    with pytest.raises(TypeError, match="predicted must be a bool tensor"):
        balanced_accuracy(torch.rand(4), torch.tensor([True, False, True, False]))
    with pytest.raises(ValueError, match="share a non-empty shape"):
        balanced_accuracy(torch.ones(3, dtype=torch.bool), torch.tensor([True, False]))
    with pytest.raises(ValueError, match="both positives"):
        balanced_accuracy(torch.ones(3, dtype=torch.bool), torch.ones(3, dtype=torch.bool))
    # one right positive of two, both negatives right
    assert (
        balanced_accuracy(torch.tensor([True, False, False, False]), torch.tensor([True, True, False, False]))
        == 0.75
    )
