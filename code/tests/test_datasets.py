"""reidlab.datasets: the readers on folders written in each exact layout from the toy world.

Counts follow the protocol (junk dropped, distractors in the gallery only, training ids
relabelled contiguous, cameras 0-based), images come back equal to the toy ones up to JPEG
error, and every bad layout is an error that names the path and what was expected."""

import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image
from torch.utils.data import DataLoader

from reidlab.datasets import (
    _layout,
    dukemtmc,
    market1501,
    mars,
    read_dukemtmc,
    read_market1501,
    read_mars,
    write_dukemtmc,
    write_market1501,
    write_mars,
)
from reidlab.datasets.records import Splits, frame_indices
from reidlab.evaluation import evaluate_rank
from reidlab.train import pk_sampler
from reidlab.worlds.pedestrians import toy_reid
from reidlab.worlds.walking import toy_video

JPEG_MEAN, JPEG_MAX = 0.02, 0.2  # measured at quality 95, 4:4:4: mean 0.012, largest pixel error 0.09
N_JUNK, N_DISTRACTORS = 3, 4


@pytest.fixture(scope="module")
def world():
    return toy_reid(n_train_ids=8, n_test_ids=6, n_cameras=6, per_camera=2, seed=0)


@pytest.fixture(scope="module")
def video():
    return toy_video(n_train_ids=6, n_test_ids=5, n_cameras=4, frames=4, seed=0)


@pytest.fixture(scope="module")
def market(world, tmp_path_factory):
    return write_market1501(world, tmp_path_factory.mktemp("m"), junk=N_JUNK, distractors=N_DISTRACTORS)


@pytest.fixture(scope="module")
def duke(world, tmp_path_factory):
    return write_dukemtmc(world, tmp_path_factory.mktemp("d"), distractors=N_DISTRACTORS)


@pytest.fixture(scope="module")
def mars_root(video, tmp_path_factory):
    return write_mars(video, tmp_path_factory.mktemp("v") / "MARS", junk=2, distractors=2)


class Layout(NamedTuple):
    """An image data set written from the toy world, and how to read it."""

    root: Path
    read: Callable[..., Splits]
    example: str  # a file name of the real pattern, without its suffix


@pytest.fixture(params=["market1501", "dukemtmc"])
def layout(request, market, duke) -> Layout:
    """Each image layout in turn, for the bad cases they share."""
    if request.param == "market1501":
        return Layout(market, read_market1501, market1501.EXAMPLE.removesuffix(".jpg"))
    return Layout(duke, read_dukemtmc, dukemtmc.EXAMPLE.removesuffix(".jpg"))


def copy(src: Path, tmp_path: Path) -> Path:
    """A private copy of a written data set, to break."""
    return Path(shutil.copytree(src, tmp_path / src.name))


def close_to(read: torch.Tensor, toy: torch.Tensor) -> bool:
    err = (read - toy).abs()
    return read.shape == toy.shape and float(err.mean()) < JPEG_MEAN and float(err.max()) < JPEG_MAX


# --- Market-1501 -------------------------------------------------------------------------------


def test_market_layout_and_names(market):
    assert market.name == "Market-1501-v15.09.15"
    assert sorted(p.name for p in market.iterdir()) == ["bounding_box_test", "bounding_box_train", "query"]
    names = sorted(p.name for p in (market / "bounding_box_test").iterdir())
    assert sum(n.startswith("-1_c") for n in names) == N_JUNK
    assert sum(n.startswith("0000_c") for n in names) == N_DISTRACTORS
    assert all(market1501.parse_name(n).box == 0 for n in (p.name for p in (market / "query").iterdir()))
    assert market1501.parse_name("0002_c1s1_000451_03.jpg") == (2, 1, 1, 451, 3)


