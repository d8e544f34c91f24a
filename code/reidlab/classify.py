r"""Train and judge two-class classifiers under any margin loss.

The experiments of the chapter *Classification losses and outliers*: fit the same model to the
same data with different losses (:func:`fit`), see how much each training point pulls
(:func:`point_weights`), and score the result on clean data (:func:`classifier_accuracy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from reidlab.data import TwoClass, two_class
from reidlab.evaluation import balanced_accuracy
from reidlab.losses.classification import margin_loss, margins
from reidlab.models import Scorer, linear_classifier, mlp_classifier
from reidlab.train import train

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
    seed: int = 0,
) -> Scorer:
    r"""Minimise :math:`\frac1N \sum_i \ell(y_i f(x_i))` over a linear or MLP score :math:`f`."""
    ell = margin_loss(loss)
    if loss not in TRAINABLE:
        raise ValueError(f"{loss!r} cannot be trained by gradient descent; choose one of {TRAINABLE}")
    torch.manual_seed(seed)  # the model's initial weights
    net = {"linear": linear_classifier, "mlp": mlp_classifier}[model](data.x.shape[1])
    train(
        net,
        lambda f, x, y: ell(margins(f(x), y)).mean(),
        (data.x, data.y),
        steps=steps,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
    )
    return net


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


def noise_experiment(
    noises: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2),
    ratios: tuple[float, ...] = (1.0, 5.0),
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    losses: tuple[str, ...] = TRAINABLE,
) -> dict[tuple[str, float, float], tuple[float, float]]:
    """Clean balanced accuracy per (loss, class ratio, label-noise rate): mean and standard
    deviation over seeds. Each seed draws a new training set, noise and initialisation."""
    test = clean_test_set()
    results = {}
    for ratio in ratios:
        for noise in noises:
            accs = {loss: [] for loss in losses}
            for seed in seeds:
                data = two_class(ratio=ratio, label_noise=noise, seed=seed)
                for loss in losses:
                    accs[loss].append(classifier_accuracy(fit(loss, data, seed=seed), test))
            for loss, a in accs.items():
                t = torch.tensor(a)
                results[(loss, ratio, noise)] = (t.mean().item(), t.std().item() if len(a) > 1 else 0.0)
    return results


def format_table(results: dict[tuple[str, float, float], tuple[float, float]]) -> str:
    """The results of :func:`noise_experiment` as text: a block per class ratio, a row per loss,
    a column per label-noise rate, each cell ``mean ± std``."""
    losses = list(dict.fromkeys(k[0] for k in results))
    ratios = sorted({k[1] for k in results})
    noises = sorted({k[2] for k in results})
    lines = []
    for ratio in ratios:
        head = f"{f'pos:neg 1:{ratio:g}':14s}" + "".join(f"{f'noise {n:.0%}':>15s}" for n in noises)
        lines += [head, "-" * len(head)]
        for loss in losses:
            cells = "".join(
                f"{results[(loss, ratio, n)][0]:>8.3f} ±{results[(loss, ratio, n)][1]:.3f}" for n in noises
            )
            lines.append(f"{loss:14s}{cells}")
        lines.append("")
    return "\n".join(lines).rstrip()
