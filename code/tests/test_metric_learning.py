"""reidlab.metric_learning: every method trains, deterministically, and beats raw pixels."""

from __future__ import annotations

import pytest
import torch

from reidlab.evaluation import evaluate_rank
from reidlab.metric_learning import METHODS, train_method
from reidlab.pedestrians import toy_reid
from reidlab.siamese import embed


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
