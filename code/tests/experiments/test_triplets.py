"""reidlab.experiments.triplets: every method trains, deterministically, and beats raw pixels."""

from __future__ import annotations

import pytest
import torch

from reidlab.evaluation import evaluate_rank
from reidlab.experiments.siamese import embed
from reidlab.experiments.triplets import METHODS, train_method
from reidlab.worlds.pedestrians import toy_reid


@pytest.fixture(scope="module")
def world():
    return toy_reid(n_train_ids=30, n_test_ids=12, n_cameras=3, per_camera=3, seed=5)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_deterministically_to_unit_embeddings(world, method: str) -> None:
    a = train_method(method, world.train.images, world.train.pids, seed=1, steps=4, p=6, k=3)
    b = train_method(method, world.train.images, world.train.pids, seed=1, steps=4, p=6, k=3)
    za, zb = embed(a, world.query.images), embed(b, world.query.images)
    assert torch.equal(za, zb)
    torch.testing.assert_close(za.norm(dim=1), torch.ones(len(za)))


def test_training_helps_over_raw_pixels(world) -> None:
    net = train_method(
        "triplet, batch hard", world.train.images, world.train.pids, seed=0, steps=60, p=8, k=3
    )
    q, g = world.query, world.gallery
    ids = (q.pids, g.pids, q.camids, g.camids)
    learned = evaluate_rank(torch.cdist(embed(net, q.images), embed(net, g.images)), *ids, max_rank=1)
    pixels = evaluate_rank(torch.cdist(q.images.flatten(1), g.images.flatten(1)), *ids, max_rank=1)
    assert learned.mAP > pixels.mAP


def test_quantize_pulls_coordinates_towards_plus_minus_one_over_sqrt_d(world) -> None:
    from reidlab.hashing import quantization_loss

    kw = {"seed": 0, "steps": 40, "p": 6, "k": 3}
    plain = train_method("triplet, batch hard", world.train.images, world.train.pids, **kw)
    quantized = train_method("triplet, batch hard", world.train.images, world.train.pids, quantize=1.0, **kw)
    q = [quantization_loss(embed(n, world.query.images) * 8) for n in (plain, quantized)]
    assert q[1] < q[0]


def test_unknown_method_is_named(world) -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        train_method("arcface", world.train.images, world.train.pids)


def test_paired_sampler_brings_each_look_alike_along(world) -> None:
    from reidlab.experiments.triplets import paired_sampler

    pids = world.train.pids
    pairs = [(0, 1), (4, 5), (10, 11), (20, 21)]
    sample = paired_sampler(pids, pairs, p=6, k=3)
    g = torch.Generator().manual_seed(0)
    partner = dict(pairs) | {b: a for a, b in pairs}
    for _ in range(100):
        idx = sample(g)
        assert len(idx) == len(set(idx.tolist()))  # no image twice
        people, counts = pids[idx].unique(return_counts=True)
        assert len(people) == 6 and all(
            int(c) == min(3, int((pids == p).sum())) for p, c in zip(people, counts, strict=True)
        )
        chosen = set(people.tolist())
        # a person whose look-alike is missing can only be the last one drawn, when the batch was full
        alone = [p for p in chosen if p in partner and partner[p] not in chosen]
        assert len(alone) <= 1
    with pytest.raises(ValueError, match="not in pids"):
        paired_sampler(pids, [(0, 999)])
    with pytest.raises(ValueError, match="2 <= p"):
        paired_sampler(pids, pairs, p=1)


def test_paired_sampler_without_look_alikes_draws_like_pk_sampler(world) -> None:
    from reidlab.experiments.triplets import paired_sampler
    from reidlab.train import pk_sampler

    a, b = paired_sampler(world.train.pids, [], p=5, k=2), pk_sampler(world.train.pids, p=5, k=2)
    ga, gb = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    for _ in range(10):
        assert set(world.train.pids[a(ga)].tolist()) == set(world.train.pids[b(gb)].tolist())


def test_a_sampler_and_p_or_k_are_refused_together(world) -> None:
    from reidlab.train import pk_sampler

    with pytest.raises(ValueError, match="not both"):
        train_method(
            "contrastive",
            world.train.images,
            world.train.pids,
            steps=1,
            p=8,
            sampler=pk_sampler(world.train.pids, 8, 4),
        )


def test_quantize_needs_a_metric_loss(world) -> None:
    with pytest.raises(ValueError, match="quantize adds to a metric loss"):
        train_method("softmax", world.train.images, world.train.pids, steps=1, quantize=1.0)


def test_softmax_classifies_the_unscaled_embedding_and_leaves_the_network_as_built(world) -> None:
    """The classifier reads the embedding before its scaling to unit length; the network is never
    switched to unnormalised and back: it normalises throughout."""
    from reidlab.experiments.triplets import IdentityClassifier
    from reidlab.models import EmbeddingNet

    torch.manual_seed(0)
    emb = EmbeddingNet(dim=8, height=32, width=16)
    model = IdentityClassifier(emb, 8, 5).eval()
    x = torch.rand(6, 3, 32, 16, generator=torch.Generator().manual_seed(1))
    raw = emb.unnormalized(x)
    assert not torch.allclose(raw.norm(dim=1), torch.ones(6))  # the lengths are there to be used
    torch.testing.assert_close(model(x), raw @ model.head.weight.T + model.head.bias)
    net = train_method("softmax", world.train.images, world.train.pids, seed=1, steps=2, p=6, k=3)
    assert net[-1].normalize
