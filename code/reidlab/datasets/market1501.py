"""Market-1501 (Zheng et al., *Scalable Person Re-identification: A Benchmark*, ICCV 2015): read it
from its folders, or write the toy world in its layout (capstone chapter, *From the toy world to
Market-1501*).

The layout: ``Market-1501-v15.09.15/`` holds ``bounding_box_train/`` (12,936 images of 751
people), ``query/`` (3,368 images of 750 other people, at most one per person and camera) and
``bounding_box_test/`` (19,732 images: the gallery). A file name says who and where:
``0002_c1s1_000451_03.jpg`` is person 0002, camera 1 (of 6), sequence 1, frame 451, box 3 of
that frame. Two ids are not people. The boxes came from a detector, and the data set's page grades
each against a hand-drawn one: ``0000`` marks a **distractor** (overlap under 20 %: a false
alarm), kept in the gallery; ``-1`` marks **junk** (overlap between 20 and 50 %: "of zero
influence" on the score), dropped. What is left of the gallery is 15,913 images of 751 ids (the
750 people and the distractors), as torchreid and fast-reid count it: 3,819 junk images dropped.
No query is a distractor, so a distractor is never a correct match, only one more image to rank
below the true ones.

Left out: the 500,000 extra distractors (``images/``, torchreid's ``market1501_500k``), and
``gt_bbox/`` and ``gt_query/`` (hand-drawn boxes and the multi-query annotations).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from reidlab.datasets._layout import (
    DISTRACTOR,
    JUNK,
    check_camera,
    check_quality,
    check_writable,
    read_image_splits,
    staged,
    toy_splits,
    write_images,
)
from reidlab.datasets.records import ImageRecords, Splits
from reidlab.worlds.pedestrians import ToyReid

FOLDER = "Market-1501-v15.09.15"
SPLITS = {"train": "bounding_box_train", "query": "query", "gallery": "bounding_box_test"}
N_CAMERAS, MAX_PERSON = 6, 1501
EXAMPLE = "0002_c1s1_000451_03.jpg"
_NAME = re.compile(r"(-1|\d{4})_c(\d)s(\d+)_(\d+)_(\d+)\.jpg")


class MarketName(NamedTuple):
    """What a Market-1501 file name says; ``camera`` is 1-based, as in the name."""

    pid: int
    camera: int
    sequence: int
    frame: int
    box: int


def parse_name(name: str) -> MarketName:
    """``"0002_c1s1_000451_03.jpg"`` -> ``MarketName(pid=2, camera=1, sequence=1, frame=451, box=3)``;
    a ``ValueError`` saying what was expected for anything else."""
    match = _NAME.fullmatch(name)
    if match is None:
        raise ValueError(
            f"not a Market-1501 image name: expected <person>_c<camera>s<sequence>_<frame>_<box>.jpg "
            f"such as {EXAMPLE}, the person -1 (junk), 0000 (distractor) or 0001 to {MAX_PERSON}"
        )
    parsed = MarketName(*map(int, match.groups()))
    if parsed.pid > MAX_PERSON:
        raise ValueError(
            f"person {parsed.pid} is out of range: Market-1501's people are 0001 to {MAX_PERSON}"
        )
    check_camera(parsed.camera, N_CAMERAS, "Market-1501")
    return parsed


def read_market1501(root: str | os.PathLike, *, verify: bool = False) -> Splits[ImageRecords]:
    """Market-1501 from ``root/Market-1501-v15.09.15/`` (or from ``root`` if it holds the three
    split folders itself), under the protocol of torchreid and fast-reid:

    * junk images (person -1) are dropped from every split (counted in ``Splits.junk``);
    * distractors (person 0000) are kept, in the gallery only (anywhere else is an error);
    * training ids are relabelled 0..750 in the order of the original ids, for the ID loss;
      query and gallery keep the original ids (0 for distractors);
    * cameras become 0-based (camera 1 is camid 0), as in the toy world;
    * files that are not images (no ``.jpg``/``.jpeg`` suffix: ``Thumbs.db``, a ``readme.txt``)
      are ignored and listed in ``Splits.ignored``; an image with a malformed name, a person
      past 1501 or a camera outside 1-6 is an error.

    Only file names are read, unless ``verify``: then every image is decoded, and a file that
    cannot be is an error (otherwise it is one when it is loaded). Nothing is returned unless
    every split reads cleanly."""
    return read_image_splits(
        root, "Market-1501", FOLDER, SPLITS, lambda name: parse_name(name)[:2], EXAMPLE, True, verify
    )


def file_name(pid: int, camera: int, frame: int, box: int = 1) -> str:
    """The Market-1501 name of person ``pid`` (-1 for junk, 0 for a distractor) in ``camera``
    (1-based); sequence 1."""
    person = "-1" if pid == JUNK else f"{pid:04d}"
    return f"{person}_c{camera}s1_{frame:06d}_{box:02d}.jpg"


def write_market1501(
    world: ToyReid,
    root: str | os.PathLike,
    *,
    junk: int = 0,
    distractors: int = 0,
    seed: int = 0,
    quality: int = 95,
) -> Path:
    """Write ``world`` (from :func:`reidlab.worlds.pedestrians.toy_reid`) as JPEGs in Market-1501's
    layout under ``root``; returns the ``Market-1501-v15.09.15`` folder.

    Toy training identity ``p`` becomes person ``2p + 2`` and test identity ``q`` person
    ``2q + 1`` (disjoint and interleaved, as Market-1501's are), camera ``c`` becomes ``c + 1``.
    The gallery also gets ``junk`` images of person -1 (bad boxes: the lower half of a test
    person's image) and ``distractors`` of person 0000 (random people of no test identity), drawn
    from ``seed``. Frames count up in the order of the toy splits, so reading the folder back lists
    each split's people in the toy world's order. Query boxes are numbered 00 (hand-drawn, as in
    Market-1501), the others 01. ``quality``: JPEG quality (colour at full resolution).

    The files go to a hidden folder first, moved into place once complete; an existing non-empty
    target is an error (``FileExistsError``)."""
    splits = (world.train, world.query, world.gallery)
    check_writable(
        splits, len(world.train_identities), len(world.test_identities), N_CAMERAS, MAX_PERSON, "Market-1501"
    )
    check_quality(quality)
    splits = toy_splits(world, junk, distractors, lambda k: DISTRACTOR, seed)
    with staged(Path(root) / FOLDER) as out:
        for split, folder in SPLITS.items():
            box = 0 if split == "query" else 1
            write_images(
                out / folder, splits[split], lambda p, c, k, b=box: file_name(p, c, 25 * (k + 1), b), quality
            )
    return Path(root) / FOLDER
