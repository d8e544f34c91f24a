"""What a reader returns: file paths with identities and cameras, and ways to load the pixels
(for the capstone chapter, *From the toy world to Market-1501*).

A real data set does not fit in memory as float32 tensors (Market-1501's 32,668 images of
128 x 64 would take 3 GB), so a split is a list of files, not a tensor: :class:`ImageRecords`
(one file per image) and :class:`TrackletRecords` (a list of frame files per tracklet). Both hold
``pids`` and ``camids`` as ``(N,)`` int64 tensors, the two things :mod:`reidlab.evaluation` reads,
and load pixels on demand:

* ``records.load(indices, size)``: a batch shaped like the toy world's tensors,
  ``(B, 3, H, W)`` (:class:`~reidlab.worlds.pedestrians.ReidSet`) or ``(B, T, 3, H, W)``
  (:class:`~reidlab.worlds.walking.ClipSet`), float32 in [0, 1];
* ``records.dataset(size)``: a ``torch.utils.data.Dataset`` of ``(image, pid, camid)`` for a
  ``DataLoader`` (loading in its worker processes);
* ``records.to_reidset(size)`` / ``records.to_clipset(size, frames)``: everything at once, for
  small sets such as the toy world written to disk, refused beyond ``max_bytes``
  (``splits.to_reidsets(size)`` does it for the three splits of an image data set).

A file that cannot be decoded raises a ``ValueError`` naming it, when it is loaded: a reader
only lists files, unless asked to ``verify`` them (then it decodes every one up front).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from reidlab.worlds.pedestrians import ReidSet
from reidlab.worlds.walking import ClipSet

Size = tuple[int, int]  # (height, width)


def load_image(path: Path, size: Size | None = None) -> torch.Tensor:
    """The image at ``path`` as ``(3, H, W)`` float32 in [0, 1], resized (bilinear) to ``size``
    = ``(H, W)`` if given. Raises ``FileNotFoundError`` or ``ValueError`` naming the file."""
    try:
        with Image.open(path) as img:
            rgb = img.convert("RGB")  # decodes every pixel: a truncated file fails here
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{path}: image file not found (moved after the data set was read?)") from err
    except (OSError, SyntaxError, ValueError) as err:  # PIL's errors for unreadable or truncated files
        raise ValueError(f"{path}: not a readable JPEG image ({err}); re-extract or remove the file") from err
    if size is not None and rgb.size != (size[1], size[0]):
        rgb = rgb.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return torch.from_numpy(np.array(rgb)).permute(2, 0, 1).float() / 255  # (3, H, W)


def verify_images(paths: Sequence[Path]) -> None:
    """Decode every file; one ``ValueError`` naming the first few that fail (and how many)."""
    bad = []
    for path in paths:
        try:
            load_image(path)
        except (FileNotFoundError, ValueError) as err:
            bad.append(str(err))
    if bad:
        more = f"\n... and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ValueError(
            f"{len(bad)} of {len(paths)} image files cannot be read:\n" + "\n".join(bad[:5]) + more
        )


def _stack(items: list[torch.Tensor], paths: list[Path]) -> torch.Tensor:
    for path, x in zip(paths, items, strict=True):
        if x.shape != items[0].shape:
            raise ValueError(
                f"{path} has shape {tuple(x.shape)} but {paths[0]} has {tuple(items[0].shape)}: "
                "pass size=(height, width) to resize them to one size"
            )
    return torch.stack(items)


def _check_size(size: Size | None) -> None:
    if size is not None and (
        not isinstance(size, tuple | list)
        or len(size) != 2
        or not all(isinstance(s, int) and s >= 1 for s in size)
    ):
        raise ValueError(f"size must be None or (height, width), positive ints, got {size!r}")


def _indices(indices: Sequence[int] | torch.Tensor | None, n: int) -> list[int]:
    out = list(range(n)) if indices is None else [int(i) for i in indices]
    if any(not -n <= i < n for i in out):
        raise IndexError(f"indices must lie in [-{n}, {n}), got {[i for i in out if not -n <= i < n][:5]}")
    return out


def _check_bytes(n_values: int, max_bytes: int, what: str) -> None:
    if 4 * n_values > max_bytes:
        raise ValueError(
            f"{what} would take {4 * n_values / 2**30:.2f} GB as float32, more than max_bytes "
            f"({max_bytes / 2**30:.2f} GB): load batches with .load() or .dataset(), take a .subset(), "
            f"or raise max_bytes"
        )


@dataclass(frozen=True, eq=False)
class ImageRecords:
    """One split of an image data set: ``paths[i]`` shows person ``pids[i]`` seen by camera
    ``camids[i]`` (0-based). ``pids`` and ``camids`` are ``(N,)`` int64."""

    paths: tuple[Path, ...]
    pids: torch.Tensor
    camids: torch.Tensor

    def __len__(self) -> int:
        return len(self.paths)

    def load(
        self, indices: Sequence[int] | torch.Tensor | None = None, size: Size | None = None
    ) -> torch.Tensor:
        """Images ``(B, 3, H, W)`` float32 in [0, 1] of ``indices`` (all if ``None``), resized to
        ``size`` = ``(H, W)`` if given; without ``size`` they must share one size."""
        _check_size(size)
        idx = _indices(indices, len(self))
        paths = [self.paths[i] for i in idx]
        if not paths:
            return torch.zeros(0, 3, *(size or (0, 0)))
        return _stack([load_image(p, size) for p in paths], paths)

    def subset(self, indices: Sequence[int] | torch.Tensor) -> ImageRecords:
        """The records at ``indices`` (e.g. a few identities for a quick experiment)."""
        idx = _indices(indices, len(self))
        return ImageRecords(tuple(self.paths[i] for i in idx), self.pids[idx], self.camids[idx])

    def dataset(
        self, size: Size | None = None, transform: Callable[[torch.Tensor], torch.Tensor] | None = None
    ) -> ImageDataset:
        """A ``Dataset`` of ``(image, pid, camid)``, each image loaded when it is indexed, then
        passed through ``transform`` (e.g. a random flip) if given."""
        _check_size(size)
        return ImageDataset(self, size, transform)

    def to_reidset(self, size: Size | None = None, max_bytes: int = 2**30) -> ReidSet:
        """All images at once, as the toy world's :class:`~reidlab.worlds.pedestrians.ReidSet`; refused
        if the tensor would take more than ``max_bytes``."""
        _check_size(size)
        if size is not None:
            _check_bytes(len(self) * 3 * size[0] * size[1], max_bytes, f"{len(self)} images of {size}")
        elif len(self):
            h, w = load_image(self.paths[0]).shape[1:]
            _check_bytes(len(self) * 3 * h * w, max_bytes, f"{len(self)} images of {(h, w)}")
        return ReidSet(self.load(None, size), self.pids.clone(), self.camids.clone())

    def statistics(self) -> dict[str, int]:
        """Numbers of identities, images and cameras, as the data sets' papers count them."""
        return {"ids": _n_unique(self.pids), "images": len(self), "cameras": _n_unique(self.camids)}