def test_market_counts_follow_the_protocol(world, market):
    data = read_market1501(market)
    assert len(data.train) == len(world.train) and len(data.query) == len(world.query)
    assert len(data.gallery) == len(world.gallery) + N_DISTRACTORS  # junk dropped, distractors kept
    assert data.junk == N_JUNK and data.ignored == ()
    assert torch.equal(data.train.pids, world.train.pids)  # relabelled 0..N-1, in the toy order
    assert set(data.train.pids.tolist()) == set(range(8))
    assert torch.equal(data.query.pids, 2 * world.query.pids + 1)  # query ids stay the originals
    assert int((data.gallery.pids == 0).sum()) == N_DISTRACTORS and not (data.gallery.pids < 0).any()
    assert not (data.query.pids == 0).any()
    person = data.gallery.pids > 0
    assert torch.equal(data.gallery.pids[person], 2 * world.gallery.pids + 1)
    for split in ("train", "query"):
        assert torch.equal(getattr(data, split).camids, getattr(world, split).camids)  # 0-based
    assert torch.equal(data.gallery.camids[person], world.gallery.camids)
    assert data.statistics()["train"] == {"ids": 8, "images": len(world.train), "cameras": 6}
    assert data.statistics()["gallery"]["ids"] == 6 + 1  # the test people and the distractors


def test_market_relabels_in_the_order_of_the_original_ids(market):
    train = read_market1501(market).train
    raw = torch.tensor([market1501.parse_name(p.name).pid for p in train.paths])
    assert torch.equal(train.pids, torch.unique(raw, return_inverse=True)[1])


def test_market_round_trip_up_to_jpeg_error(world, market):
    data = read_market1501(market)
    assert close_to(data.train.load(), world.train.images)
    assert close_to(data.query.to_reidset().images, world.query.images)
    person = torch.nonzero(data.gallery.pids > 0).flatten()
    assert close_to(data.gallery.load(person), world.gallery.images)


def test_evaluation_and_sampling_run_unchanged(world, market):
    """Ranking the read splits scores exactly as ranking the toy splits (same distances)."""
    data = read_market1501(market)
    person = torch.nonzero(data.gallery.pids > 0).flatten()
    gallery = data.gallery.subset(person)
    d = torch.rand(len(world.query), len(world.gallery), generator=torch.Generator().manual_seed(0))
    toy = evaluate_rank(d, world.query.pids, world.gallery.pids, world.query.camids, world.gallery.camids)
    read = evaluate_rank(d, data.query.pids, gallery.pids, data.query.camids, gallery.camids)
    assert toy.mAP == read.mAP and torch.equal(toy.cmc, read.cmc)
    batch = pk_sampler(data.train.pids, p=2, k=2)(torch.Generator().manual_seed(0))
    assert data.train.load(batch, size=(32, 16)).shape == (4, 3, 32, 16)


def test_splits_decode_into_memory_once(market, mars_root):
    data = read_market1501(market)
    decoded = data.to_reidsets()
    for split in ("train", "query", "gallery"):
        records, reidset = getattr(data, split), getattr(decoded, split)
        assert torch.equal(reidset.images, records.load()) and torch.equal(reidset.pids, records.pids)
        assert torch.equal(reidset.camids, records.camids)
    assert (decoded.root, decoded.junk, decoded.ignored) == (data.root, data.junk, data.ignored)
    with pytest.raises(ValueError, match=r"would take .* GB .*max_bytes"):
        data.to_reidsets(max_bytes=1000)
    with pytest.raises(TypeError, match=r"to_reidsets needs image records, got TrackletRecords"):
        read_mars(mars_root).to_reidsets()


def test_dataset_feeds_a_dataloader(world, market):
    train = read_market1501(market).train
    flip = train.dataset(transform=lambda x: x.flip(-1))
    images, pids, camids = next(iter(DataLoader(flip, batch_size=5)))
    assert images.shape == (5, 3, 64, 32) and torch.equal(pids, world.train.pids[:5])
    assert close_to(images, world.train.images[:5].flip(-1)) and camids.dtype == torch.int64


