"""Seeded captioned images: 2-4 coloured shapes on a 3 x 3 grid, captions that name them in reading
order, and each shape's pixels (chapter *Attention*)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

#: Words of the toy captions: padding, start and end markers, then colours, then shape kinds.
CAPTION_COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.9, 0.15, 0.1),
    "green": (0.15, 0.75, 0.2),
    "blue": (0.2, 0.35, 0.95),
    "yellow": (0.95, 0.85, 0.15),
}
CAPTION_KINDS = ("circle", "square", "triangle")
VOCAB = ("<pad>", "<start>", "<end>", *CAPTION_COLOURS, *CAPTION_KINDS)


@dataclass(frozen=True)
class CaptionSet:
    """Images ``(N, 3, S, S)`` of 2-4 coloured shapes on a 3 x 3 grid, and their captions:
    ``tokens`` ``(N, L)`` (indices into :data:`VOCAB`: colour, kind, colour, kind, ..., then
    ``<end>``, padded with ``<pad>``), and ``masks`` ``(N, 4, S, S)``: the pixels of the j-th
    shape named, in reading order (rows top to bottom, left to right in a row)."""

    images: torch.Tensor
    tokens: torch.Tensor
    masks: torch.Tensor

    def __len__(self) -> int:
        return len(self.images)

    def words(self, i: int) -> list[str]:
        """The caption of image ``i`` as words, up to ``<end>``."""
        return caption_words(self.tokens[i])


def caption_words(tokens: torch.Tensor) -> list[str]:
    """A caption ``(L,)`` of indices into :data:`VOCAB` as words, up to ``<end>`` (or padding)."""
    words = []
    for t in tokens.tolist():
        if VOCAB[t] in ("<end>", "<pad>"):
            break
        words.append(VOCAB[t])
    return words


def caption_scenes(n: int, size: int = 48, seed: int = 0) -> CaptionSet:
    """``n`` images for the captioning task of the chapter *Attention*: 2-4 shapes (kind and
    colour at random) in distinct cells of a 3 x 3 grid, each jittered by up to a sixth of a
    cell and drawn with a random size, on a dark, noisy background. All drawn at once, from
    ``seed``."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if size < 24 or size % 3:
        raise ValueError(f"size must be a multiple of 3, at least 24, got {size}")
    g = torch.Generator().manual_seed(seed)
    slots, cell = 4, size / 3
    count = torch.randint(2, slots + 1, (n,), generator=g)
    cells = torch.rand(n, 9, generator=g).argsort(dim=1)[:, :slots].sort(dim=1).values  # reading order
    kind = torch.randint(len(CAPTION_KINDS), (n, slots), generator=g)
    colour = torch.randint(len(CAPTION_COLOURS), (n, slots), generator=g)
    jitter = (torch.rand(n, slots, 2, generator=g) - 0.5) * cell / 3
    radius = cell * (0.26 + 0.08 * torch.rand(n, slots, generator=g))
    cx = (cells % 3 + 0.5) * cell + jitter[..., 0]
    cy = (cells // 3 + 0.5) * cell + jitter[..., 1]
    u = torch.arange(size) + 0.5
    x, y = u.view(1, 1, 1, -1), u.view(1, 1, -1, 1)
    dx, dy = x - cx[..., None, None], y - cy[..., None, None]
    r = radius[..., None, None]
    circle = dx**2 + dy**2 <= r**2
    square = (dx.abs() <= 0.85 * r) & (dy.abs() <= 0.85 * r)
    triangle = (dy >= -r) & (dy <= 0.8 * r) & (dx.abs() <= (dy + r) / 1.8)
    shapes = torch.stack((circle, square, triangle), dim=2)  # (N, slots, kinds, S, S)
    masks = shapes.gather(2, kind[..., None, None, None].expand(-1, -1, 1, size, size)).squeeze(2)
    masks &= (torch.arange(slots) < count[:, None])[..., None, None]  # unused slots stay empty
    palette = torch.tensor(list(CAPTION_COLOURS.values()))  # (colours, 3)
    images = 0.12 + 0.04 * torch.randn(n, 3, size, size, generator=g)
    for j in range(slots):
        rgb = palette[colour[:, j]].view(n, 3, 1, 1)
        images = torch.where(masks[:, j, None], rgb + 0.04 * torch.randn(n, 3, 1, 1, generator=g), images)
    tokens = torch.full((n, 2 * slots + 1), VOCAB.index("<pad>"))
    first_colour, first_kind = VOCAB.index(next(iter(CAPTION_COLOURS))), VOCAB.index(CAPTION_KINDS[0])
    for j in range(slots):
        used = j < count
        tokens[used, 2 * j] = first_colour + colour[used, j]
        tokens[used, 2 * j + 1] = first_kind + kind[used, j]
    tokens[torch.arange(n), 2 * count] = VOCAB.index("<end>")
    return CaptionSet(images.clamp(0, 1), tokens, masks)
