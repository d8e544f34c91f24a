"""reidlab.infogan: the shapes' factors, the matching measure (against brute force), training."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.infogan import (
    KINDS,
    abs_spearman,
    code_class_accuracy,
    factor_correlations,
    make_shapes,
    matched_accuracy,
    train_infogan,
    traversal,
)
from reidlab.losses.adversarial import info_loss


def test_shapes_carry_their_factors() -> None:
    data = make_shapes(30, seed=2)
    assert data.images.shape == (30, 1, 16, 16)
    assert data.kinds.tolist() == [i % len(KINDS) for i in range(30)]
    assert ((data.scale >= 0.75) & (data.scale <= 1.0)).all()
    assert data.rotation.abs().max() <= 15.0
    big, small = data.scale.argmax(), data.scale.argmin()
    if data.kinds[big] == data.kinds[small]:  # same kind: the bigger one has more bright pixels
        assert data.images[big].sum() > data.images[small].sum()
    assert torch.equal(make_shapes(30, seed=2).images, data.images)
    with pytest.raises(ValueError, match="max_rotation"):
        make_shapes(3, max_rotation=60)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40))
def test_matched_accuracy_is_the_best_permutation(pairs: list[tuple[int, int]]) -> None:
    pred = torch.tensor([p for p, _ in pairs])
    truth = torch.tensor([t for _, t in pairs])
    best = max(sum(perm[p] == t for p, t in pairs) / len(pairs) for perm in itertools.permutations(range(4)))
    assert matched_accuracy(pred, truth, 4) == pytest.approx(best)


def test_matched_accuracy_ignores_names_and_checks_inputs() -> None:
    truth = torch.tensor([0, 0, 1, 1, 2, 2])
    assert matched_accuracy((truth + 1) % 3, truth, 3) == 1.0
    with pytest.raises(ValueError, match=r"values in 0\.\.2"):
        matched_accuracy(truth + 1, truth, 3)
    with pytest.raises(ValueError, match="one length"):
        matched_accuracy(truth[:3], truth, 3)


def test_abs_spearman() -> None:
    a = torch.arange(10.0)
    assert abs_spearman(a, -(a**3)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one length"):
        abs_spearman(a, a[:5])


def test_info_loss_with_a_predicted_std_matches_pytorch() -> None:
    g = torch.Generator().manual_seed(0)
    mean, log_std = torch.randn(8, 2, generator=g), 0.5 * torch.randn(8, 2, generator=g)
    codes = 2 * torch.rand(8, 2, generator=g) - 1
    theirs = 2 * F.gaussian_nll_loss(mean, codes, log_std.exp() ** 2, full=True)
    ours = info_loss(None, None, mean, codes, cont_std=log_std.exp())
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(
        info_loss(None, None, mean, codes, log_std.exp(), cont_weight=0.1), 0.1 * theirs
    )
    with pytest.raises(ValueError, match="cont_std must be positive"):
        info_loss(None, None, mean, codes, cont_std=-log_std.exp())


def test_training_is_deterministic_and_the_outputs_have_the_documented_shapes() -> None:
    data = make_shapes(60, seed=0)
    a = train_infogan(data.images, steps=20, seed=1)
    b = train_infogan(data.images, steps=20, seed=1)
    for pa, pb in zip(a.generator.parameters(), b.generator.parameters(), strict=True):
        assert torch.equal(pa, pb)
    grid = traversal(a, j=1, value=0.5, n_noise_draws=3)
    assert grid.shape == (3, 3, 16, 16) and 0 <= grid.min() and grid.max() <= 1
    with pytest.raises(ValueError, match="j must be"):
        traversal(a, j=2, value=0.0)
    with pytest.raises(ValueError, match="images must have shape"):
        train_infogan(data.images[:, 0], steps=1)


def test_a_generator_that_ignores_the_code_scores_near_chance() -> None:
    """With an untrained generator and a 'reader' that sees only brightness, no code means a kind."""
    data = make_shapes(60, seed=0)
    model = train_infogan(data.images, steps=1, info_weight=0.0, seed=0)

    class Blind(torch.nn.Module):
        n_kinds = 3

        def forward(self, x):
            b = x.mean((1, 2, 3))
            b = b - b.median()  # brighter than the median: "square", else "circle"
            return torch.stack([0 * b, b, 0 * b - 1], 1), b, b

    acc = code_class_accuracy(model, Blind(), per_code=100)  # type: ignore[arg-type]
    assert acc < 0.6
    rho = factor_correlations(model, Blind(), n=200)  # type: ignore[arg-type]
    assert rho.shape == (2, 2)