def test_root_may_be_the_parent_or_the_data_set_folder(market):
    a, b = read_market1501(market), read_market1501(market.parent)
    assert a.root == b.root == market and a.train.paths == b.train.paths


def test_stray_files_are_ignored_and_listed(layout, tmp_path):
    root = copy(layout.root, tmp_path)
    strays = [
        root / "bounding_box_test" / "Thumbs.db",
        root / "query" / "readme.txt",
        root / "query" / "notes",
    ]
    strays[0].write_bytes(b"\0" * 10)
    strays[1].write_text("hello")
    strays[2].mkdir()
    data = layout.read(root)
    assert sorted(data.ignored) == sorted(strays) and len(data.query) == len(layout.read(layout.root).query)


def test_missing_root_and_split_name_the_path(layout, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere.*not a folder"):
        layout.read(tmp_path / "nowhere")
    root = copy(layout.root, tmp_path)
    shutil.rmtree(root / "query")
    with pytest.raises(FileNotFoundError, match=rf"missing .*{re.escape(layout.root.name)}/query"):
        layout.read(root)
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        FileNotFoundError,
        match=rf"missing .*empty/bounding_box_train.*expected {re.escape(layout.root.name)}",
    ):
        layout.read(tmp_path / "empty")


@pytest.mark.parametrize(
    ("name", "folder", "expected"),
    [
        (
            "0002_c1_000451.jpg",
            "bounding_box_train",
            r"expected <person>_c<camera>s<sequence>.*0002_c1s1_000451_03",
        ),
        (
            "0002_c7s1_000451_01.jpg",
            "bounding_box_train",
            "camera 7 is out of range: Market-1501 has cameras 1 to 6",
        ),
        ("0002_c0s1_000451_01.jpg", "query", "camera 0 is out of range"),
        ("1502_c1s1_000451_01.jpg", "bounding_box_test", "person 1502 is out of range"),
        ("0002_c1s1_000451_01.JPG", "bounding_box_train", "not a Market-1501 image name"),
        ("0000_c1s1_000451_00.jpg", "query", "distractor images .*query.*gallery only"),
        ("0000_c1s1_000451_01.jpg", "bounding_box_train", "distractor images"),
    ],
)
def test_bad_names_are_errors_naming_the_file(market, tmp_path, name, folder, expected):
    root = copy(market, tmp_path)
    shutil.copy(next((root / "query").iterdir()), root / folder / name)
    with pytest.raises(ValueError, match=expected) as err:
        read_market1501(root)
    assert name in str(err.value)


