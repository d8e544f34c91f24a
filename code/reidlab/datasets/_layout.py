"""What the readers and writers share: finding a data set's folders, listing a split of image
files, the protocol's junk and distractor rules, and writing the toy world as JPEGs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from reidlab.datasets.records import ImageRecords, Splits, verify_images
from reidlab.worlds.drawing import render
from reidlab.worlds.pedestrians import ReidSet, ToyReid, random_camera, random_identity
from reidlab.worlds.walking import ClipSet

# a file with another suffix is not an image and is ignored (torchreid globs *.jpg); one with
# these suffixes (any case) is an image, and must be named as the data set names its images
IMAGE_SUFFIXES = (".jpg", ".jpeg")
JUNK, DISTRACTOR = -1, 0  # Market-1501's and MARS's person ids for bad boxes and for no one of the test set


def find_dataset_dir(root: str | os.PathLike, folder: str, required: tuple[str, ...], name: str) -> Path:
    """``root/folder`` or ``root`` itself, whichever holds every path in ``required``."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{name}: root {root} is not a folder; expected the folder that holds {folder}/"
        )
    for candidate in (root / folder, root):
        if all((candidate / r).exists() for r in required):
            return candidate
    base = root / folder if (root / folder).is_dir() else root
    missing = ", ".join(str(base / r) for r in required if not (base / r).exists())
    raise FileNotFoundError(
        f"{name}: missing {missing}; expected {folder}/ with {', '.join(required)} in {root} "
        f"(or those directly in {root})"
    )


def list_split(
    folder: Path, parse: Callable[[str], tuple[int, int]]
) -> tuple[list[tuple[Path, int, int]], list[Path]]:
    """``(path, pid, camera)`` of every image file in ``folder``, sorted by name, and the other
    entries (ignored). ``parse`` maps a file name to ``(pid, camera)`` or raises ``ValueError``;
    every bad name is collected into one error."""
    images, ignored, problems = [], [], []
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        path = Path(entry.path)
        if not (entry.is_file() and path.suffix.lower() in IMAGE_SUFFIXES):
            ignored.append(path)
            continue
        try:
            images.append((path, *parse(entry.name)))
        except ValueError as err:
            problems.append(f"{path}: {err}")
    if problems:
        more = f"\n... and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise ValueError(
            f"{len(problems)} file names in {folder} are malformed:\n" + "\n".join(problems[:5]) + more
        )
    return images, ignored


def check_camera(camera: int, n_cameras: int, name: str) -> int:
    if not 1 <= camera <= n_cameras:
        raise ValueError(f"camera {camera} is out of range: {name} has cameras 1 to {n_cameras}")
    return camera


def to_records(items: list[tuple[Path, int, int]], relabel: bool) -> ImageRecords:
    """Records of ``(path, pid, camera)``: cameras become 0-based; with ``relabel``, pids become
    0..N-1 in the order of the original ids (what a classifier's output layer needs)."""
    pids = torch.tensor([pid for _, pid, _ in items], dtype=torch.long)
    if relabel:
        pids = torch.searchsorted(torch.unique(pids), pids)  # rank among the sorted distinct ids
    camids = torch.tensor([cam - 1 for _, _, cam in items], dtype=torch.long)
    return ImageRecords(tuple(p for p, _, _ in items), pids, camids)


def read_image_splits(
    root: str | os.PathLike,
    name: str,
    folder: str,
    subfolders: dict[str, str],
    parse: Callable[[str], tuple[int, int]],
    example: str,
    distractors: bool,
    verify: bool,
) -> Splits[ImageRecords]:
    """Read a Market-1501-style data set: one folder of images per split (``subfolders`` maps
    train, query, gallery to their folder names). Junk (person -1) is dropped everywhere; with
    ``distractors``, person 0 is allowed in the gallery only."""
    base = find_dataset_dir(root, folder, tuple(subfolders.values()), name)
    splits, junk, ignored = {}, 0, []
    for split, sub in subfolders.items():
        items, skipped = list_split(base / sub, parse)
        ignored += skipped
        kept = [item for item in items if item[1] != JUNK]
        junk += len(items) - len(kept)
        if distractors and split != "gallery" and (bad := [p for p, pid, _ in kept if pid == DISTRACTOR]):
            raise ValueError(
                f"{name}: {len(bad)} distractor images (person 0000) in {base / sub}, e.g. {bad[0]}; "
                "distractors belong to the gallery only"
            )
        if not kept:
            left = f" ({len(items)} junk images dropped)" if items else ""
            raise ValueError(
                f"{name}: no images in {base / sub}{left}; expected .jpg files named like {example}"
            )
        splits[split] = to_records(kept, relabel=split == "train")
    if verify:
        verify_images([p for s in splits.values() for p in s.paths])
    return Splits(splits["train"], splits["query"], splits["gallery"], base, junk, tuple(ignored))


# --- writing the toy world --------------------------------------------------------------------


