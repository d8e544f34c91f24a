import numpy as np
import pytest
import torch

from reidlab.evaluation import evaluate_rank, verification_pairs
from reidlab.experiments.siamese import (
    embed,
    embedding_net,
    look_alikes_per_batch,
    margin_sweep,
    mirror_pairs,
    one_shot_rates,
    rank1_misses,
    ranking_scores,
    train_siamese,
    trained_net,
)
from reidlab.losses.metric import balanced_contrastive_loss, batch_distances
from reidlab.miners import all_pairs
from reidlab.models import EmbeddingNet
from reidlab.train import pk_sampler
from reidlab.worlds.pedestrians import random_identity, toy_reid


def test_pk_sampler_draws_p_people_k_images_each_without_repeats():
    pids = torch.tensor([0] * 6 + [1] * 3 + [2] * 5 + [3] * 2)
    sample = pk_sampler(pids, p=3, k=4)
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        idx = sample(g)
        assert len(idx) == len(set(idx.tolist()))  # no image twice: no zero-distance pairs
        people, counts = pids[idx].unique(return_counts=True)
        assert len(people) == 3
        assert all(c == min(4, int((pids == p).sum())) for p, c in zip(people, counts, strict=True))


def test_pk_sampler_checks_its_arguments():
    with pytest.raises(ValueError, match="p <= 2"):
        pk_sampler(torch.tensor([0, 0, 1, 1]), p=3, k=2)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        pk_sampler(torch.tensor([]), p=2, k=2)


def batch_contrastive_loss(emb: torch.Tensor, pids: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """What train_siamese minimises on a batch of embeddings."""
    return balanced_contrastive_loss(batch_distances(emb), all_pairs(pids), margin)


def test_batch_loss_is_the_mean_of_positive_plus_mean_of_negative_pairs():
    g = torch.Generator().manual_seed(0)
    emb, pids = torch.randn(8, 5, generator=g, dtype=torch.float64), torch.tensor([0, 0, 1, 1, 1, 2, 2, 3])
    pos, neg = [], []
    for a in range(8):
        for b in range(a + 1, 8):
            d = (emb[a] - emb[b]).norm().item()
            (pos if pids[a] == pids[b] else neg).append(
                0.5 * d * d if pids[a] == pids[b] else 0.5 * max(0, 1.5 - d) ** 2
            )
    assert batch_contrastive_loss(emb, pids, 1.5).item() == pytest.approx(np.mean(pos) + np.mean(neg))
    i, _j, same = all_pairs(pids)
    assert len(i) == 28 and int(same.sum()) == 1 + 3 + 1


def test_duplicate_images_in_a_batch_give_finite_gradients():
    emb = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    batch_contrastive_loss(emb, torch.tensor([0, 0, 1])).backward()
    assert torch.isfinite(emb.grad).all()


def test_batch_loss_needs_both_kinds_of_pairs():
    with pytest.raises(ValueError, match="both"):
        batch_contrastive_loss(torch.randn(3, 4), torch.tensor([0, 1, 2]))


def test_embedding_net_shapes_unit_length_and_mirrors():
    torch.manual_seed(0)
    net = EmbeddingNet(dim=16).eval()
    x = torch.rand(4, 3, 64, 32)
    z = net(x)
    assert z.shape == (4, 16)
    torch.testing.assert_close(z.norm(dim=1), torch.ones(4))
    # convolution filters are not symmetric: a mirrored image is a different input ...
    assert (net(x) - net(x.flip(-1))).norm(dim=1).min() > 1e-3
    # ... unless the embedding averages over both: then exactly the same, and still unit length
    both, mirrored = embed(net, x, flip=True), embed(net, x.flip(-1), flip=True)
    torch.testing.assert_close(both, mirrored, atol=1e-6, rtol=0)
    torch.testing.assert_close(both.norm(dim=1), torch.ones(4))
    with pytest.raises(ValueError, match=r"expected images \(N, 3, 64, 32\)"):
        net(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match="multiples of 8"):
        EmbeddingNet(height=60)


def test_training_is_deterministic_and_beats_raw_pixels():
    world = toy_reid(n_train_ids=40, n_test_ids=20, n_cameras=4, per_camera=3, seed=1)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = EmbeddingNet(dim=32)
        losses = train_siamese(net, world.train.images, world.train.pids, steps=60, p=8, k=4, progress=False)
        runs.append((losses, embed(net, world.query.images), embed(net, world.gallery.images)))
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])
    losses, q, g = runs[0]
    assert np.mean(losses[-10:]) < 0.6 * np.mean(losses[:10])
    ids = (world.query.pids, world.gallery.pids, world.query.camids, world.gallery.camids)
    learned = evaluate_rank(torch.cdist(q, g), *ids, max_rank=5)
    pixels = evaluate_rank(
        torch.cdist(world.query.images.flatten(1), world.gallery.images.flatten(1)), *ids, max_rank=5
    )
    assert learned.mAP > pixels.mAP + 0.1


