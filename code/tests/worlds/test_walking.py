import math

import pytest
import torch

from reidlab.worlds.drawing import Pose, render
from reidlab.worlds.pedestrians import differences, random_camera, random_identity
from reidlab.worlds.walking import KINDS, Gait, corrupt, gait_distance, motion_blur, toy_video, walk_poses


@pytest.fixture(scope="module")
def world():
    return toy_video(n_train_ids=10, n_test_ids=12, n_cameras=3, frames=6, seed=2)


def test_same_seed_same_clips(world):
    again = toy_video(n_train_ids=10, n_test_ids=12, n_cameras=3, frames=6, seed=2)
    assert torch.equal(world.train.clips, again.train.clips)
    assert torch.equal(world.gallery.pids, again.gallery.pids)


def test_shapes_and_split(world):
    for split in (world.train, world.query, world.gallery):
        assert split.clips.shape[1:] == (6, 3, 64, 32)
        assert len(split.pids) == len(split.camids) == len(split.clips) == len(split.corrupted)
        assert not split.corrupted.any()  # clean until corrupted
    assert sorted(world.query.pids.tolist()) == list(range(12))  # one query per test person
    for pid, cam in zip(world.query.pids.tolist(), world.query.camids.tolist(), strict=True):
        others = world.gallery.camids[world.gallery.pids == pid]
        assert len(others) >= 1 and cam not in others.tolist()  # the match is in another camera


def test_look_alikes_walk_differently_and_walk_alikes_alike():
    people = toy_video(n_train_ids=60, n_test_ids=2, n_cameras=2, frames=2, seed=0).train_walkers
    assert people.look_alikes and people.walk_alikes
    for i, j in people.look_alikes:
        assert len(differences(people.identities[i], people.identities[j])) == 1
        assert gait_distance(people.gaits[i], people.gaits[j]) >= 0.4
    for i, j in people.walk_alikes:
        assert people.gaits[i] == people.gaits[j]
        assert len(differences(people.identities[i], people.identities[j])) >= 1


def test_walk_poses_follow_the_gait():
    gait = Gait(cadence=0.25, swing=0.05, bob=0.02)
    pose = walk_poses([gait, gait], frames=8, g=torch.Generator().manual_seed(0))
    assert pose.scene.tolist() == [0] * 8 + [8] * 8  # each clip keeps its first frame's scene
    x = pose.x.view(2, 8)
    assert torch.allclose(x.diff(dim=1), torch.full((2, 7), gait.speed))
    assert pose.stride.abs().max() <= gait.swing + 1e-6 and pose.stride.abs().max() > 0.9 * gait.swing
    assert torch.allclose(pose.lift, gait.bob * (pose.stride / gait.swing).abs(), atol=1e-6)


def test_frames_of_a_scene_share_the_background():
    g = torch.Generator().manual_seed(5)
    cam = random_camera(g)
    person = random_identity(g)
    off = Pose(
        scene=torch.tensor([0, 0, 2]), x=torch.full((3,), 10.0), stride=torch.zeros(3), lift=torch.zeros(3)
    )
    empty = render([person] * 3, [cam] * 3, g, pose=off)  # the person is out of the picture
    same = (empty[0] - empty[1]).abs()
    assert same.mean() < 0.03  # only the sensor noise differs
    assert (empty[0] - empty[2]).abs().mean() > same.mean()  # another scene: other clutter


def test_pose_must_match_the_batch():
    g = torch.Generator().manual_seed(0)
    pose = Pose(torch.arange(2), torch.zeros(2), torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError, match="one entry per image"):
        render([random_identity(g)] * 3, [random_camera(g)] * 3, g, pose=pose)


def test_corrupt_replaces_exactly_the_marked_frames(world):
    g = torch.Generator().manual_seed(0)
    out = corrupt(world.query, world.cameras, g, n_frames=2)
    assert out.corrupted.sum(dim=1).tolist() == [2] * len(out)
    changed = (out.clips != world.query.clips).flatten(2).any(dim=2)
    assert not (changed & ~out.corrupted).any()  # clean frames untouched
    assert changed[out.corrupted].float().mean() > 0.9  # corrupted frames changed
    assert torch.equal(world.query.clips, world.query.clips.clone())  # the input is not modified
    none = corrupt(world.query, world.cameras, g, n_frames=2, share=0.0)
    assert torch.equal(none.clips, world.query.clips) and not none.corrupted.any()


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_corruption(world, kind):
    out = corrupt(world.query, world.cameras, torch.Generator().manual_seed(1), n_frames=1, kinds=(kind,))
    assert out.clips.min() >= 0 and out.clips.max() <= 1
    assert out.corrupted.sum() == len(out)


def test_corrupt_rejects_bad_arguments(world):
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="n_frames"):
        corrupt(world.query, world.cameras, g, n_frames=7)
    with pytest.raises(ValueError, match="share"):
        corrupt(world.query, world.cameras, g, share=1.5)
    with pytest.raises(ValueError, match="kinds"):
        corrupt(world.query, world.cameras, g, kinds=("rain",))


def test_motion_blur_keeps_flat_images_and_smears_edges():
    flat = torch.full((1, 3, 8, 12), 0.3)
    assert torch.allclose(motion_blur(flat), flat)
    edge = torch.zeros(1, 3, 8, 12)
    edge[..., 6:] = 1.0
    blurred = motion_blur(edge, length=5)
    assert torch.allclose(blurred[0, 0, 0, 4:9], torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0]))


def test_toy_video_rejects_bad_arguments():
    with pytest.raises(ValueError, match="frames"):
        toy_video(frames=1)
    with pytest.raises(ValueError, match="walk_alike_share"):
        toy_video(walk_alike_share=1.0)
    with pytest.raises(ValueError, match="size"):
        toy_video(size=(60, 32))


def test_gait_distance_is_a_share_of_the_range():
    a = Gait(0.1, 0.02, 0.0)
    assert gait_distance(a, a) == 0
    assert math.isclose(gait_distance(a, Gait(0.25, 0.02, 0.0)), 1.0)
