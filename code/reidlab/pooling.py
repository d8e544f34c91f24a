r"""Pooling the frames of a clip into one feature: a weighted mean
:math:`\sum_t w_t x_t / \sum_t w_t` of its frame features :math:`x_t` (chapter *Video ReID*).
:func:`pool_frames` offers

* ``"mean"``: :math:`w_t = 1`;
* ``"close-first"``: :math:`w_t = e^{-d_t/\tau}`, where :math:`d_t` is the frame's distance from
  the clip's mean (a formula for the rule the diary describes) -- and the mean is re-computed
  with these weights, ``iterations`` times: iteratively reweighted least squares (IRLS) for a
  robust mean;
* ``"far-first"``: :math:`w_t = e^{+d_t/\tau}`, the exponential loss's way: the farther, the
  heavier;
* ``"median"``: the IRLS weights of the L1 loss, :math:`w_t = 1/d_t`, from
  :func:`reidlab.losses.regression.irls_weight`: the geometric median (Weiszfeld's algorithm);
* ``"quality"``: a learned score per frame, softmax over the clip (:class:`QualityPooling`, in
  the spirit of the quality-aware network of Liu et al., 2017).

Distances are measured in units of the clip's median :math:`d_t` from the plain mean, so
:math:`\tau` does not depend on how spread a clip is.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from reidlab._checks import check_float_tensor, lookup
from reidlab.losses.regression import irls_weight

POOLINGS = ("mean", "close-first", "far-first", "median")


def _check_features(features: object) -> torch.Tensor:
    x = check_float_tensor(features, "features")
    if x.ndim != 3 or x.shape[1] < 1:
        raise ValueError(f"features must be (clips, frames, dim), got {tuple(x.shape)}")
    return x


def frame_weights(distances: torch.Tensor, pooling: str, tau: float = 0.5) -> torch.Tensor:
    r"""The weight of each frame ``(N, T)`` from its distance to the clip's mean ``(N, T)``,
    already divided by the clip's scale, for a ``pooling`` of :data:`POOLINGS`. ``"mean"`` and
    ``"median"`` are the IRLS weights of the L2 and L1 losses."""
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}")
    r = distances
    table: dict[str, Callable[[], torch.Tensor]] = {
        "mean": lambda: irls_weight(r, "L2"),
        "median": lambda: irls_weight(r, "L1", eps=1e-3),
        "close-first": lambda: torch.exp(-r / tau),
        "far-first": lambda: torch.exp((r - r.amax(dim=1, keepdim=True)) / tau),  # same ratios, no overflow
    }
    return lookup(table, pooling, "pooling")()


def close_first_loss(r: torch.Tensor, tau: float = 0.5) -> torch.Tensor:
    r"""The loss whose IRLS weight :math:`\rho'(r)/r` is the diary's :math:`e^{-r/\tau}`:
    :math:`\rho(r) = \tau^2 \left(1 - (1 + r/\tau)\, e^{-r/\tau}\right)`. Like L2 near 0
    (:math:`\rho \approx r^2/2`), and flat far away: a frame far off costs at most
    :math:`\tau^2` however far it is, so it cannot drag the mean."""
    return tau**2 * (1 - (1 + r / tau) * torch.exp(-r / tau))


def robust_mean(
    features: torch.Tensor, pooling: str = "mean", tau: float = 0.5, iterations: int = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """The weighted mean of each clip's frame features ``(N, T, D)`` -> ``(N, D)``, and the frame
    weights ``(N, T)`` (summing to 1). Start from the plain mean; the clip's scale is the median
    distance of its frames from it. Then ``iterations`` times: weigh each frame by its distance
    from the current mean, in units of the scale (:func:`frame_weights`), and take the weighted
    mean again (iteratively reweighted least squares). ``iterations=1``: the weights come from
    the distance to the plain mean, once."""
    x = _check_features(features)
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    lookup(dict.fromkeys(POOLINGS), pooling, "pooling")
    w = torch.full(x.shape[:2], 1.0 / x.shape[1], dtype=x.dtype)
    centre = x.mean(dim=1)
    if pooling == "mean":
        return centre, w
    scale = (x - centre[:, None]).norm(dim=2).median(dim=1, keepdim=True).values.clamp_min(1e-12)
    for _ in range(iterations):
        w = frame_weights((x - centre[:, None]).norm(dim=2) / scale, pooling, tau)
        w = w / w.sum(dim=1, keepdim=True)
        centre = (w[..., None] * x).sum(dim=1)
    return centre, w


def pool_frames(
    features: torch.Tensor, pooling: str = "mean", tau: float = 0.5, iterations: int = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit-length clip features ``(N, D)`` and frame weights ``(N, T)``: :func:`robust_mean`
    scaled to unit length."""
    centre, w = robust_mean(features, pooling, tau, iterations)
    return F.normalize(centre, dim=1), w


class QualityPooling(nn.Module):
    r"""A learned quality score per frame, :math:`q_t = \mathrm{MLP}(x_t)` (one hidden layer of
    32), and the clip feature :math:`\sum_t \mathrm{softmax}(q)_t\, x_t`. (The quality-aware
    network of Liu et al. (2017) scores each frame with a branch of its own on the image; here
    the score is read off the frame's feature.)"""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 1))

    def weights(self, features: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.score(features).squeeze(-1), dim=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return F.normalize((self.weights(features)[..., None] * features).sum(dim=1), dim=1)


class ContextPooling(nn.Module):
    r"""Attention over frames that sees the whole clip: a bidirectional GRU reads the frame
    features in order, and each frame's score is read off its GRU state, which knows the frames
    before and after it; then the softmax over the clip and the weighted mean, scaled to unit
    length. (The diary's guess: frame weights from an attention mechanism on top of an LSTM.)"""

    def __init__(self, dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.rnn = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
        self.score = nn.Linear(2 * hidden, 1)

    def weights(self, features: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(features)
        return torch.softmax(self.score(states).squeeze(-1), dim=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return F.normalize((self.weights(features)[..., None] * features).sum(dim=1), dim=1)