def test_one_shot_rates_count_each_kind_of_pair():
    # queries: person 0 (cam 0), person 1 (cam 0); gallery: 0 cam 1, 1 cam 1, 2 cam 1
    q, gal = torch.tensor([[0.0, 0.0], [1.0, 0.0]]), torch.tensor([[0.1, 0.0], [5.0, 0.0], [0.0, 0.2]])
    ids = (torch.tensor([0, 1]), torch.tensor([0, 1, 2]), torch.tensor([0, 0]), torch.tensor([1, 1, 1]))
    rates = one_shot_rates(torch.cdist(q, gal), *ids, 0.5, [(0, 1)])
    # same person: 0-0 at 0.1 accepted, 1-1 at 4.0 rejected -> 1/2
    # look-alikes: 0-1 at 5.0 rejected, 1-0 at 0.9 rejected -> 1
    # others: 0-2 at 0.2 accepted (wrong), 1-2 at 1.02 rejected -> 1/2
    assert list(rates.values()) == [0.5, 1.0, 0.5]
    with pytest.raises(ValueError, match="look_alikes matched no"):
        one_shot_rates(torch.cdist(q, gal), *ids, 0.5, [(7, 8)])


def test_batch_loss_gradient_is_bitwise_reproducible():
    """Multi-threaded CPU backward passes must not change the result from run to run."""
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(64, 64, generator=g)
    pids = torch.arange(16).repeat_interleave(4)
    grads = []
    for _ in range(10):
        x = emb.clone().requires_grad_(True)
        batch_contrastive_loss(torch.nn.functional.normalize(x, dim=1), pids).backward()
        grads.append(x.grad)
    assert all(torch.equal(grads[0], other) for other in grads[1:])


def test_rank1_misses_find_the_look_alike():
    # query 0 (person 1) is closest to person 2, its look-alike; query 1 (person 3) to person 4
    d = torch.tensor([[0.5, 0.1, 0.9, 0.8], [0.9, 0.8, 0.7, 0.2]])
    ids = (
        torch.tensor([1, 3]),
        torch.tensor([1, 2, 3, 4]),
        torch.tensor([0, 0]),
        torch.ones(4, dtype=torch.long),
    )
    missed, by_look_alike = rank1_misses(d, *ids, look_alikes=[(1, 2)])
    assert missed == [0, 1] and by_look_alike == [0]


def test_look_alikes_per_batch_counts_pairs_seen_together():
    pids = torch.arange(4).repeat_interleave(3)
    assert look_alikes_per_batch(pids, [(0, 1)], p=4, k=2, batches=5) == 1.0  # everyone in every batch
    share = look_alikes_per_batch(pids, [(0, 1)], p=2, k=2, batches=400)
    assert 1 / 6 - 0.06 < share < 1 / 6 + 0.06  # both of a given pair among 2 of 4 people: 1/6


def test_margin_sweep_and_trained_net_report_per_margin():
    world = toy_reid(n_train_ids=20, n_test_ids=10, n_cameras=3, per_camera=3, seed=2)
    out = margin_sweep(world, [0.5, 1.0], steps=5)
    assert set(out) == {0.5, 1.0}
    assert all(set(v) == {"same", "different", "rank-1", "mAP"} for v in out.values())
    # the reference for one margin, by hand: the network trained_net gives for that margin, its
    # (query, gallery) distances, their medians per kind of pair, and the ranking scores
    q, g = world.query, world.gallery
    ids = (q.pids, g.pids, q.camids, g.camids)
    net, history = trained_net(world.train.images, world.train.pids, seed=0, steps=5, margin=0.5)
    d = torch.cdist(embed(net, q.images).double(), embed(net, g.images).double())
    d_pairs, same = verification_pairs(d, *ids)
    r = evaluate_rank(d, *ids, max_rank=1)
    by_hand = {
        "same": d_pairs[same].median().item(),
        "different": d_pairs[~same].median().item(),
        "rank-1": r.cmc[0].item(),
        "mAP": r.mAP,
    }
    assert out[0.5] == pytest.approx(by_hand, abs=1e-5)
    for v in out.values():  # unit-length embeddings: distances in [0, 2]; scores are shares
        assert 0 <= v["same"] <= 2 and 0 <= v["different"] <= 2
        assert 0 <= v["rank-1"] <= 1 and 0 < v["mAP"] <= 1
    assert out[0.5] != out[1.0]  # the margin reaches the loss: another margin, another network
    assert len(history) == 5 and all(np.isfinite(history)) and min(history) >= 0
    net3, history3 = trained_net(world.train.images, world.train.pids, seed=0, steps=3)
    assert len(history3) == 3 and isinstance(net3[-1], EmbeddingNet) and not net3.training
    again = trained_net(world.train.images, world.train.pids, seed=0, steps=3)[1]
    assert again == history3  # seeded: the same losses, step for step


