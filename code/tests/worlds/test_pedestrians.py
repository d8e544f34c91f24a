import pytest
import torch
from torch.utils.data import DataLoader

from reidlab.worlds.pedestrians import (
    differences,
    identities,
    look_alike,
    look_alike_pairs,
    random_identity,
    toy_reid,
)


@pytest.fixture(scope="module")
def world():
    return toy_reid(n_train_ids=12, n_test_ids=10, n_cameras=4, per_camera=3, seed=3)


def test_same_seed_same_world_other_seed_other_world(world):
    again = toy_reid(n_train_ids=12, n_test_ids=10, n_cameras=4, per_camera=3, seed=3)
    assert torch.equal(world.train.images, again.train.images)
    assert torch.equal(world.gallery.pids, again.gallery.pids)
    other = toy_reid(n_train_ids=12, n_test_ids=10, n_cameras=4, per_camera=3, seed=4)
    assert other.train.images.shape != world.train.images.shape or not torch.equal(
        other.train.images, world.train.images
    )


def test_shapes_ranges_and_labels(world):
    for split in (world.train, world.query, world.gallery):
        assert split.images.shape[1:] == (3, 64, 32) and split.images.dtype == torch.float32
        assert 0 <= split.images.min() and split.images.max() <= 1
        assert len(split.pids) == len(split.camids) == len(split.images)
        assert split.camids.max() < 4
    assert set(world.train.pids.tolist()) == set(range(12))
    assert set(world.query.pids.tolist()) == set(range(10))


def test_market_style_split(world):
    """One query per (test identity, camera); every query has a correct match in another camera."""
    q, g = world.query, world.gallery
    pairs = list(zip(q.pids.tolist(), q.camids.tolist(), strict=True))
    assert len(pairs) == len(set(pairs))
    for pid, cam in pairs:
        assert ((g.pids == pid) & (g.camids == cam)).sum() == 2  # the other shots: junk for this query
        assert ((g.pids == pid) & (g.camids != cam)).any()  # seen by at least two cameras
    # train and test are different people: train ids index train_identities, test ids test_identities
    assert not set(world.train_identities) & set(world.test_identities)


def test_dataloader_takes_a_split(world):
    images, pids, camids = next(iter(DataLoader(world.train, batch_size=5, shuffle=False)))
    assert images.shape == (5, 3, 64, 32) and pids.tolist() == world.train.pids[:5].tolist()
    assert camids.dtype == torch.int64


def test_look_alike_differs_in_exactly_one_detail():
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        person = random_identity(g)
        twin = look_alike(person, g)
        assert len(differences(person, twin)) == 1, differences(person, twin)


def test_look_alikes_are_neighbours():
    g = torch.Generator().manual_seed(1)
    people = identities(300, 0.5, g)
    pairs = look_alike_pairs(people)
    assert 0.25 * len(people) < len(pairs) < 0.5 * len(people)
    assert all(len(differences(people[i], people[j])) == 1 and j == i + 1 for i, j in pairs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_train_ids": 1}, "at least 2 train"),
        ({"n_cameras": 1}, "n_cameras"),
        ({"per_camera": 1}, "per_camera"),
        ({"look_alike_share": 1.0}, "look_alike_share"),
        ({"size": (8, 8)}, "size"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        toy_reid(**kwargs)


def test_a_mirrored_view_swaps_the_bag_and_moves_one_sided_patterns() -> None:
    from dataclasses import replace

    from reidlab.worlds.pedestrians import Identity

    base = Identity("red", "stripes", "blue", "grey", "trousers", "black", 1.0, 1.0, "left", "white")
    assert base.mirrored() == replace(base, bag="right")
    assert replace(base, bag="none").mirrored() == replace(base, bag="none")
    assert replace(base, top_pattern="logo").mirrored() is None  # the logo changes sides
    assert replace(base, top_pattern="two-tone").mirrored() is None
