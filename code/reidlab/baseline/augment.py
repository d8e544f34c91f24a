r"""The strong baseline's training augmentation: flip, pad and crop, normalise, random erasing.

Luo et al. 2019 (*Bag of Tricks*), for every training image (resized to 256 x 128 when read), in
this order: a horizontal flip with probability 0.5; 10 pixels of zero padding on every side and a
random crop back to the original size; normalisation by ImageNet's channel means and deviations;
and **random erasing** (Zhong et al., *Random Erasing Data Augmentation*, AAAI 2020), the trick:
with probability :math:`p = 0.5`, a rectangle of area :math:`S_e = s\,HW`,
:math:`s \sim \mathcal U(0.02, 0.4)`, and aspect ratio :math:`r = h_e / w_e \sim
\mathcal U(0.3, 1/0.3)`, so :math:`h_e = \operatorname{round}\sqrt{S_e r}` and
:math:`w_e = \operatorname{round}\sqrt{S_e / r}`, is placed uniformly at random inside the image
(a draw that does not fit, :math:`h_e \ge H` or :math:`w_e \ge W`, is drawn again, up to 100
times) and its pixels are replaced by one value. It imitates occlusion: a person half hidden
behind a car must still be recognised.

The erased pixels take the data's mean, which is 0 after normalisation (``value=0.0``). The paper
says "random values"; the authors' code fills constants (0.4914, 0.4822, 0.4465) after
normalising. At test time only the resize and the normalisation apply.

Every random choice is drawn from the ``torch.Generator`` passed in, one per image
(:mod:`reidlab.baseline.sampling` gives each image of a batch its own seed), so an image is
augmented the same way however the batch is split between processes. torchvision's
``RandomErasing`` is not used: torchvision does not install beside this torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _uniform(g: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * torch.rand(1, generator=g, dtype=torch.float64).item()


def _randint(g: torch.Generator, lo: int, hi: int) -> int:
    """An int in ``lo..hi`` (both included)."""
    return int(torch.randint(lo, hi + 1, (1,), generator=g))


def _check_image(image: object) -> torch.Tensor:
    if not isinstance(image, torch.Tensor) or image.ndim != 3 or not image.is_floating_point():
        raise ValueError(f"image must be a float tensor (C, H, W), got {getattr(image, 'shape', image)!r}")
    return image


def _check_probability(p: float, name: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {p}")


def erasing_box(
    height: int,
    width: int,
    g: torch.Generator,
    *,
    p: float = 0.5,
    area: tuple[float, float] = (0.02, 0.4),
    aspect: float = 0.3,
    attempts: int = 100,
) -> tuple[int, int, int, int] | None:
    r"""The rectangle random erasing picks in a ``height`` x ``width`` image: ``(top, left, h, w)``,
    or ``None`` (no erasing: probability :math:`1 - p`, or no draw fitted in ``attempts``).
    ``area`` = :math:`(s_l, s_h)`, the range of :math:`S_e / HW`; ``aspect`` = :math:`r_1`, the
    aspect ratio :math:`h_e / w_e` lies in :math:`[r_1, 1 / r_1]`."""
    _check_probability(p, "p")
    if not 0 < area[0] <= area[1] < 1:
        raise ValueError(f"area must be (low, high) with 0 < low <= high < 1, got {area}")
    if not 0 < aspect <= 1:
        raise ValueError(f"aspect must lie in (0, 1] (the range is aspect .. 1/aspect), got {aspect}")
    if torch.rand(1, generator=g).item() >= p:
        return None
    for _ in range(attempts):
        target = _uniform(g, *area) * height * width  # S_e
        ratio = _uniform(g, aspect, 1 / aspect)  # r = h_e / w_e
        h, w = round(math.sqrt(target * ratio)), round(math.sqrt(target / ratio))
        if h < height and w < width:
            return _randint(g, 0, height - h), _randint(g, 0, width - w), h, w
    return None


def random_erasing(
    image: torch.Tensor,
    g: torch.Generator,
    *,
    p: float = 0.5,
    area: tuple[float, float] = (0.02, 0.4),
    aspect: float = 0.3,
    value: float = 0.0,
) -> torch.Tensor:
    """``image`` ``(C, H, W)`` with the rectangle of :func:`erasing_box` set to ``value`` in every
    channel (a new tensor; every other pixel is kept as it was)."""
    image = _check_image(image)
    box = erasing_box(image.shape[1], image.shape[2], g, p=p, area=area, aspect=aspect)
    if box is None:
        return image
    top, left, h, w = box
    out = image.clone()
    out[:, top : top + h, left : left + w] = value
    return out


def random_flip(image: torch.Tensor, g: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """``image`` ``(C, H, W)`` mirrored left to right with probability ``p``."""
    _check_probability(p, "p")
    return _check_image(image).flip(-1) if torch.rand(1, generator=g).item() < p else image


def pad_crop(image: torch.Tensor, g: torch.Generator, pad: int) -> torch.Tensor:
    """Pad ``image`` ``(C, H, W)`` with ``pad`` zero pixels on every side, then crop a random
    ``H`` x ``W`` window (offsets uniform in ``0..2 pad``)."""
    image = _check_image(image)
    if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
        raise ValueError(f"pad must be a non-negative int, got {pad!r}")
    if pad == 0:
        return image
    h, w = image.shape[1:]
    padded = F.pad(image, (pad, pad, pad, pad))  # (C, H + 2 pad, W + 2 pad)
    top, left = _randint(g, 0, 2 * pad), _randint(g, 0, 2 * pad)
    return padded[:, top : top + h, left : left + w]


def normalize(
    image: torch.Tensor, mean: tuple[float, ...] = IMAGENET_MEAN, std: tuple[float, ...] = IMAGENET_STD
) -> torch.Tensor:
    """``(image - mean) / std`` per channel, for images ``(..., C, H, W)`` in [0, 1]."""
    m = torch.tensor(mean, dtype=image.dtype).view(-1, 1, 1)  # (C, 1, 1)
    s = torch.tensor(std, dtype=image.dtype).view(-1, 1, 1)
    return (image - m) / s


@dataclass(frozen=True)
class Augment:
    """The training augmentation's settings (the paper's by default; 0 turns a step off).
    ``pad=None``: 10 pixels at 256 x 128, scaled with the image height."""

    flip: float = 0.5
    pad: int | None = None
    erasing: float = 0.5
    erasing_area: tuple[float, float] = (0.02, 0.4)
    erasing_aspect: float = 0.3
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def padding(self, height: int) -> int:
        """Pixels of padding for images ``height`` pixels tall."""
        return self.pad if self.pad is not None else round(10 * height / 256)

    def train(self, image: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Flip, pad and crop, normalise, erase: one training image ``(3, H, W)`` in [0, 1]."""
        image = random_flip(image, g, self.flip)
        image = pad_crop(image, g, self.padding(image.shape[1]))
        image = normalize(image, self.mean, self.std)
        return random_erasing(image, g, p=self.erasing, area=self.erasing_area, aspect=self.erasing_aspect)

    def test(self, images: torch.Tensor) -> torch.Tensor:
        """Normalise only: images ``(..., 3, H, W)`` in [0, 1]."""
        return normalize(images, self.mean, self.std)
