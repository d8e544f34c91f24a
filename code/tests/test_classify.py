"""reidlab.classify and reidlab.data.two_class: the outlier experiments behave as claimed."""

from __future__ import annotations

import pytest
import torch

from reidlab.classify import (
    TRAINABLE,
    classifier_accuracy,
    fit,
    fit_all,
    format_table,
    noise_experiment,
    point_weights,
)
from reidlab.data import two_class
from reidlab.models import linear_classifier, mlp_classifier


def test_two_class_shapes_ratio_outliers_and_noise() -> None:
    d = two_class(n_negative=100, ratio=5, n_outliers=2, outlier_distance=7.0, seed=3)
    assert d.x.shape == (122, 2) and d.y.shape == (122,) and d.outlier.sum() == 2
    assert (d.y == 1).sum() == 20 and (d.y[d.outlier] == -1).all()
    assert torch.allclose(d.x[d.outlier, 0], torch.tensor(7.0))
    noisy = two_class(n_negative=1000, label_noise=0.2, seed=0)
    clean = two_class(n_negative=1000, seed=0)
    flipped = (noisy.y != clean.y).float().mean().item()
    assert 0.17 < flipped < 0.23
    assert torch.equal(two_class(seed=4).x, two_class(seed=4).x)
    with pytest.raises(ValueError):
        two_class(ratio=0.5)


def test_fit_is_deterministic_and_good_on_clean_data() -> None:
    data = two_class(seed=0)
    a, b = fit("logistic", data, seed=1), fit("logistic", data, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert classifier_accuracy(a, two_class(n_negative=1000, seed=99)) > 0.9
    assert classifier_accuracy(fit("hinge", data, model="mlp"), two_class(n_negative=1000, seed=99)) > 0.9


def test_fit_rejects_untrainable_loss() -> None:
    with pytest.raises(ValueError, match="cannot be trained"):
        fit("0-1", two_class())


def test_balanced_accuracy_of_a_constant_guess_is_one_half() -> None:
    data = two_class(n_negative=200, ratio=20)
    net = linear_classifier()
    with torch.no_grad():
        net.net.weight.zero_()
        net.net.bias.fill_(-1.0)  # always "negative": 95% plain accuracy here
    assert classifier_accuracy(net, data) == pytest.approx(0.5)


def test_point_weights_sum_to_one() -> None:
    data = two_class(n_outliers=1, seed=0)
    net = fit("exponential", data)
    w = point_weights("exponential", net, data)
    assert w.sum().item() == pytest.approx(1.0) and (w >= 0).all()


def test_the_chapter_claim_exponential_breaks_first_and_bounded_loss_holds() -> None:
    """One far, mislabelled point with 1:5 imbalance: exponential loss gives up the minority
    class, logistic and hinge much less so, the bounded Savage loss not at all."""
    data = two_class(ratio=5, n_outliers=1, outlier_distance=9.0, seed=0)
    acc = {f.loss: f.accuracy for f in fit_all(data)}
    assert acc["exponential"] < acc["logistic"] - 0.15
    assert acc["savage"] >= max(acc.values()) - 1e-9
    w = {
        f.loss: f.weights[data.outlier].sum().item() for f in fit_all(data, losses=("exponential", "savage"))
    }
    assert w["exponential"] > 0.05 and w["savage"] < 1e-3


def test_noise_experiment_and_table() -> None:
    res = noise_experiment(noises=(0.0, 0.1), ratios=(1.0,), seeds=(0, 1), losses=("logistic", "savage"))
    assert set(res) == {(loss, 1.0, n) for loss in ("logistic", "savage") for n in (0.0, 0.1)}
    assert all(0.5 < m <= 1 and s >= 0 for m, s in res.values())
    table = format_table(res)
    assert "pos:neg 1:1" in table and "noise 10%" in table and table.count("±") == 4
    assert set(TRAINABLE) >= {"logistic", "savage"}


def test_models_output_one_score_per_point() -> None:
    x = torch.randn(5, 2)
    assert linear_classifier()(x).shape == (5,) and mlp_classifier(hidden=4)(x).shape == (5,)
