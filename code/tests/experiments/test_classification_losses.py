"""reidlab.experiments.classification_losses and reidlab.worlds.vectors.two_class: the outlier
experiments behave as claimed."""

from __future__ import annotations

import pytest
import torch

from reidlab.experiments.classification_losses import (
    TRAINABLE,
    classifier_accuracy,
    fit,
    fit_all,
    format_table,
    noise_experiment,
    objective_along_x1,
    outlier_grid,
    point_weights,
)
from reidlab.losses.classification import margin_loss
from reidlab.models import linear_classifier, mlp_classifier
from reidlab.worlds.vectors import TwoClass, two_class


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
    assert all(a.shape == (2,) and ((0.5 < a) & (a <= 1)).all() for a in res.values())
    table = format_table(res)
    assert "pos:neg 1:1" in table and "noise 10%" in table and table.count("±") == 4
    assert set(TRAINABLE) >= {"logistic", "savage"}


def test_labels_remember_their_true_class() -> None:
    data = two_class(ratio=5, label_noise=0.2, seed=0)
    flipped = data.y != data.true_y
    assert 0.1 < flipped.float().mean() < 0.3
    assert (data.true_y[:200] == -1).all() and (data.true_y[200:] == 1).all()


def test_objective_along_x1_matches_the_loss_and_its_constant_row() -> None:
    data = two_class(ratio=5, label_noise=0.2, seed=3)
    slopes, offsets = torch.tensor([0.0, 0.5]), torch.tensor([-1.0, 0.0, 1.0])
    grid = objective_along_x1("hinge", data, slopes, offsets)
    assert grid.shape == (2, 3)
    direct = margin_loss("hinge")(data.y * (0.5 * data.x[:, 0] + 1.0)).mean()
    assert grid[1, 2].item() == pytest.approx(direct.item())
    labelled_positive = (data.y > 0).float().mean().item()
    assert grid[0, 0].item() == pytest.approx(2 * labelled_positive)  # "always -1": positives cost 2


def test_balanced_training_weighs_both_classes_alike() -> None:
    """With the classes weighted equally, one far outlier no longer drags the exponential loss."""
    data = two_class(ratio=5, n_outliers=1, outlier_distance=9.0, seed=0)
    test = two_class(n_negative=1000, seed=99)
    plain = classifier_accuracy(fit("exponential", data), test)
    balanced = classifier_accuracy(fit("exponential", data, balance=True), test)
    assert balanced > plain + 0.2
    with pytest.raises(ValueError, match="both labels"):
        fit("logistic", TwoClass(data.x, -torch.ones(len(data.y)), data.outlier, data.true_y), balance=True)


def test_outlier_grid_holds_each_frames_fits() -> None:
    grid = outlier_grid([1, 5], [0, 9])
    assert set(grid) == {(1, 0), (1, 9), (5, 0), (5, 9)}
    data, fits = grid[(5, 9)]
    assert int(data.outlier.sum()) == 1 and [f.loss for f in fits] == list(TRAINABLE)
    assert int(grid[(5, 0)][0].outlier.sum()) == 0


def test_models_output_one_score_per_point() -> None:
    x = torch.randn(5, 2)
    assert linear_classifier()(x).shape == (5,) and mlp_classifier(hidden=4)(x).shape == (5,)


def test_outlier_accuracy_and_format_seeds() -> None:
    from reidlab.experiments.classification_losses import format_seeds, outlier_accuracy

    accs = outlier_accuracy([5], [0, 9], seeds=(0, 1))
    assert set(accs) == {(5, 0), (5, 9)} and all(a.shape == (2,) for a in accs[(5, 9)].values())
    # the far outlier costs the exponential loss accuracy on both seeds
    assert (accs[(5, 9)]["exponential"] < accs[(5, 0)]["exponential"]).all()
    text = format_seeds(accs[(5, 9)], (0, 1))
    assert "seed 0" in text and "seed 1" in text and len(text.splitlines()) == 1 + len(TRAINABLE)
    a = torch.tensor([0.5, 0.7], dtype=torch.float64)
    assert "0.600 ± 0.141" in format_seeds({"hinge": a}, (0, 1))  # sample std (n - 1)
    with pytest.raises(ValueError, match="has 2 values for 3 seeds"):
        format_seeds({"hinge": a}, (0, 1, 2))


@pytest.mark.parametrize("loss", TRAINABLE)
def test_fit_many_equals_one_fit_per_data_set(loss: str) -> None:
    from reidlab.experiments.classification_losses import fit_many

    datasets = [two_class(ratio=5, n_outliers=1, outlier_distance=9.0, seed=s) for s in (0, 1, 2)]
    for balance in (False, True):
        many = fit_many(loss, datasets, [10, 11, 12], steps=40, balance=balance)
        for net, data, seed in zip(many, datasets, (10, 11, 12), strict=True):
            one = fit(loss, data, seed=seed, steps=40, balance=balance)
            assert torch.allclose(net.net.weight, one.net.weight, atol=1e-5)
            assert torch.allclose(net.net.bias, one.net.bias, atol=1e-5)


def test_fit_many_rejects_mismatched_input() -> None:
    from reidlab.experiments.classification_losses import fit_many

    a, b = two_class(ratio=5, seed=0), two_class(ratio=10, seed=0)
    with pytest.raises(ValueError, match="one seed per data set"):
        fit_many("logistic", [a], [0, 1])
    with pytest.raises(ValueError, match="same shape"):
        fit_many("logistic", [a, b], [0, 1])
    with pytest.raises(ValueError, match="cannot be trained"):
        fit_many("0-1", [a], [0])
