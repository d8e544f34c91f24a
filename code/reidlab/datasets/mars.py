"""MARS (Zheng et al., *MARS: A Video Benchmark for Large-Scale Person Re-identification*, ECCV
2016): read its tracklets, or write the toy world's clips in its layout (capstone chapter, *From
the toy world to Market-1501*).

The layout: ``bbox_train/`` and ``bbox_test/`` hold one folder per person (``0001/``, and in the
test set ``0000/`` for distractors and ``00-1/`` for junk) of frame crops named like
``0001C1T0001F001.jpg``: person 0001, camera 1 (of 6), tracklet 1, frame 1. Which frames make a
tracklet is not in the folders but in ``info/`` (from the MARS-evaluation repository):
``train_name.txt`` and ``test_name.txt`` list every frame file, and ``tracks_train_info.mat`` /
``tracks_test_info.mat`` hold one row per tracklet, in this column order: start and end line in
the name list (1-based, inclusive), person, camera. ``query_IDX.mat`` lists the (1-based) rows
of the test table that are queries. The published counts: 625 training people in 8,298
tracklets; 636 test people in 12,180 tracklets, 1,980 of them queries.

Two galleries are in use. MARS's own evaluation (``test_mars.m`` and ``evaluation_mars.m`` of
MARS-evaluation) ranks every test tracklet, queries included, with person -1 as junk. torchreid
leaves the queries out (9,330 gallery tracklets); several video ReID code bases put them back
(11,310), their comment being that otherwise 140 queries have no true match, their only
other-camera tracklets being queries. ``read_mars`` follows the data set's own protocol by default
(``query_in_gallery=True``); a query's own tracklet is then a same-camera match, which
:func:`reidlab.evaluation.evaluate_rank` removes as junk. ``query_in_gallery=False`` gives
torchreid's gallery.

The ``.mat`` files are read and written with ``scipy.io``, imported when needed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from reidlab.datasets._layout import (
    DISTRACTOR,
    JUNK,
    check_camera,
    check_counts,
    check_quality,
    check_writable,
    lower_half,
    save_jpeg,
    staged,
    test_person,
    train_person,
)
from reidlab.datasets.records import Splits, TrackletRecords, verify_images
from reidlab.worlds.drawing import render
from reidlab.worlds.pedestrians import random_identity
from reidlab.worlds.walking import ClipSet, ToyVideo

TRAIN_DIR, TEST_DIR, INFO = "bbox_train", "bbox_test", "info"
TABLES = {  # split: (frame names, tracklet table, the table's variable name)
    "train": ("train_name.txt", "tracks_train_info.mat", "track_train_info"),
    "test": ("test_name.txt", "tracks_test_info.mat", "track_test_info"),
}
QUERY = ("query_IDX.mat", "query_IDX")
N_CAMERAS, MAX_PERSON = 6, 9999
EXAMPLE = "0001C1T0001F001.jpg"
_NAME = re.compile(r"(\d{4}|00-1)C(\d)T(\d+)F(\d+)\.jpg")


class MarsName(NamedTuple):
    """What a MARS frame name says; ``camera`` is 1-based, as in the name."""

    pid: int
    camera: int
    tracklet: int
    frame: int


def parse_name(name: str) -> MarsName:
    """``"0001C1T0001F001.jpg"`` -> ``MarsName(pid=1, camera=1, tracklet=1, frame=1)``; ``00-1``
    is person -1 (junk). A ``ValueError`` saying what was expected for anything else."""
    match = _NAME.fullmatch(name)
    if match is None:
        raise ValueError(
            f"not a MARS frame name: expected <person>C<camera>T<tracklet>F<frame>.jpg such as {EXAMPLE}"
        )
    person, camera, tracklet, frame = match.groups()
    parsed = MarsName(JUNK if person == "00-1" else int(person), int(camera), int(tracklet), int(frame))
    check_camera(parsed.camera, N_CAMERAS, "MARS")
    return parsed


def folder_name(pid: int) -> str:
    """The folder of person ``pid``'s frames: ``0001``, or ``00-1`` for junk."""
    return "00-1" if pid == JUNK else f"{pid:04d}"


def _scipy_io():
    try:
        import scipy.io
    except ImportError as err:  # pragma: no cover - scipy is installed with the book's requirements
        raise ImportError("MARS's info/*.mat tables need scipy: pip install scipy") from err
    return scipy.io


