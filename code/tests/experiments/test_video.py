import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.experiments.video import (
    closer_than_partner,
    frame_features,
    fuse,
    half_size,
    motion_features,
    motion_input,
    query_subsets,
    rank1_hits,
    score_streams,
    train_motion,
    train_spatial,
    weighting_curves,
)
from reidlab.models import EmbeddingNet
from reidlab.pooling import (
    ContextPooling,
    QualityPooling,
)
from reidlab.worlds.walking import toy_video


def test_motion_input_stacks_windows_of_flow_in_time_order():
    flows = torch.randn(2, 7, 2, 4, 3)
    x = motion_input(flows, window=3)
    assert x.shape == (2, 5, 6, 4, 3)
    for w in range(5):
        for j in range(3):
            assert torch.equal(x[:, w, 2 * j : 2 * j + 2], flows[:, w + j])
    with pytest.raises(ValueError, match="window"):
        motion_input(flows, window=8)


@given(st.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_fused_squared_distance_is_the_mean_of_the_streams(seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.nn.functional.normalize(torch.randn(2, 5, generator=g, dtype=torch.float64), dim=1)
    b = torch.nn.functional.normalize(torch.randn(2, 3, generator=g, dtype=torch.float64), dim=1)
    f = fuse(a, b)
    d2 = lambda z: (z[0] - z[1]).pow(2).sum()  # noqa: E731
    assert torch.isclose(d2(f), (d2(a) + d2(b)) / 2)


@given(st.integers(0, 10_000), st.floats(0.0, 1.0))
@settings(max_examples=25, deadline=None)
def test_weighted_fusion_weighs_the_squared_distances(seed, alpha):
    g = torch.Generator().manual_seed(seed)
    a = torch.nn.functional.normalize(torch.randn(2, 5, generator=g, dtype=torch.float64), dim=1)
    b = torch.nn.functional.normalize(torch.randn(2, 3, generator=g, dtype=torch.float64), dim=1)
    f = fuse(a, b, weights=[1 - alpha, alpha])
    d2 = lambda z: (z[0] - z[1]).pow(2).sum()  # noqa: E731
    assert torch.isclose(d2(f), (1 - alpha) * d2(a) + alpha * d2(b))
    assert torch.allclose(f.norm(dim=1), torch.ones(2, dtype=torch.float64))
    assert torch.allclose(fuse(a, b, weights=[2.0, 2.0]), fuse(a, b))  # only the ratio counts


def test_fusion_rejects_bad_weights():
    a, b = torch.randn(3, 4), torch.randn(3, 2)
    for bad in ([1.0], [-0.5, 1.5], [0.0, 0.0], [float("nan"), 1.0]):
        with pytest.raises(ValueError, match="weights"):
            fuse(a, b, weights=bad)
    with pytest.raises(ValueError, match="same number of clips"):
        fuse(a, torch.randn(2, 2))


@pytest.fixture(scope="module")
def world():
    return toy_video(n_train_ids=12, n_test_ids=12, n_cameras=3, frames=5, seed=4)


def test_training_is_deterministic(world):
    a = train_spatial(world.train.clips, world.train.pids, seed=3, steps=2, p=4, frames=2)
    b = train_spatial(world.train.clips, world.train.pids, seed=3, steps=2, p=4, frames=2)
    assert all(
        torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )
    flows = torch.randn(len(world.train), 4, 2, 32, 16, generator=torch.Generator().manual_seed(0))
    m1 = train_motion(flows, world.train.pids, seed=1, steps=2, p=4)
    m2 = train_motion(flows, world.train.pids, seed=1, steps=2, p=4)
    assert all(
        torch.equal(x, y) for x, y in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True)
    )


def test_subsets_and_curves_on_a_small_world(world):
    masks = query_subsets(world)
    assert masks["all"].all() and len(masks["look-alikes"]) == len(world.query)
    net = train_spatial(world.train.clips, world.train.pids, seed=0, steps=1, p=4, frames=2)
    scores, shares = weighting_curves(net, QualityPooling(64), world, corrupted=(0, 2))
    assert set(scores) == set(shares) and scores["mean"].shape == (2, 2)
    assert all(s[0] == 0 for s in shares.values())  # nothing corrupted, no weight on corruption
    assert torch.isclose(shares["mean"][1], torch.tensor(2 / 5))  # 2 of 5 frames, equal weights


def test_rank1_hits_agree_with_the_rank_1_score(world):
    q, gal = world.query, world.gallery
    g = torch.Generator().manual_seed(0)
    random = [torch.nn.functional.normalize(torch.randn(len(s), 8, generator=g), dim=1) for s in (q, gal)]
    exact = [random[0], random[1].clone()]
    for i, pid in enumerate(q.pids.tolist()):  # one clip of each person sits on its query
        exact[1][(gal.pids == pid).nonzero()[0]] = random[0][i]
    streams = {"random": random, "exact": exact}
    hits = rank1_hits(streams, q, gal)
    assert hits.shape == (2, len(q)) and hits[1].all()
    scores = score_streams(streams, world, q, gal)
    assert torch.allclose(hits.double().mean(dim=1), scores[:, 0, 0].double())


def test_closer_than_partner_compares_the_nearest_clips(world):
    q, gal = world.query, world.gallery
    a, b = q.pids[:2].tolist()
    e = torch.eye(4)
    zq = e[[3] * len(q)]
    zq[0], zq[1] = e[0], e[1]  # the queries of a and b
    zg = e[[3] * len(gal)]
    zg[gal.pids == a] = e[0]  # a's clips on a's query; b's clips as far from b as a's are
    zg[gal.pids == b] = e[2]
    assert closer_than_partner(zq, zg, q, gal, [(a, b)]).tolist() == [True, False]  # a tie is no win
    zg[gal.pids == b] = e[1]
    assert closer_than_partner(zq, zg, q, gal, [(b, a)]).tolist() == [True, True]
    assert closer_than_partner(zq, zg, q, gal, []).tolist() == []
    with pytest.raises(ValueError, match="pairs"):
        closer_than_partner(zq, zg, q, gal, [(a, a)])


def test_only_the_corrupted_frames_are_computed_again(world):
    from reidlab.experiments.video import _refresh
    from reidlab.worlds.walking import corrupt

    net = train_spatial(world.train.clips, world.train.pids, seed=0, steps=1, p=4, frames=2)
    hit = corrupt(world.query, world.cameras, torch.Generator().manual_seed(0), n_frames=2)
    clean = frame_features(net, world.query.clips)
    assert torch.allclose(_refresh(net, clean, hit), frame_features(net, hit.clips), atol=1e-6)
    assert torch.equal(_refresh(net, clean, world.query), clean)  # nothing corrupted


def test_pooling_trains_along_with_the_frame_network(world):
    torch.manual_seed(0)
    pooling = ContextPooling(64)
    before = [t.clone() for t in pooling.parameters()]
    train_spatial(world.train.clips, world.train.pids, seed=2, steps=2, p=4, frames=3, pooling=pooling)
    assert any(not torch.equal(a, b) for a, b in zip(before, pooling.parameters(), strict=True))
    assert not pooling.training


def test_half_size_averages_two_by_two_pixels():
    clips = torch.arange(2 * 3 * 1 * 4 * 2, dtype=torch.float32).view(2, 3, 1, 4, 2)
    small = half_size(clips)
    assert small.shape == (2, 3, 1, 2, 1)
    assert torch.isclose(small[0, 0, 0, 0, 0], clips[0, 0, 0, :2, :].mean())
    with pytest.raises(ValueError, match="even"):
        half_size(torch.zeros(1, 2, 3, 5, 4))


def brute_force_rank1_and_ap(q, gal, query, gallery, keep):
    """Rank-1 and mAP one query at a time: Euclidean distances, the query's own camera's clips of
    its person left out (junk), AP the mean precision at each correct clip's rank."""
    hits, aps = [], []
    for i in range(len(query)):
        if not keep[i]:
            continue
        pid, cam = int(query.pids[i]), int(query.camids[i])
        ranked = sorted(
            (float((q[i] - gal[j]).pow(2).sum().sqrt()), int(gallery.pids[j]))
            for j in range(len(gallery))
            if not (int(gallery.pids[j]) == pid and int(gallery.camids[j]) == cam)
        )
        correct = [p == pid for _, p in ranked]
        hits.append(correct[0])
        ranks = [r + 1 for r, c in enumerate(correct) if c]
        aps.append(sum((n + 1) / r for n, r in enumerate(ranks)) / len(ranks))
    return sum(hits) / len(hits), sum(aps) / len(aps)


def test_score_streams_agrees_with_brute_force_on_every_subset(world):
    q, gal = world.query, world.gallery
    g = torch.Generator().manual_seed(1)
    random = [torch.nn.functional.normalize(torch.randn(len(s), 8, generator=g), dim=1) for s in (q, gal)]
    one_hot = torch.eye(int(max(q.pids.max(), gal.pids.max())) + 1)
    exact = [one_hot[q.pids], one_hot[gal.pids]]  # a feature per person: their own axis
    streams = {"random": random, "exact": exact}
    masks = query_subsets(world)
    assert all(m.any() for m in masks.values())  # every subset has queries on this world
    scores = score_streams(streams, world, q, gal)
    assert scores.shape == (2, len(masks), 2)
    for s, (zq, zg) in enumerate(streams.values()):
        for m, keep in enumerate(masks.values()):
            rank1, mean_ap = brute_force_rank1_and_ap(zq, zg, q, gal, keep.tolist())
            assert scores[s, m, 0].item() == pytest.approx(rank1, abs=1e-6)
            assert scores[s, m, 1].item() == pytest.approx(mean_ap, abs=1e-5)
    assert (scores[1] == 1).all()  # the person's own feature: every query right, every clip first
    assert (scores[0] < 1).all() and ((scores >= 0) & (scores <= 1)).all()


def test_motion_features_average_the_windows_features_clip_by_clip():
    torch.manual_seed(0)
    net = EmbeddingNet(dim=8, height=16, width=8, in_channels=6)
    flows = torch.randn(5, 5, 2, 16, 8, generator=torch.Generator().manual_seed(2))
    z = motion_features(net, flows, window=3, batch_size=2)
    assert not net.training  # evaluation mode: batch norm uses its running statistics
    assert z.shape == (5, 8)
    torch.testing.assert_close(z.norm(dim=1), torch.ones(5))
    # the reference: every window of 3 flow fields through the network alone, the mean, unit length
    with torch.no_grad():
        for n in range(5):
            windows = [torch.cat([flows[n, w + j] for j in range(3)])[None] for w in range(3)]
            mean = torch.stack([net(x)[0] for x in windows]).mean(dim=0)
            torch.testing.assert_close(z[n], mean / mean.norm(), atol=1e-5, rtol=0)
    # batches change nothing, and a clip's feature does not depend on the others
    torch.testing.assert_close(motion_features(net, flows, batch_size=64), z, atol=1e-6, rtol=0)
    torch.testing.assert_close(motion_features(net, flows[3:4]), z[3:4], atol=1e-6, rtol=0)
    # the features depend on the order of the flow fields, not just on which they are
    assert (motion_features(net, flows.flip(1)) - z).abs().max() > 1e-4


def test_clips_are_ranked_by_exact_distances_even_for_long_near_duplicate_features() -> None:
    """Three gallery clips at 1, 2 and 3 thousandths from a query 10,000 long: the expansion
    |x|^2 + |y|^2 - 2 x.y loses those in float32 rounding, the exact distance keeps their order."""
    from reidlab.experiments.video import rank_clips

    v = torch.zeros(8)
    v[0] = 1e4
    steps = torch.eye(8)[1:4] * torch.tensor([[3e-3], [1e-3], [2e-3]])  # nearest: the second
    gallery = v + steps  # (3, 8)
    pids, cams = torch.tensor([7, 8, 9]), torch.tensor([1, 1, 1])
    for right, pid in ((True, 8), (False, 7)):
        r = rank_clips(v[None], gallery, torch.tensor([pid]), pids, torch.tensor([0]), cams)
        assert bool(r.cmc[0] == 1) is right
