"""Small models, each a plain ``nn.Module`` built by a function that says what it is.

* :func:`linear_classifier`, :func:`mlp_classifier` (chapter *Classification losses and
  outliers*): a score :math:`f(x)` whose sign is the predicted class.
* :class:`EmbeddingNet` (chapter *Siamese networks* and later): a small CNN that maps a
  pedestrian image to a feature vector.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn


class Scorer(nn.Module):
    """Wraps a network with one output so that it returns scores of shape ``(N,)``."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x):  # (N, D) -> (N,)
        return self.net(x).squeeze(-1)


def linear_classifier(in_dim: int = 2) -> Scorer:
    r""":math:`f(x) = w \cdot x + b`: its decision boundary is a straight line."""
    return Scorer(nn.Linear(in_dim, 1))


def mlp_classifier(in_dim: int = 2, hidden: int = 16) -> Scorer:
    r""":math:`f(x) = w_2 \cdot \tanh(W_1 x + b_1) + b_2`: a curved boundary."""
    return Scorer(nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1)))


class EmbeddingNet(nn.Module):
    """A small CNN: image ``(N, 3, H, W)`` -> embedding ``(N, dim)``, of unit length if ``normalize``.

    Four blocks of 3 x 3 convolution, batch norm and ReLU (the first three with stride 2, which
    halves the size: four times cheaper than max-pooling afterwards, measured) see ever larger
    parts of the body. The last feature map is then **averaged across its width**
    but not its height: each row of the result describes one horizontal stripe of the body (head,
    chest, hips, legs), so a red top over blue trousers stays different from a blue top over red
    trousers, while *where* across the image a pattern sits is averaged away. A mirrored image
    is still a different input (the filters are not symmetric); for embeddings that are exactly
    the same for an image and its mirror, use ``reidlab.experiments.siamese.embed(..., flip=True)``. A linear
    layer maps the stripes to ``dim`` numbers. For 64 x 32 images: 93,520 parameters.
    ``in_channels`` other than 3 takes other inputs, e.g. stacked optical flow (chapter *Video ReID*).
    """

    def __init__(
        self, dim: int = 64, height: int = 64, width: int = 32, normalize: bool = True, in_channels: int = 3
    ) -> None:
        super().__init__()
        if height % 8 or width % 8:
            raise ValueError(f"height and width must be multiples of 8, got {height} x {width}")
        self.height, self.width, self.normalize, self.in_channels = height, width, normalize, in_channels
        channels = (in_channels, 16, 32, 64, 64)
        blocks = []
        for i, (c_in, c_out) in enumerate(itertools.pairwise(channels)):
            conv = nn.Conv2d(c_in, c_out, 3, stride=2 if i < 3 else 1, padding=1, bias=False)
            blocks += [conv, nn.BatchNorm2d(c_out), nn.ReLU()]
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(channels[-1] * (height // 8), dim)

    def unnormalized(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding before it is scaled to unit length: ``(N, dim)`` whatever ``normalize``."""
        if x.ndim != 4 or x.shape[1:] != (self.in_channels, self.height, self.width):
            raise ValueError(
                f"expected images (N, {self.in_channels}, {self.height}, {self.width}), got {tuple(x.shape)}"
            )
        stripes = self.features(x).mean(dim=3)  # (N, C, H/8): average across the width
        return self.head(stripes.flatten(1))  # (N, C H/8) -> (N, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.unnormalized(x)
        return F.normalize(z, dim=1) if self.normalize else z


def mlp(in_dim: int, out_dim: int, hidden: int = 32, depth: int = 2) -> nn.Sequential:
    """``depth`` hidden layers of ``hidden`` units with leaky ReLU (slope 0.2, as in DCGAN)."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(in_dim if i == 0 else hidden, hidden), nn.LeakyReLU(0.2)]
    layers.append(nn.Linear(hidden if depth else in_dim, out_dim))
    return nn.Sequential(*layers)
