r"""A toy image captioner: a CNN encoder and a GRU decoder, with or without attention
(chapter *Attention*; "show, attend and tell", Xu et al. 2015, in miniature).

The **encoder** turns an image into a grid of feature vectors, one per region (here 6 x 6
regions of a 48 x 48 image, 64 numbers each); two extra input channels hold each pixel's
column and row, so that a region's feature can say where it is. The **decoder** writes the
caption one word at a time. At step :math:`t` it holds a state :math:`h_{t-1}` (a GRU's memory
of what it has said) and needs a summary of the image, the *context* :math:`c_t`:

* **without attention**, :math:`c_t` is the mean of the grid, the same at every step;
* **with attention**, :math:`c_t = \sum_i \alpha_{ti} f_i`, with weights
  :math:`\alpha_t = \mathrm{softmax}_i\, w^\top \tanh(W h_{t-1} + U f_i)` over the regions
  :math:`f_i` (additive attention, :class:`~reidlab.attention.AdditiveAttention`): the state
  decides where to look next.

Then :math:`h_t = \mathrm{GRU}(h_{t-1}, [\text{embedding of the previous word}, c_t])` and the
next word's scores are a linear function of :math:`[h_t, c_t]`. Training feeds the true previous
word (teacher forcing) and minimises the cross-entropy of every word; :func:`greedy_captions`
writes captions by taking the most likely word at each step.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from reidlab.attention import AdditiveAttention
from reidlab.losses.classification import cross_entropy
from reidlab.train import initial_weights, train
from reidlab.worlds.captions import VOCAB, CaptionSet

PAD, START, END = (VOCAB.index(w) for w in ("<pad>", "<start>", "<end>"))


class Encoder(nn.Module):
    """Three 3 x 3 convolutions with stride 2 (batch norm, ReLU) of ``widths`` and then
    ``channels`` channels: ``(B, 3, S, S)`` -> ``(B, (S/8)^2, channels)``, one feature vector per
    region, regions in reading order. With ``coords``, two more input channels hold each pixel's
    column and row (from -1 to 1), so that a region's feature can say where in the picture it
    is ("CoordConv"); without them a convolution only knows where it is near the border, from
    the zero padding."""

    def __init__(self, channels: int = 64, widths: tuple[int, int] = (16, 32), coords: bool = True) -> None:
        super().__init__()
        self.coords = coords
        layers: list[nn.Module] = []
        sizes = (3 + 2 * coords, *widths, channels)
        for c_in, c_out in itertools.pairwise(sizes):
            layers += [
                nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.coords:
            b, _, h, w = images.shape
            ys = torch.linspace(-1, 1, h).view(1, 1, h, 1).expand(b, 1, h, w)  # (B, 1, H, W)
            xs = torch.linspace(-1, 1, w).view(1, 1, 1, w).expand(b, 1, h, w)
            images = torch.cat((images, xs, ys), dim=1)  # (B, 3 + 2, H, W): colour, then x and y
        return self.net(images).flatten(2).transpose(1, 2)  # (B, C, h, w) -> (B, h w, C): one row per region


class Captioner(nn.Module):
    """Encoder + GRU decoder; ``attention=False`` feeds the grid's mean at every step.
    ``widths`` and ``coords`` go to the :class:`Encoder`."""

    def __init__(
        self,
        attention: bool = True,
        channels: int = 64,
        hidden: int = 128,
        embed: int = 32,
        widths: tuple[int, int] = (16, 32),
        coords: bool = True,
    ) -> None:
        super().__init__()
        self.encoder = Encoder(channels, widths, coords)
        self.embed = nn.Embedding(len(VOCAB), embed)
        self.init_state = nn.Linear(channels, hidden)
        self.cell = nn.GRUCell(embed + channels, hidden)
        self.attention = AdditiveAttention(hidden, channels, 64) if attention else None
        self.out = nn.Linear(hidden + channels, len(VOCAB))

    def step(
        self, word: torch.Tensor, h: torch.Tensor, grid: torch.Tensor, keys: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One word: previous words ``(B,)`` and state ``(B, H)`` -> scores ``(B, V)``, new state,
        attention weights ``(B, R)`` (uniform without attention)."""
        if self.attention is None:
            context = grid.mean(dim=1)
            weights = torch.full(grid.shape[:2], 1.0 / grid.shape[1])
        else:
            context, weights = self.attention(h, grid, grid, projected_keys=keys)
        h = self.cell(torch.cat((self.embed(word), context), dim=1), h)
        return self.out(torch.cat((h, context), dim=1)), h, weights

    def forward(self, images: torch.Tensor, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing: scores ``(B, L, V)`` for every position of ``tokens`` ``(B, L)``, and
        the attention weights ``(B, L, R)``."""
        grid = self.encoder(images)
        keys = None if self.attention is None else self.attention.project_keys(grid)
        h = torch.tanh(self.init_state(grid.mean(dim=1)))
        previous = torch.cat((torch.full((len(tokens), 1), START), tokens[:, :-1]), dim=1)
        scores, weights = [], []
        for t in range(tokens.shape[1]):
            s, h, w = self.step(previous[:, t], h, grid, keys)
            scores.append(s)
            weights.append(w)
        return torch.stack(scores, dim=1), torch.stack(weights, dim=1)


@torch.no_grad()
def greedy_captions(
    model: Captioner, images: torch.Tensor, max_len: int = 9
) -> tuple[torch.Tensor, torch.Tensor]:
    """Captions ``(B, max_len)`` written word by word, each the most likely given the words so
    far (after ``<end>``: ``<pad>``), and each word's attention weights ``(B, max_len, R)``."""
    model.eval()
    grid = model.encoder(images)
    keys = None if model.attention is None else model.attention.project_keys(grid)
    h = torch.tanh(model.init_state(grid.mean(dim=1)))
    word = torch.full((len(images),), START)
    done = torch.zeros(len(images), dtype=torch.bool)
    words, weights = [], []
    for _ in range(max_len):
        scores, h, w = model.step(word, h, grid, keys)
        word = torch.where(done, PAD, scores.argmax(dim=1))
        words.append(word)
        weights.append(w)
        done |= word == END
    return torch.stack(words, dim=1), torch.stack(weights, dim=1)


def caption_loss(model: Captioner, images: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the words of the captions (padding left out)."""
    scores, _ = model(images, tokens)
    keep = tokens != PAD
    return cross_entropy(scores[keep], tokens[keep])


def train_captioner(
    data: CaptionSet,
    attention: bool = True,
    seed: int = 0,
    steps: int = 200,
    batch_size: int = 64,
    lr: float = 3e-3,
    **model: object,
) -> Captioner:
    """A fresh :class:`Captioner` (initial weights from ``seed``; ``model``: its keyword
    arguments) trained with Adam on random batches of ``data``."""
    with initial_weights(seed):
        net = Captioner(attention=attention, **model)
    train(
        net,
        caption_loss,
        (data.images, data.tokens),
        steps=steps,
        lr=lr,
        batch_size=batch_size,
        seed=seed,
    )
    return net.eval()


def caption_accuracy(predicted: torch.Tensor, truth: torch.Tensor) -> tuple[float, float]:
    """Exact-caption accuracy (every word and the ``<end>`` right) and per-word accuracy (share
    of the true words, ``<end>`` included, that the caption has at the same position)."""
    if predicted.shape != truth.shape:
        raise ValueError(
            "predicted and truth must have the same shape, "
            f"got {tuple(predicted.shape)} and {tuple(truth.shape)}"
        )
    keep = truth != PAD
    right = (predicted == truth) | ~keep
    return float(right.all(dim=1).float().mean()), float((predicted == truth)[keep].float().mean())


def region_of_pixel(size: int, side: int) -> torch.Tensor:
    """For each of ``size`` pixel rows (or columns), the row (column) of the :class:`Encoder`'s
    ``side x side`` grid whose feature is centred nearest to it: ``(size,)`` indices.

    Three 3 x 3 convolutions with stride 2 and padding 1 compute region ``j``'s feature from a
    patch of 15 pixels centred on pixel ``8 j`` (each layer doubles the centre: ``2 i``), that is
    on the region's first pixel, not its middle. A region therefore "looks at" the pixels within
    half a region of ``8 j``: ``8 j - 4`` to ``8 j + 3`` (the last region also the pixels past
    its end)."""
    if size % side:
        raise ValueError(f"size must be a multiple of side, got {size} and {side}")
    stride = size // side
    return ((torch.arange(size) + stride // 2) // stride).clamp(max=side - 1)


def named_shape_regions(masks: torch.Tensor, side: int) -> torch.Tensor:
    """Which of the ``side x side`` regions see each shape: shape masks ``(B, S, size, size)`` ->
    ``(B, S, side * side)`` booleans, regions in reading order. A region counts as the shape's
    if the shape covers at least a tenth of the pixels nearest the centre of the region's
    receptive field (:func:`region_of_pixel`)."""
    if masks.ndim != 4 or masks.shape[-1] != masks.shape[-2] or masks.shape[-1] % side:
        raise ValueError(
            f"masks must be (B, shapes, size, size) with size a multiple of {side}, got {tuple(masks.shape)}"
        )
    size = masks.shape[-1]
    group = torch.nn.functional.one_hot(region_of_pixel(size, side), side).float()  # (size, side)
    group = group / group.sum(dim=0, keepdim=True)  # each region: the mean over its pixels
    cover = group.T @ masks.float() @ group  # (B, S, side, side)
    return (cover >= 0.1).flatten(2)  # (B, S, side * side)


WORD_KINDS = ("all", "colour", "kind")


def _named_words(
    weights: torch.Tensor, masks: torch.Tensor, truth: torch.Tensor, words: str = "all"
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Per word position ``t`` that can name a shape (only colour words, even ``t``, or only
    kind words, odd ``t``, if ``words`` says so): which images' word ``t`` names one, that
    word's attention ``(B, R)`` and the regions of the shape it names ``(B, R)``."""
    if weights.ndim != 3 or truth.shape != weights.shape[:2] or masks.shape[0] != weights.shape[0]:
        raise ValueError(
            f"need weights (B, L, R), masks (B, shapes, S, S) and truth (B, L), got {tuple(weights.shape)}, "
            f"{tuple(masks.shape)} and {tuple(truth.shape)}"
        )
    if words not in WORD_KINDS:
        raise ValueError(f"words must be one of {WORD_KINDS}, got {words!r}")
    side = round(weights.shape[2] ** 0.5)
    on_shape = named_shape_regions(masks, side)  # (B, shapes, R)
    out = []
    for t in range(min(weights.shape[1], 2 * masks.shape[1])):
        if (words == "colour" and t % 2) or (words == "kind" and t % 2 == 0):
            continue
        named = (truth[:, t] != END) & (truth[:, t] != PAD)
        out.append((named, weights[:, t], on_shape[:, t // 2]))
    return out


def attention_on_named_shape(
    weights: torch.Tensor, masks: torch.Tensor, truth: torch.Tensor, words: str = "all"
) -> torch.Tensor:
    """For every word that names a shape (its colour or its kind; ``words="colour"`` or
    ``"kind"`` keeps only those), the share of that word's attention on the regions the shape
    covers (:func:`named_shape_regions`): ``weights`` ``(B, L, R)`` with ``R = r x r`` regions,
    shape masks ``(B, 4, S, S)`` in caption order, true captions ``(B, L)``. Word ``t`` (from 0)
    names shape ``t // 2``. Returns one share per such word."""
    named_words = _named_words(weights, masks, truth, words)
    return torch.cat([(w * on.float()).sum(dim=1)[named] for named, w, on in named_words])


def peak_on_named_shape(
    weights: torch.Tensor, masks: torch.Tensor, truth: torch.Tensor, words: str = "all"
) -> torch.Tensor:
    """As :func:`attention_on_named_shape`, but whether the single region with the most attention
    is one of the named shape's regions: one boolean per word that names a shape."""
    named_words = _named_words(weights, masks, truth, words)
    return torch.cat(
        [on.gather(1, w.argmax(dim=1, keepdim=True))[:, 0][named] for named, w, on in named_words]
    )