class ImageDataset(Dataset):
    """``ImageRecords`` as a ``torch.utils.data.Dataset`` (see :meth:`ImageRecords.dataset`)."""

    def __init__(self, records: ImageRecords, size: Size | None, transform: Callable | None) -> None:
        self.records, self.size, self.transform = records, size, transform

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        image = load_image(self.records.paths[i], self.size)
        if self.transform is not None:
            image = self.transform(image)
        return image, self.records.pids[i], self.records.camids[i]


def frame_indices(length: int, frames: int) -> list[int]:
    """``frames`` frame numbers spread evenly over a tracklet of ``length`` frames, first and last
    included (a tracklet shorter than ``frames`` repeats some)."""
    if frames == 1:
        return [(length - 1) // 2]
    return [round(k * (length - 1) / (frames - 1)) for k in range(frames)]


@dataclass(frozen=True, eq=False)
class TrackletRecords:
    """One split of a video data set: tracklet ``i`` is the frame files ``frames[i]`` (names in
    the folder ``folders[i]``) of person ``pids[i]`` seen by camera ``camids[i]`` (0-based).

    Frame names are kept apart from their folder: MARS has 1.2 million frames, and a ``Path``
    per frame would cost a quarter of a gigabyte."""

    folders: tuple[Path, ...]
    frames: tuple[tuple[str, ...], ...]
    pids: torch.Tensor
    camids: torch.Tensor

    def __len__(self) -> int:
        return len(self.frames)

    def paths(self, i: int) -> tuple[Path, ...]:
        """The frame files of tracklet ``i``, in order."""
        return tuple(self.folders[i] / name for name in self.frames[i])

    def load(
        self,
        indices: Sequence[int] | torch.Tensor | None = None,
        size: Size | None = None,
        frames: int | None = 8,
    ) -> torch.Tensor:
        """Clips ``(B, T, 3, H, W)`` float32 in [0, 1]: ``frames`` = ``T`` frames of each tracklet
        in ``indices`` (all if ``None``), spread evenly (:func:`frame_indices`); ``frames=None``
        takes every frame (the tracklets must then be equally long)."""
        _check_size(size)
        if frames is not None and (isinstance(frames, bool) or not isinstance(frames, int) or frames < 1):
            raise ValueError(f"frames must be None or a positive int, got {frames!r}")
        idx = _indices(indices, len(self))
        if frames is None and len({len(self.frames[i]) for i in idx}) > 1:
            raise ValueError("the tracklets differ in length: pass frames=T to take T frames of each")
        clips = []
        for i in idx:
            paths = self.paths(i)
            chosen = [
                paths[t] for t in (range(len(paths)) if frames is None else frame_indices(len(paths), frames))
            ]
            clips.append(_stack([load_image(p, size) for p in chosen], chosen))
        if not clips:
            return torch.zeros(0, frames or 0, 3, *(size or (0, 0)))
        return _stack(clips, [self.folders[i] for i in idx])

    def subset(self, indices: Sequence[int] | torch.Tensor) -> TrackletRecords:
        """The tracklets at ``indices``."""
        idx = _indices(indices, len(self))
        return TrackletRecords(
            tuple(self.folders[i] for i in idx),
            tuple(self.frames[i] for i in idx),
            self.pids[idx],
            self.camids[idx],
        )

    def to_clipset(self, size: Size | None = None, frames: int = 8, max_bytes: int = 2**30) -> ClipSet:
        """Every tracklet as ``frames`` frames, as the toy world's :class:`~reidlab.worlds.walking.ClipSet`
        (no frame marked corrupted); refused beyond ``max_bytes``."""
        _check_size(size)
        h, w = size if size is not None else load_image(self.paths(0)[0]).shape[1:]
        _check_bytes(len(self) * frames * 3 * h * w, max_bytes, f"{len(self)} clips of {frames} frames")
        clips = self.load(None, size, frames)
        return ClipSet(
            clips, self.pids.clone(), self.camids.clone(), torch.zeros(clips.shape[:2], dtype=torch.bool)
        )

    def statistics(self) -> dict[str, int]:
        """Numbers of identities, tracklets, frames and cameras."""
        return {
            "ids": _n_unique(self.pids),
            "tracklets": len(self),
            "frames": sum(len(f) for f in self.frames),
            "cameras": _n_unique(self.camids),
        }


def _n_unique(t: torch.Tensor) -> int:
    return len(torch.unique(t))


R = TypeVar("R", ImageRecords, TrackletRecords, ReidSet)  # ReidSet: from Splits.to_reidsets


@dataclass(frozen=True, eq=False)
class Splits(Generic[R]):
    """A data set read from disk: the ``train``, ``query`` and ``gallery`` splits, the folder
    they came from, how many junk items (person -1) the protocol dropped, and the files that were
    ``ignored`` because they are not images (``Thumbs.db``, a ``readme.txt``)."""

    train: R
    query: R
    gallery: R
    root: Path
    junk: int = 0
    ignored: tuple[Path, ...] = ()

    def statistics(self) -> dict[str, dict[str, int]]:
        """``{split: {"ids": ..., "images" or "tracklets": ..., "cameras": ...}}``."""
        return {name: getattr(self, name).statistics() for name in ("train", "query", "gallery")}

    def to_reidsets(self, size: Size | None = None, max_bytes: int = 2**30) -> Splits[ReidSet]:
        """Every split of an image data set decoded once into memory, as toy-world
        :class:`~reidlab.worlds.pedestrians.ReidSet` s (:meth:`ImageRecords.to_reidset`); ``root``,
        ``junk`` and ``ignored`` are kept. For small sets such as the toy world written to disk, so
        that training reads tensors instead of decoding each file again at every step.
        ``max_bytes`` bounds each split. (``statistics`` needs the records: ask them first.)"""
        if not isinstance(self.train, ImageRecords):
            raise TypeError(f"to_reidsets needs image records, got {type(self.train).__name__}")
        loaded = {
            name: getattr(self, name).to_reidset(size, max_bytes) for name in ("train", "query", "gallery")
        }
        return replace(self, **loaded)
