"""The baseline's data: a data set read from its folder (or the toy world in memory), image by image.

Readers are :mod:`reidlab.datasets` (Market-1501, DukeMTMC-reID): their training ids are already
relabelled 0..N-1, their cameras 0-based. :class:`Images` gives one split's images one at a time at
the training size (loaded from disk for a data set, sliced from a tensor for the toy world's
:class:`~reidlab.worlds.pedestrians.ReidSet`), so a real data set never sits in memory;
:class:`TrainImages` adds each image's augmentation, seeded per image.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from reidlab.baseline.augment import Augment
from reidlab.datasets import ImageRecords, read_dukemtmc, read_market1501
from reidlab.datasets.records import load_image
from reidlab.worlds.pedestrians import ReidSet

#: The image data sets the baseline reads (MARS is video: train a clip model on it instead).
READERS = {"market1501": read_market1501, "dukemtmc": read_dukemtmc}


def read_dataset(name: str, root: str | os.PathLike, *, verify: bool = False):
    """The :class:`~reidlab.datasets.Splits` of data set ``name`` under ``root``; errors name the
    path and what was expected (from the readers). With ``verify``, every image is decoded first,
    so that a corrupt file is an error now rather than when training draws it."""
    if name not in READERS:
        raise ValueError(f"dataset must be one of {list(READERS)}, got {name!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: data folder not found (--data must be the folder holding {name})")
    return READERS[name](root, verify=verify)


class Images:
    """One split's images, each ``(3, H, W)`` float32 in [0, 1] at ``size`` = ``(H, W)``, with
    ``pids`` and ``camids`` ``(N,)``. ``split``: file records from a reader, or a toy ``ReidSet``."""

    def __init__(self, split: ImageRecords | ReidSet, size: tuple[int, int]) -> None:
        if not isinstance(split, ImageRecords | ReidSet):
            raise TypeError(f"split must be ImageRecords or a ReidSet, got {type(split).__name__}")
        if len(split) == 0:
            raise ValueError("the split holds no images")
        self.split, self.size = split, (int(size[0]), int(size[1]))
        self.pids, self.camids = split.pids, split.camids

    def __len__(self) -> int:
        return len(self.pids)

    def __getitem__(self, i: int) -> torch.Tensor:
        if isinstance(self.split, ImageRecords):
            return load_image(self.split.paths[i], self.size)
        image = self.split.images[i]
        if tuple(image.shape[1:]) != self.size:  # (3, h, w) -> (3, H, W)
            image = F.interpolate(image[None], size=self.size, mode="bilinear", align_corners=False)[0]
        return image

    def batch(self, indices: list[int]) -> torch.Tensor:
        """Images ``(B, 3, H, W)``."""
        return torch.stack([self[i] for i in indices])


class TrainImages(Dataset):
    """``Images`` with the training augmentation: item ``(i, seed)`` is image ``i`` augmented by
    ``augment.train`` with a generator seeded ``seed`` (the same on any process, in any worker)."""

    def __init__(self, images: Images, augment: Augment) -> None:
        self.images, self.augment = images, augment

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, item: tuple[int, int]) -> torch.Tensor:
        i, seed = item
        return self.augment.train(self.images[i], torch.Generator().manual_seed(seed))
