"""Small models, each a plain ``nn.Module`` built by a function that says what it is.

* :func:`linear_classifier`, :func:`mlp_classifier` (chapter *Classification losses and
  outliers*): a score :math:`f(x)` whose sign is the predicted class.
"""

from __future__ import annotations

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
