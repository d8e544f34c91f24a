r"""Train and judge two-class classifiers under any margin loss.

The experiments of the chapter *Classification losses and outliers*: fit the same model to the
same data with different losses (:func:`fit`), see how much each training point pulls
(:func:`point_weights`), and score the result on clean data (:func:`classifier_accuracy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from reidlab._checks import lookup
from reidlab.evaluation import balanced_accuracy
from reidlab.losses.classification import margin_loss, margins
from reidlab.models import Scorer, linear_classifier, mlp_classifier
from reidlab.tables import seed_table
from reidlab.train import initial_weights, train
from reidlab.worlds.vectors import TwoClass, two_class

#: The losses the chapter trains with (0-1 has no gradient, so it cannot be trained).
TRAINABLE = ("logistic", "exponential", "hinge", "squared hinge", "squared error", "savage")


def fit(
    loss: str,
    data: TwoClass,
    *,
    model: str = "linear",
    steps: int = 150,
    lr: float = 0.1,
    weight_decay: float = 1e-3,
    balance: bool = False,
    seed: int = 0,
) -> Scorer:
    r"""Minimise :math:`\frac1N \sum_i c_i\, \ell(y_i f(x_i))` over a linear or MLP score :math:`f`.

    :math:`c_i = 1`, or with ``balance`` :math:`c_i = N / (2 N_{y_i})` (:math:`N_{y}` points carry
    label :math:`y`): each class then weighs as much as the other in total, however unbalanced.
    """
    ell = margin_loss(loss)
    if loss not in TRAINABLE:
        raise ValueError(f"{loss!r} cannot be trained by gradient descent; choose one of {TRAINABLE}")
    build = lookup({"linear": linear_classifier, "mlp": mlp_classifier}, model, "model")
    with initial_weights(seed):
        net = build(data.x.shape[1])
    c = _class_weights(data, balance)
    train(
        net,
        lambda f, x, y, c: (c * ell(margins(f(x), y))).mean(),
        (data.x, data.y, c),
        steps=steps,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
    )
    return net


def _class_weights(data: TwoClass, balance: bool) -> torch.Tensor:
    """:math:`c_i` of :func:`fit`: all 1, or with ``balance`` ``N / (2 N_{y_i})``."""
    positive = data.y > 0
    n_pos = int(positive.sum())
    if not balance:
        return torch.ones_like(data.y)
    if not 0 < n_pos < len(data.y):
        raise ValueError("balance needs training points of both labels")
    return torch.where(positive, len(data.y) / (2 * n_pos), len(data.y) / (2 * (len(data.y) - n_pos)))


class _Stacked(torch.nn.Module):
    """``K`` linear scores side by side: ``(K, N, D) -> (K, N)``, one weight row per model."""

    def __init__(self, nets: Sequence[Scorer]) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.stack([n.net.weight.detach()[0] for n in nets]))  # (K, D)
        self.bias = torch.nn.Parameter(torch.stack([n.net.bias.detach()[0] for n in nets]))  # (K,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("knd,kd->kn", x, self.weight) + self.bias[:, None]


def fit_many(
    loss: str,
    datasets: Sequence[TwoClass],
    seeds: Sequence[int],
    *,
    steps: int = 150,
    lr: float = 0.1,
    weight_decay: float = 1e-3,
    balance: bool = False,
) -> list[Scorer]:
    r""":func:`fit` of a linear score to each data set, ``datasets[k]`` with ``seeds[k]``, all
    trained in one loop: the result of each equals its own :func:`fit` up to rounding.

    Why it may: the models share nothing. The loop minimises the *sum* of their objectives,
    whose gradient for model :math:`k` is the gradient of objective :math:`k` alone, and Adam
    (with decoupled weight decay) updates every parameter from its own gradients only. One loop
    instead of ``K`` saves the fixed cost of a step, which is most of the cost of a step of a
    two-parameter model. The data sets must have the same number of points.
    """
    ell = margin_loss(loss)
    if loss not in TRAINABLE:
        raise ValueError(f"{loss!r} cannot be trained by gradient descent; choose one of {TRAINABLE}")
    if len(datasets) != len(seeds) or not datasets:
        raise ValueError(f"need one seed per data set, got {len(seeds)} seeds for {len(datasets)} data sets")
    if len({d.x.shape for d in datasets}) != 1:
        raise ValueError("the data sets must all have the same shape to be trained together")
    nets = []
    for seed in seeds:
        with initial_weights(seed):  # each model's initial weights, as in fit
            nets.append(linear_classifier(datasets[0].x.shape[1]))
    stacked = _Stacked(nets)
    x = torch.stack([d.x for d in datasets])  # (K, N, D)
    y = torch.stack([d.y for d in datasets])  # (K, N)
    c = torch.stack([_class_weights(d, balance) for d in datasets])  # (K, N)
    train(
        stacked,
        lambda f, x, y, c: (c * ell(y * f(x))).mean(dim=1).sum(),
        (x, y, c),
        steps=steps,
        lr=lr,
        weight_decay=weight_decay,
        seed=seeds[0],
    )
    with torch.no_grad():
        for k, net in enumerate(nets):
            net.net.weight.copy_(stacked.weight[k : k + 1])
            net.net.bias.copy_(stacked.bias[k : k + 1])
    return nets


@torch.no_grad()
def point_weights(loss: str, net: Scorer, data: TwoClass) -> torch.Tensor:
    r"""Each training point's pull on the fit, :math:`|\ell'(m_i)|`, as a share of the total."""
    w = margin_loss(loss).weight(margins(net(data.x), data.y))
    return w / w.sum()


@torch.no_grad()
def classifier_accuracy(net: Scorer, data: TwoClass) -> float:
    """Balanced accuracy of the sign of ``net`` on ``data`` (see
    :func:`reidlab.evaluation.balanced_accuracy`): 0.5 for a constant guess."""
    return balanced_accuracy(net(data.x) > 0, data.y > 0)


@torch.no_grad()
def objective_along_x1(
    loss: str, data: TwoClass, slopes: torch.Tensor, offsets: torch.Tensor
) -> torch.Tensor:
    r"""The training objective :math:`\frac1N \sum_i \ell(y_i f(x_i))` of every score
    :math:`f(x) = w x_1 + b` on a grid: ``(len(slopes), len(offsets))``. The row where
    :math:`w = 0` holds the constant answers; the best boundary for the clean classes,
    :math:`x_1 = 0`, lies along :math:`b = 0`."""
    ell = margin_loss(loss)
    scores = slopes[:, None, None] * data.x[None, None, :, 0] + offsets[None, :, None]  # (W, B, N)
    return ell(data.y * scores).mean(dim=2)


def clean_test_set(seed: int = 10_000) -> TwoClass:
    """A large, balanced, noise-free test set from the same two classes."""
    return two_class(n_negative=2000, ratio=1.0, seed=seed)


@dataclass(frozen=True)
class Fit:
    loss: str
    net: Scorer
    weights: torch.Tensor
    accuracy: float


def fit_all(data: TwoClass, losses: tuple[str, ...] = TRAINABLE, **fit_kw: object) -> list[Fit]:
    """Fit every loss to ``data``; keep each model, its point weights and its clean accuracy."""
    test = clean_test_set()
    fits = []
    for loss in losses:
        net = fit(loss, data, **fit_kw)
        fits.append(Fit(loss, net, point_weights(loss, net, data), classifier_accuracy(net, test)))
    return fits


def accuracy_over_seeds(
    data_kw: dict[str, float],
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    losses: tuple[str, ...] = TRAINABLE,
    **fit_kw: object,
) -> dict[str, torch.Tensor]:
    """Clean balanced accuracy of every loss, one per seed: ``{loss: (len(seeds),)}``. Each seed
    draws a new training set ``two_class(**data_kw, seed=seed)`` and a new initialisation; the
    seeds of one loss are trained together (:func:`fit_many`)."""
    test = clean_test_set()
    seeds = list(seeds)
    datasets = [two_class(**data_kw, seed=seed) for seed in seeds]
    return {
        loss: torch.tensor(
            [classifier_accuracy(net, test) for net in fit_many(loss, datasets, seeds, **fit_kw)],
            dtype=torch.float64,
        )
        for loss in losses
    }


def noise_experiment(
    noises: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2),
    ratios: tuple[float, ...] = (1.0, 5.0),
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    losses: tuple[str, ...] = TRAINABLE,
) -> dict[tuple[str, float, float], torch.Tensor]:
    """Clean balanced accuracy per (loss, class ratio, label-noise rate), one per seed."""
    results = {}
    for ratio in ratios:
        for noise in noises:
            accs = accuracy_over_seeds({"ratio": ratio, "label_noise": noise}, seeds, losses)
            results |= {(loss, ratio, noise): a for loss, a in accs.items()}
    return results


def outlier_grid(
    ratios: Sequence[float], distances: Sequence[float], seed: int = 0
) -> dict[tuple[float, float], tuple[TwoClass, list[Fit]]]:
    """Every loss fitted to 200 negatives, one positive per ``ratio`` negatives and, if the
    distance is above 0, one mislabelled point that far beyond the boundary: the data and fits
    behind each frame of the chapter's outlier explorable, keyed by ``(ratio, distance)``."""
    grid = {}
    for ratio in ratios:
        for distance in distances:
            data = two_class(ratio=ratio, n_outliers=int(distance > 0), outlier_distance=distance, seed=seed)
            grid[(ratio, distance)] = (data, fit_all(data, seed=seed))
    return grid


def outlier_accuracy(
    ratios: Sequence[float], distances: Sequence[float], seeds: Sequence[int] = (0, 1, 2, 3, 4)
) -> dict[tuple[float, float], dict[str, torch.Tensor]]:
    """The settings of :func:`outlier_grid` on several seeds: clean balanced accuracy of every
    loss, one per seed (a new data set and initialisation each), keyed by ``(ratio, distance)``
    (distance 0: no outlier)."""
    return {
        (ratio, distance): accuracy_over_seeds(
            {"ratio": ratio, "n_outliers": int(distance > 0), "outlier_distance": distance}, seeds
        )
        for ratio in ratios
        for distance in distances
    }


def format_seeds(accs: dict[str, torch.Tensor], seeds: Sequence[int]) -> str:
    """Accuracies ``{loss: (len(seeds),)}`` as text: a row per loss, a column per seed, then the
    mean and the sample standard deviation (n - 1) over the seeds (:mod:`reidlab.tables`)."""
    return seed_table(accs, seeds, summary=True, label="loss", label_width=14, width=7)


def format_table(results: dict[tuple[str, float, float], torch.Tensor]) -> str:
    """The results of :func:`noise_experiment` as text: a block per class ratio, a row per loss,
    a column per label-noise rate, each cell ``mean ±sd`` over the seeds (sample sd, n - 1)."""
    losses = list(dict.fromkeys(k[0] for k in results))
    ratios = sorted({k[1] for k in results})
    noises = sorted({k[2] for k in results})
    blocks = []
    for ratio in ratios:
        rows = {loss: torch.stack([results[(loss, ratio, n)] for n in noises], 1) for loss in losses}
        head, *body = seed_table(
            rows,
            columns=[f"noise {n:.0%}" for n in noises],
            sep=" ±",
            label=f"pos:neg 1:{ratio:g}",
            label_width=14,
            width=13,
        ).split("\n")
        blocks.append("\n".join([head, "-" * len(head), *body]))
    return "\n\n".join(blocks)