def train_person(pid: int) -> int:
    """The person id a toy training identity gets on disk: 2, 4, 6, ... (test ids are odd)."""
    return 2 * pid + 2


def test_person(pid: int) -> int:
    """The person id a toy test identity gets on disk: 1, 3, 5, ..."""
    return 2 * pid + 1


def n_cameras_of(*splits: ReidSet | ClipSet) -> int:
    return 1 + max(int(s.camids.max()) for s in splits)


def check_writable(
    splits: tuple[ReidSet | ClipSet, ...],
    n_train: int,
    n_test: int,
    n_cameras: int,
    max_person: int,
    name: str,
) -> None:
    """A toy world fits a layout if its cameras and (mapped) person ids are ones the layout has."""
    if n_cameras_of(*splits) > n_cameras:
        raise ValueError(f"{name} has cameras 1 to {n_cameras}; this world has {n_cameras_of(*splits)}")
    top = max(train_person(n_train - 1), test_person(n_test - 1))
    if top > max_person:
        raise ValueError(f"{name}'s person ids stop at {max_person}; this world would need {top}")


def check_counts(**counts: int) -> None:
    for key, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{key} must be a non-negative int, got {n!r}")


def save_jpeg(image: torch.Tensor, path: Path, quality: int) -> None:
    """Write ``(3, H, W)`` in [0, 1] as a JPEG with full colour resolution (4:4:4)."""
    pixels = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()  # (H, W, 3)
    Image.fromarray(np.ascontiguousarray(pixels)).save(path, "JPEG", quality=quality, subsampling=0)


def lower_half(images: torch.Tensor) -> torch.Tensor:
    """``(N, 3, H, W)`` -> the lower half of each image stretched to full size: a bad box that
    caught only a person's legs (the junk of the writers)."""
    h, w = images.shape[-2:]
    legs = F.interpolate(images[:, :, h // 2 :], size=(h, w), mode="bilinear", align_corners=False)
    return legs.clamp(0, 1)


def junk_images(gallery: ReidSet, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` bad boxes (:func:`lower_half`) of random gallery images, and their 0-based cameras."""
    pick = torch.randint(len(gallery), (n,), generator=g)
    return lower_half(gallery.images[pick]), gallery.camids[pick]


def distractor_images(
    n: int, n_cameras: int, size: tuple[int, int], g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images of random people (not of the test set) in random scenes, and 0-based cameras."""
    if n == 0:
        return torch.zeros(0, 3, *size), torch.zeros(0, dtype=torch.long)
    people, cameras = [random_identity(g) for _ in range(n)], [random_camera(g) for _ in range(n)]
    return render(people, cameras, g, size), torch.randint(n_cameras, (n,), generator=g)


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """Write into a hidden sibling of ``target`` and move it into place only when every file is
    written: an interrupted writer leaves no half-written data set behind."""
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} already exists and is not empty; write to an empty or new folder")
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if target.exists():
        target.rmdir()
    partial.rename(target)


def toy_splits(
    world: ToyReid, junk: int, distractors: int, distractor_person: Callable[[int], int], seed: int
) -> dict[str, tuple[torch.Tensor, list[int], list[int]]]:
    """Each split of ``world`` as ``(images, person ids, cameras)`` the way they go on disk (ids
    from :func:`train_person` and :func:`test_person`, cameras 1-based); the gallery gets ``junk``
    images of person -1 and ``distractors`` images of ``distractor_person(k)``."""
    check_counts(junk=junk, distractors=distractors)
    g = torch.Generator().manual_seed(seed)
    junk_x, junk_cams = junk_images(world.gallery, junk, g)
    size = tuple(world.gallery.images.shape[-2:])
    dis_x, dis_cams = distractor_images(
        distractors, n_cameras_of(world.train, world.query, world.gallery), size, g
    )

    def rows(s: ReidSet, person: Callable[[int], int]) -> tuple[torch.Tensor, list[int], list[int]]:
        return s.images, [person(int(p)) for p in s.pids], [int(c) + 1 for c in s.camids]

    images, persons, cameras = rows(world.gallery, test_person)
    return {
        "train": rows(world.train, train_person),
        "query": rows(world.query, test_person),
        "gallery": (
            torch.cat([images, junk_x, dis_x]),
            persons + [JUNK] * junk + [distractor_person(k) for k in range(distractors)],
            cameras + [int(c) + 1 for c in junk_cams] + [int(c) + 1 for c in dis_cams],
        ),
    }


def write_images(
    folder: Path,
    split: tuple[torch.Tensor, list[int], list[int]],
    name: Callable[[int, int, int], str],
    quality: int,
) -> None:
    """Write ``(images, persons, cameras)`` into ``folder``, image ``k`` as ``name(person, camera, k)``."""
    folder.mkdir()
    for k, (image, person, camera) in enumerate(zip(*split, strict=True)):
        save_jpeg(image, folder / name(person, camera, k), quality)


def check_quality(quality: int) -> None:
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be an int from 1 to 100 (JPEG quality), got {quality!r}")
