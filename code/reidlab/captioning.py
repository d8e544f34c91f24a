r"""A toy image captioner: a CNN encoder and a GRU decoder, with or without attention
(for the coming chapter *Attention*; "show, attend and tell", Xu et al. 2015, in miniature).

The **encoder** turns an image into a grid of feature vectors, one per region (here 6 x 6
regions of a 48 x 48 image, 64 numbers each). The **decoder** writes the caption one word at a
time. At step :math:`t` it holds a state :math:`h_{t-1}` (a GRU's memory of what it has said)
and needs a summary of the image, the *context* :math:`c_t`:

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

import torch
from torch import nn

from reidlab.attention import AdditiveAttention
from reidlab.cpu import one_thread
from reidlab.data import VOCAB, CaptionSet
from reidlab.losses.classification import cross_entropy
from reidlab.train import train

PAD, START, END = (VOCAB.index(w) for w in ("<pad>", "<start>", "<end>"))


class Encoder(nn.Module):
    """Three 3 x 3 convolutions with stride 2 (batch norm, ReLU): ``(B, 3, S, S)`` ->
    ``(B, (S/8)^2, 64)``, one feature vector per region, regions in reading order."""

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in ((3, 32), (32, 64), (64, channels)):
            layers += [
                nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images).flatten(2).transpose(1, 2)


class Captioner(nn.Module):
    """Encoder + GRU decoder; ``attention=False`` feeds the grid's mean at every step."""

    def __init__(
        self, attention: bool = True, channels: int = 64, hidden: int = 128, embed: int = 32
    ) -> None:
        super().__init__()
        self.encoder = Encoder(channels)
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
    data: CaptionSet, attention: bool = True, seed: int = 0, steps: int = 600, batch_size: int = 64
) -> Captioner:
    """A fresh :class:`Captioner` (initial weights from ``seed``) trained with Adam on
    random batches of ``data``, on one thread (:func:`reidlab.cpu.one_thread`)."""
    torch.manual_seed(seed)
    model = Captioner(attention=attention)
    with one_thread():  # a model this small trains faster on one thread
        train(
            model,
            caption_loss,
            (data.images, data.tokens),
            steps=steps,
            lr=3e-3,
            batch_size=batch_size,
            seed=seed,
        )
    return model.eval()


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


def attention_on_named_shape(weights: torch.Tensor, masks: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """For every word that names a shape (its colour or kind), the share of that word's attention
    on the regions the shape covers: ``weights`` ``(B, L, R)`` with ``R = r x r`` regions, shape
    masks ``(B, 4, S, S)`` in caption order, true captions ``(B, L)``. A region counts as the
    shape's if the shape covers at least a tenth of it. Returns one share per such word."""
    b, length, regions = weights.shape
    side = round(regions**0.5)
    size = masks.shape[-1]
    cover = masks.float().view(b, masks.shape[1], side, size // side, side, size // side).mean(dim=(3, 5))
    on_shape = (cover >= 0.1).flatten(2).float()  # (B, 4, R)
    shares = []
    for t in range(min(length, 2 * masks.shape[1])):
        named = truth[:, t] != END
        named &= truth[:, t] != PAD
        share = (weights[:, t] * on_shape[:, t // 2]).sum(dim=1)
        shares.append(share[named])
    return torch.cat(shares)