def test_many_bad_names_make_one_error(layout, tmp_path):
    root = copy(layout.root, tmp_path)
    for k in range(7):
        (root / "query" / f"bad{k}.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match=r"7 file names in .*query are malformed(.|\n)*and 2 more") as err:
        layout.read(root)
    assert sum(f"bad{k}.jpg" in str(err.value) for k in range(7)) == 5  # the first five, by name


def test_an_empty_split_is_an_error(layout, tmp_path):
    root = copy(layout.root, tmp_path)
    for p in (root / "query").iterdir():
        p.unlink()
    with pytest.raises(
        ValueError, match=rf"no images in .*query; expected .jpg files named like {layout.example}"
    ):
        layout.read(root)


def test_a_split_of_only_junk_is_an_error(market, tmp_path):
    root = copy(market, tmp_path)
    for k, p in enumerate((root / "bounding_box_train").iterdir()):
        p.rename(p.with_name(f"-1_c1s1_{k:06d}_01.jpg"))
    with pytest.raises(ValueError, match=r"no images in .*bounding_box_train \(\d+ junk images dropped\)"):
        read_market1501(root)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_jpeg_named_when_loaded_or_verified(layout, tmp_path, damage):
    root = copy(layout.root, tmp_path)
    victim = sorted((root / "bounding_box_train").iterdir())[3]
    data = victim.read_bytes()
    victim.write_bytes(
        {"garbage": b"not a jpeg" * 20, "truncated": data[: len(data) // 2], "empty": b""}[damage]
    )
    train = layout.read(root).train  # listing reads names only
    k = train.paths.index(victim)
    assert train.load([i for i in range(len(train)) if i != k][:2]).shape[0] == 2
    with pytest.raises(ValueError, match=rf"{re.escape(str(victim))}: not a readable JPEG image"):
        train.load([k])
    with pytest.raises(ValueError, match=rf"1 of \d+ image files cannot be read:\n{re.escape(str(victim))}"):
        layout.read(root, verify=True)


def test_verify_passes_on_a_clean_folder_and_a_moved_file_is_named(layout, tmp_path):
    root = copy(layout.root, tmp_path)
    train = layout.read(root, verify=True).train
    train.paths[0].unlink()
    with pytest.raises(FileNotFoundError, match=rf"{re.escape(str(train.paths[0]))}: image file not found"):
        train.load([0])


def test_images_of_other_sizes_need_a_size(market, tmp_path):
    root = copy(market, tmp_path)
    odd = sorted((root / "query").iterdir())[1]
    Image.new("RGB", (20, 50), (200, 10, 10)).save(odd)  # (W, H): a box of another shape
    query = read_market1501(root).query
    with pytest.raises(ValueError, match=rf"{re.escape(str(odd))} has shape .*pass size=\(height, width\)"):
        query.load([0, 1])
    assert query.load([0, 1], size=(64, 32)).shape == (2, 3, 64, 32)
    assert torch.allclose(
        query.load([1], size=(64, 32))[0, :, 30, 16], torch.tensor([200, 10, 10]) / 255, atol=0.03
    )


def test_records_guard_memory_and_indices(market):
    train = read_market1501(market).train
    with pytest.raises(ValueError, match=r"would take .* GB .*max_bytes"):
        train.to_reidset(max_bytes=1000)
    with pytest.raises(IndexError, match=r"indices must lie in"):
        train.load([len(train)])
    with pytest.raises(ValueError, match=r"size must be"):
        train.load([0], size=(64,))
    small = train.subset([0, 5])
    assert (
        small.paths == (train.paths[0], train.paths[5]) and small.pids.tolist() == train.pids[[0, 5]].tolist()
    )


# --- writers -----------------------------------------------------------------------------------


def test_writer_refuses_what_the_layout_cannot_hold(world, tmp_path):
    with pytest.raises(FileExistsError, match=r"already exists and is not empty"):
        (tmp_path / "Market-1501-v15.09.15").mkdir()
        (tmp_path / "Market-1501-v15.09.15" / "x").write_text("")
        write_market1501(world, tmp_path)
    seven = replace(world, gallery=replace(world.gallery, camids=world.gallery.camids.clamp(max=5) + 1))
    with pytest.raises(ValueError, match=r"cameras 1 to 6; this world has 7"):
        write_market1501(seven, tmp_path / "a")
    crowd = replace(world, train_identities=world.train_identities * 100)
    with pytest.raises(ValueError, match=r"person ids stop at 1501; this world would need 1600"):
        write_market1501(crowd, tmp_path / "b")
    with pytest.raises(ValueError, match=r"junk must be a non-negative int"):
        write_market1501(world, tmp_path / "c", junk=-1)
    with pytest.raises(ValueError, match=r"quality must be"):
        write_dukemtmc(world, tmp_path / "c", quality=0)
    assert not any((tmp_path / d).exists() for d in ("a", "b", "c"))


def test_an_interrupted_writer_leaves_nothing(world, tmp_path, monkeypatch):
    calls = []

    def failing_save(image, path, quality):
        calls.append(path)
        if len(calls) == 10:
            raise KeyboardInterrupt

    monkeypatch.setattr(_layout, "save_jpeg", failing_save)
    with pytest.raises(KeyboardInterrupt):
        write_market1501(world, tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- DukeMTMC-reID -----------------------------------------------------------------------------


def test_duke_counts_names_and_round_trip(world, duke):
    assert duke.name == "DukeMTMC-reID"
    assert dukemtmc.parse_name("0001_c2_f0046182.jpg") == (1, 2, 46182)
    data = read_dukemtmc(duke.parent)
    assert (len(data.train), len(data.query)) == (len(world.train), len(world.query))
    assert len(data.gallery) == len(world.gallery) + N_DISTRACTORS and data.junk == 0
    assert torch.equal(data.train.pids, world.train.pids)
    assert torch.equal(data.query.pids, 2 * world.query.pids + 1)
    extra = data.gallery.pids[~torch.isin(data.gallery.pids, data.query.pids)]
    assert (
        len(extra) == N_DISTRACTORS == len(extra.unique())
    )  # distractor people: one image each, never queried
    assert not torch.isin(extra, data.train.pids * 2 + 2).any()
    assert close_to(data.train.load(), world.train.images)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("0002_c9_f0000120.jpg", "camera 9 is out of range: DukeMTMC-reID has cameras 1 to 8"),
        ("0002_c1s1_000451_01.jpg", r"expected <person>_c<camera>_f<frame>.jpg such as 0001_c2_f0046182"),
        ("-1_c1_f0000120.jpg", "not a DukeMTMC-reID image name"),
    ],
)
def test_duke_bad_names(duke, tmp_path, name, expected):
    root = copy(duke, tmp_path)
    shutil.copy(next((root / "query").iterdir()), root / "bounding_box_test" / name)
    with pytest.raises(ValueError, match=expected) as err:
        read_dukemtmc(root)
    assert name in str(err.value)


def test_duke_accepts_camera_8(duke, tmp_path):
    root = copy(duke, tmp_path)
    shutil.copy(next((root / "query").iterdir()), root / "bounding_box_test" / "0001_c8_f0000120.jpg")
    assert int(read_dukemtmc(root).gallery.camids.max()) == 7


# --- MARS --------------------------------------------------------------------------------------


def test_mars_tables_in_the_real_column_order(video, mars_root):
    info = mars_root / "info"
    names = (info / "test_name.txt").read_text().split()
    table = scipy.io.loadmat(info / "tracks_test_info.mat")["track_test_info"]
    assert table.shape == (2 + 2 + len(video.query) + len(video.gallery), 4)
    start, end, pid, _ = table.T
    assert start[0] == 1 and end[-1] == len(names) and (start[1:] == end[:-1] + 1).all()
    for s, e, p, c in table:
        assert {mars.parse_name(n)[:2] for n in names[s - 1 : e]} == {(p, c)}
    query = scipy.io.loadmat(info / "query_IDX.mat")["query_IDX"].ravel()
    assert sorted(pid[query - 1].tolist()) == sorted((2 * video.query.pids + 1).tolist())
    assert list(pid[:4]) == [-1, -1, 0, 0] and (mars_root / "bbox_test" / "00-1").is_dir()
    assert (
        mars.parse_name("0001C1T0001F001.jpg") == (1, 1, 1, 1)
        and mars.parse_name("00-1C2T0003F010.jpg").pid == -1
    )


@pytest.mark.parametrize("query_in_gallery", [True, False])
def test_mars_counts_follow_the_protocol(video, mars_root, query_in_gallery):
    data = read_mars(mars_root, query_in_gallery=query_in_gallery)
    assert data.junk == 2 and len(data.train) == len(video.train)
    assert torch.equal(data.train.pids, video.train.pids) and torch.equal(
        data.train.camids, video.train.camids
    )
    assert torch.equal(data.query.pids, 2 * video.query.pids + 1)
    assert torch.equal(data.query.camids, video.query.camids)
    expected = len(video.gallery) + 2 + (len(video.query) if query_in_gallery else 0)
    assert len(data.gallery) == expected and int((data.gallery.pids == 0).sum()) == 2
    assert not (data.gallery.pids < 0).any()
    n = len(video.train)
    assert data.statistics()["train"] == {"ids": 6, "tracklets": n, "frames": 4 * n, "cameras": 4}


def test_mars_round_trip_and_scoring(video, mars_root):
    data = read_mars(mars_root)
    assert close_to(data.train.to_clipset(frames=4).clips, video.train.clips)
    assert close_to(data.query.load(frames=None), video.query.clips)
    d = torch.rand(len(data.query), len(data.gallery), generator=torch.Generator().manual_seed(0))
    result = evaluate_rank(d, data.query.pids, data.gallery.pids, data.query.camids, data.gallery.camids)
    assert result.n_skipped == 0  # every query has a match in another camera


def test_mars_frame_sampling(mars_root):
    train = read_mars(mars_root).train
    assert (
        frame_indices(4, 2) == [0, 3]
        and frame_indices(4, 6) == [0, 1, 1, 2, 2, 3]
        and frame_indices(5, 1) == [2]
    )
    clips = train.load([0], frames=6)
    assert clips.shape == (1, 6, 3, 64, 32) and torch.equal(clips[0, 1], clips[0, 2])
    assert torch.equal(train.load([0], frames=2)[0], train.load([0], frames=None)[0, [0, 3]])
    with pytest.raises(ValueError, match=r"frames must be None or a positive int"):
        train.load([0], frames=0)


def edit_table(root: Path, file: str, key: str, edit) -> None:
    path = root / "info" / file
    table = scipy.io.loadmat(path)[key]
    scipy.io.savemat(path, {key: edit(table.copy())})


def set_cell(row: int, col: int, value: int):
    def edit(t):
        t[row, col] = value
        return t

    return edit


TRAIN = ("tracks_train_info.mat", "track_train_info")
TEST = ("tracks_test_info.mat", "track_test_info")
QUERY = ("query_IDX.mat", "query_IDX")


@pytest.mark.parametrize(
    ("table", "edit", "expected"),
    [
        (
            TRAIN,
            set_cell(0, 3, 7),
            r"tracks_train_info.mat, row 1: camera 7 is out of range: MARS has cameras 1 to 6",
        ),
        (
            TRAIN,
            set_cell(1, 2, 4),
            r"row 2: frame 0002C.*shows person 2 in camera \d, but the row says person 4",
        ),
        (TRAIN, set_cell(0, 2, 0), r"shows person 2 .* but the row says person 0"),
        (
            TEST,
            set_cell(5, 1, 10**6),
            r"tracks_test_info.mat, row 6: frames \d+ to 1000000 are not within 1 to \d+",
        ),
        (
            TRAIN,
            lambda t: t[:, :3],
            r"must be a table of 4 columns \(start index, end index, person, camera\)",
        ),
        (QUERY, lambda q: q + 1000, r"query_IDX.mat: query rows must lie in 1 to"),
        (QUERY, lambda q: np.concatenate([q, q], axis=1), r"query_IDX.mat: query rows must not repeat"),
    ],
)
def test_mars_bad_tables(mars_root, tmp_path, table, edit, expected):
    root = copy(mars_root, tmp_path)
    edit_table(root, *table, edit)
    with pytest.raises(ValueError, match=expected):
        read_mars(root)


def test_mars_distractors_in_training_and_bad_names_in_the_list(mars_root, tmp_path):
    root = copy(mars_root, tmp_path)
    names = (root / "info" / "train_name.txt").read_text().split()
    first = [n for n in names if n.startswith("0002") and "T0001F" in n]  # the first training tracklet
    (root / "bbox_train" / "0000").mkdir()
    for n in first:  # moved to person 0000, files and list alike
        (root / "bbox_train" / "0002" / n).rename(root / "bbox_train" / "0000" / ("0000" + n[4:]))
    names = ["0000" + n[4:] if n in first else n for n in names]
    (root / "info" / "train_name.txt").write_text("\n".join(names))
    edit_table(root, "tracks_train_info.mat", "track_train_info", set_cell(0, 2, 0))
    with pytest.raises(ValueError, match=r"tracks_train_info.mat has distractor tracklets"):
        read_mars(root)
    names[1] = "frame2.jpg"
    (root / "info" / "train_name.txt").write_text("\n".join(names))
    with pytest.raises(
        ValueError, match=r"train_name.txt, line 2: 'frame2.jpg': not a MARS frame name: expected"
    ):
        read_mars(root)


def test_mars_missing_files_are_named(mars_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"MARS: root .* is not a folder"):
        read_mars(tmp_path / "nowhere")
    root = copy(mars_root, tmp_path)
    (root / "info" / "query_IDX.mat").unlink()
    shutil.rmtree(root / "bbox_train")
    with pytest.raises(FileNotFoundError, match=r"missing .*MARS/bbox_train, .*info/query_IDX.mat"):
        read_mars(root)
    root = copy(mars_root, tmp_path / "again")
    victim = sorted((root / "bbox_test" / "0001").iterdir())[2]
    victim.unlink()
    with pytest.raises(
        FileNotFoundError,
        match=rf"1 frame files named in .*test_name.txt are missing, e.g. {re.escape(str(victim))}",
    ):
        read_mars(root)


def test_mars_stray_files_are_never_read(mars_root, tmp_path):
    root = copy(mars_root, tmp_path)
    (root / "bbox_test" / "0001" / "Thumbs.db").write_bytes(b"\0" * 10)
    (root / "bbox_train" / ".DS_Store").write_bytes(b"\0" * 10)
    (root / "info" / "readme.txt").write_text("hello")
    (root / "bbox_test" / "0001" / "0001C1T0009F001.jpg").write_bytes(b"not a jpeg, in no list")
    data, clean = read_mars(root, verify=True), read_mars(mars_root)
    for split in ("train", "query", "gallery"):
        a, b = getattr(data, split), getattr(clean, split)
        assert a.frames == b.frames and torch.equal(a.pids, b.pids) and torch.equal(a.camids, b.camids)


def test_mars_corrupt_frame_and_unreadable_table(mars_root, tmp_path):
    root = copy(mars_root, tmp_path)
    victim = sorted((root / "bbox_test" / "0003").iterdir())[0]
    victim.write_bytes(b"broken")
    data = read_mars(root)
    with pytest.raises(ValueError, match=rf"{re.escape(str(victim))}: not a readable JPEG"):
        data.gallery.load()
    with pytest.raises(ValueError, match=rf"cannot be read:\n{re.escape(str(victim))}"):
        read_mars(root, verify=True)
    (root / "info" / "tracks_test_info.mat").write_bytes(b"not a mat file")
    with pytest.raises(ValueError, match=r"tracks_test_info.mat: not a readable MATLAB .mat file"):
        read_mars(root)
    scipy.io.savemat(root / "info" / "tracks_test_info.mat", {"tracks": np.zeros((2, 4))})
    with pytest.raises(ValueError, match=r"no variable 'track_test_info' \(found \['tracks'\]\)"):
        read_mars(root)


def test_mars_writer_refuses_a_used_folder_and_too_many_cameras(video, mars_root, tmp_path):
    with pytest.raises(FileExistsError, match=r"already exists"):
        write_mars(video, mars_root)
    six = replace(video, train=replace(video.train, camids=video.train.camids + 3))
    with pytest.raises(ValueError, match=r"MARS has cameras 1 to 6; this world has 7"):
        write_mars(six, tmp_path / "x")