def _names(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _matrix(path: Path, key: str, columns: int | None) -> np.ndarray:
    """Variable ``key`` of the .mat file at ``path`` as int64, checked for shape and integrality."""
    sio = _scipy_io()
    try:
        mat = sio.loadmat(path)
    except (ValueError, OSError, TypeError, sio.matlab.MatReadError) as err:
        raise ValueError(f"{path}: not a readable MATLAB .mat file ({err})") from err
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise ValueError(f"{path}: no variable {key!r} (found {found})")
    values = np.asarray(mat[key])
    if columns is not None and (values.ndim != 2 or values.shape[1] != columns):
        raise ValueError(
            f"{path}: {key} must be a table of {columns} columns (start index, end index, person, camera), "
            f"got shape {values.shape}"
        )
    if values.size and not np.array_equal(values, np.round(values)):
        raise ValueError(f"{path}: {key} must hold integers")
    return values.astype(np.int64)


def _tracklets(table: np.ndarray, names: list[str], folder: Path, table_path: Path, names_path: Path) -> list:
    """One ``(folder, frame names, pid, camera)`` per row of ``table``, ``None`` for junk rows;
    every row is checked against the name list."""
    out = []
    for row, (start, end, pid, camera) in enumerate(table.tolist(), start=1):
        where = f"{table_path}, row {row}"
        if not 1 <= start <= end <= len(names):
            raise ValueError(
                f"{where}: frames {start} to {end} are not within 1 to {len(names)} ({names_path})"
            )
        if pid < JUNK or pid > MAX_PERSON:
            raise ValueError(
                f"{where}: person {pid} is out of range (-1 for junk, 0 for distractors, or 1 to 9999)"
            )
        try:
            check_camera(camera, N_CAMERAS, "MARS")
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        if pid == JUNK:
            out.append(None)
            continue
        frames = tuple(names[start - 1 : end])
        for line, name in enumerate(frames, start=start):
            try:
                parsed = parse_name(name)
            except ValueError as err:
                raise ValueError(f"{names_path}, line {line}: {name!r}: {err}") from None
            if (parsed.pid, parsed.camera) != (pid, camera):
                raise ValueError(
                    f"{where}: frame {name} (line {line} of {names_path}) shows person {parsed.pid} in "
                    f"camera {parsed.camera}, but the row says person {pid} in camera {camera}"
                )
        out.append((folder / folder_name(pid), frames, pid, camera))
    return out


def _check_frames_exist(tracklets: list, names_path: Path) -> None:
    """Every frame file named by a tracklet exists (one folder listing per person, not a
    ``stat`` per frame: MARS has 1.2 million)."""
    listed: dict[Path, set[str]] = {}
    missing = []
    for folder, frames, _, _ in tracklets:
        if folder not in listed:
            listed[folder] = set(os.listdir(folder)) if folder.is_dir() else set()
        missing += [folder / f for f in frames if f not in listed[folder]]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} frame files named in {names_path} are missing, e.g. {missing[0]}"
            + (f" and {missing[1]}" if len(missing) > 1 else "")
        )


def _records(tracklets: list, relabel: bool) -> TrackletRecords:
    pids = torch.tensor([t[2] for t in tracklets], dtype=torch.long)
    if relabel:
        pids = torch.searchsorted(torch.unique(pids), pids)  # 0..N-1 in the order of the original ids
    camids = torch.tensor([t[3] - 1 for t in tracklets], dtype=torch.long)
    return TrackletRecords(tuple(t[0] for t in tracklets), tuple(t[1] for t in tracklets), pids, camids)