def test_embedding_net_averages_2x2_blocks_then_embeds_the_smaller_image():
    net = embedding_net(seed=3).eval()
    inner = net[-1]
    assert (inner.height, inner.width) == (32, 16)
    x = torch.rand(5, 3, 64, 32, generator=torch.Generator().manual_seed(0))
    # the reference: the mean of every 2 x 2 block, by hand, into the same EmbeddingNet
    blocks = (x[..., 0::2, 0::2] + x[..., 1::2, 0::2] + x[..., 0::2, 1::2] + x[..., 1::2, 1::2]) / 4
    torch.testing.assert_close(net(x), inner(blocks))
    # same seed, same start; and the average commutes with a mirror, so flip=True stays exact
    assert all(
        torch.equal(a, b)
        for a, b in zip(net.state_dict().values(), embedding_net(3).state_dict().values(), strict=True)
    )
    torch.testing.assert_close(embed(net, x, flip=True), embed(net, x.flip(-1), flip=True), atol=1e-6, rtol=0)
    assert embedding_net(0, downsample=1)[-1].height == 64
    with pytest.raises(ValueError, match="multiples of 8 \\* downsample = 16"):
        embedding_net(0, height=56)
    with pytest.raises(ValueError, match="downsample must be a positive int"):
        embedding_net(0, downsample=0)


def test_ranking_scores_agree_with_evaluate_rank_and_rank1_misses():
    g = torch.Generator().manual_seed(4)
    q_pids, g_pids = torch.tensor([0, 1, 2, 3, 0, 2]), torch.arange(4).repeat(3)
    q_cams, g_cams = torch.zeros(6, dtype=torch.long), torch.ones(12, dtype=torch.long)
    d = torch.rand(6, 12, generator=g)
    ids = (q_pids, g_pids, q_cams, g_cams)
    scores = ranking_scores(d, *ids, look_alikes=[(0, 1), (2, 3)])
    r = evaluate_rank(d, *ids, max_rank=5)
    missed, to_look_alike = rank1_misses(d, *ids, look_alikes=[(0, 1), (2, 3)])
    assert scores == {
        "rank-1": r.cmc[0].item(),
        "rank-5": r.cmc[4].item(),
        "mAP": r.mAP,
        "misses": len(missed),
        "to the look-alike": len(to_look_alike),
    }
    assert scores["misses"] == round((1 - scores["rank-1"]) * 6)


def test_mirror_pairs_are_the_pairs_that_differ_only_in_the_bag_side():
    g = torch.Generator().manual_seed(0)
    plain = [p for p in (random_identity(g) for _ in range(200)) if p.top_pattern in ("plain", "stripes")]
    with_bag = next(p for p in plain if p.bag == "left")
    other_bag = next(p for p in plain if p.bag == "none")
    swapped = with_bag.mirrored()
    assert swapped.bag == "right"
    logo = next(p for p in (random_identity(g) for _ in range(200)) if p.top_pattern == "logo")
    from dataclasses import replace

    people = [
        with_bag,
        swapped,
        other_bag,
        replace(other_bag, hair="blond" if other_bag.hair != "blond" else "black"),
    ]
    people += [replace(logo, bag="left"), replace(logo, bag="right")]  # a logo is one-sided: no mirror pair
    assert mirror_pairs(people, [(0, 1), (2, 3), (4, 5)]) == [(0, 1)]
    with pytest.raises(ValueError, match="not a pair of indices"):
        mirror_pairs(people, [(5, 6)])