def read_mars(
    root: str | os.PathLike, *, query_in_gallery: bool = True, verify: bool = False
) -> Splits[TrackletRecords]:
    """MARS from ``root`` (the folder holding ``bbox_train/``, ``bbox_test/`` and ``info/``):
    one tracklet per table row, junk rows (person -1) dropped (counted in ``Splits.junk``),
    distractors (person 0) kept in the test set (in the training table they are an error),
    training ids relabelled 0..624 in the order of the original ids, cameras 0-based. The query
    is the rows of ``query_IDX``; the gallery is every test tracklet with ``query_in_gallery``
    (MARS's own protocol, see the module docstring) or the others without (torchreid's).

    Every row is checked against the name lists (its frames exist in the list and their names
    carry the row's person and camera) and every frame file must exist; ``verify`` also decodes
    each frame. Files in the frame folders that the lists do not name are never looked at."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"MARS: root {root} is not a folder; expected one holding {TRAIN_DIR}/, {TEST_DIR}/, {INFO}/"
        )
    info = root / INFO
    needed = [root / TRAIN_DIR, root / TEST_DIR, info / QUERY[0]] + [
        info / f for t in TABLES.values() for f in t[:2]
    ]
    if missing := [str(p) for p in needed if not p.exists()]:
        raise FileNotFoundError(f"MARS: missing {', '.join(missing)}")
    splits, junk = {}, 0
    for split, (names_file, table_file, key) in TABLES.items():
        table = _matrix(info / table_file, key, columns=4)
        folder = root / (TRAIN_DIR if split == "train" else TEST_DIR)
        rows = _tracklets(table, _names(info / names_file), folder, info / table_file, info / names_file)
        junk += sum(t is None for t in rows)
        _check_frames_exist([t for t in rows if t is not None], info / names_file)
        splits[split] = rows
    if any(t is not None and t[2] == DISTRACTOR for t in splits["train"]):
        raise ValueError(
            f"MARS: {info / TABLES['train'][1]} has distractor tracklets (person 0); "
            "they belong to the test set"
        )
    query_rows = _matrix(info / QUERY[0], QUERY[1], columns=None).ravel()
    test = splits["test"]
    if len(query_rows) == 0 or query_rows.min() < 1 or query_rows.max() > len(test):
        raise ValueError(
            f"{info / QUERY[0]}: query rows must lie in 1 to {len(test)} (the rows of the test table)"
        )
    if len(set(query_rows.tolist())) != len(query_rows):
        raise ValueError(f"{info / QUERY[0]}: query rows must not repeat")
    is_query = np.zeros(len(test), dtype=bool)
    is_query[query_rows - 1] = True
    parts = {
        "train": [t for t in splits["train"] if t is not None],
        "query": [test[r - 1] for r in query_rows.tolist() if test[r - 1] is not None],
        "gallery": [
            t for t, q in zip(test, is_query, strict=True) if t is not None and (query_in_gallery or not q)
        ],
    }
    for split, tracklets in parts.items():
        if not tracklets:
            raise ValueError(f"MARS: the {split} split has no tracklets (junk dropped) in {root}")
    records = {split: _records(t, relabel=split == "train") for split, t in parts.items()}
    if verify:
        verify_images([p for r in records.values() for i in range(len(r)) for p in r.paths(i)])
    return Splits(records["train"], records["query"], records["gallery"], root, junk)


def write_mars(
    video: ToyVideo,
    root: str | os.PathLike,
    *,
    junk: int = 0,
    distractors: int = 0,
    seed: int = 0,
    quality: int = 95,
) -> Path:
    """Write ``video`` (from :func:`reidlab.worlds.walking.toy_video`) in MARS's layout into ``root``
    (new or empty), with the ``info/`` name lists and ``.mat`` tables; returns ``root``.

    Person ids and cameras as in :func:`~reidlab.datasets.market1501.write_market1501`. The test
    table lists each test person's clips in the toy world's order, the query clip first (its row
    goes to ``query_IDX``); before them come ``junk`` tracklets of person -1 (the lower half of a
    random test clip) and ``distractors`` of person 0 (a random person of no test identity), drawn
    from ``seed``, as MARS's sorted folders ``00-1/`` and ``0000/`` would list them."""
    splits = (video.train, video.query, video.gallery)
    n_train, n_test = len(video.train_walkers.identities), len(video.test_walkers.identities)
    check_writable(splits, n_train, n_test, N_CAMERAS, MAX_PERSON, "MARS")
    check_counts(junk=junk, distractors=distractors)
    check_quality(quality)
    g = torch.Generator().manual_seed(seed)
    frames, size = video.query.clips.shape[1], tuple(video.query.clips.shape[-2:])

    def rows(clips: ClipSet, person: Callable[[int], int], query: bool) -> list[tuple]:
        """``(clip, person id on disk, camera 1-based, is a query)`` per clip."""
        return [
            (x, person(int(p)), int(c) + 1, query)
            for x, p, c in zip(clips.clips, clips.pids, clips.camids, strict=True)
        ]

    test = rows(video.query, test_person, True) + rows(video.gallery, test_person, False)
    test.sort(key=lambda t: (t[1], not t[3]))  # by person, the query first; stable: the toy world's order
    extra = []
    for _ in range(junk):
        clip, _, camera, _ = test[int(torch.randint(len(test), (1,), generator=g))]
        extra.append((lower_half(clip), JUNK, camera, False))
    for _ in range(distractors):
        camera = int(torch.randint(len(video.cameras), (1,), generator=g))
        clip = render([random_identity(g)] * frames, [video.cameras[camera]] * frames, g, size)
        extra.append((clip, DISTRACTOR, camera + 1, False))
    train = rows(video.train, train_person, False)
    sio = _scipy_io()
    with staged(Path(root)) as out:
        (out / INFO).mkdir()
        for split, tracklets in (("train", train), ("test", extra + test)):
            names_file, table_file, key = TABLES[split]
            folder, names, table, counter = out / (TRAIN_DIR if split == "train" else TEST_DIR), [], [], {}
            for clip, pid, camera, _ in tracklets:
                counter[pid] = number = counter.get(pid, 0) + 1
                (folder / folder_name(pid)).mkdir(parents=True, exist_ok=True)
                start = len(names) + 1
                for f, frame in enumerate(clip, start=1):
                    names.append(f"{folder_name(pid)}C{camera}T{number:04d}F{f:03d}.jpg")
                    save_jpeg(frame, folder / folder_name(pid) / names[-1], quality)
                table.append((start, len(names), pid, camera))
            (out / INFO / names_file).write_text("\n".join(names) + "\n", encoding="utf-8")
            sio.savemat(out / INFO / table_file, {key: np.array(table, dtype=np.int32)})
        query_rows = [r for r, t in enumerate(extra + test, start=1) if t[3]]
        sio.savemat(out / INFO / QUERY[0], {QUERY[1]: np.array(query_rows, dtype=np.int32)})
    return Path(root)
