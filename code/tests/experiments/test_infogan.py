"""reidlab.experiments.infogan: the shapes' factors, the matching measure (against brute force), training."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.experiments.infogan import (
    abs_spearman,
    code_class_accuracy,
    code_effects,
    factor_correlations,
    matched_accuracy,
    mixup_share,
    q_code_accuracy,
    train_infogan,
    traversal,
)
from reidlab.losses.adversarial import info_loss
from reidlab.worlds.shapes import make_shapes


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40))
def test_matched_accuracy_is_the_best_permutation(pairs: list[tuple[int, int]]) -> None:
    pred = torch.tensor([p for p, _ in pairs])
    truth = torch.tensor([t for _, t in pairs])
    best = max(sum(perm[p] == t for p, t in pairs) / len(pairs) for perm in itertools.permutations(range(4)))
    assert matched_accuracy(pred, truth, 4) == pytest.approx(best)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=40))
def test_mixup_share_counts_the_pairs_mistakes_under_the_best_matching(pairs: list[tuple[int, int]]) -> None:
    pred = torch.tensor([p for p, _ in pairs])
    truth = torch.tensor([t for _, t in pairs])
    hits = [sum(perm[p] == t for p, t in pairs) for perm in itertools.permutations(range(3))]
    best = max(hits)
    share = mixup_share(pred, truth, 3, (0, 1))
    if best == len(pairs):
        assert share is None
        return
    # every best matching that ties gives a share; ours is one of them
    shares = set()
    for perm, h in zip(itertools.permutations(range(3)), hits, strict=True):
        if h == best:  # perm maps a predicted value to a class
            mixed = sum((t == 0 and perm[p] == 1) or (t == 1 and perm[p] == 0) for p, t in pairs)
            shares.add(mixed / (len(pairs) - best))
    assert any(share == pytest.approx(x) for x in shares)


def test_mixup_share_of_a_plain_example() -> None:
    truth = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
    pred = torch.tensor([1, 1, 0, 0, 0, 0, 2, 2, 1])  # values 1 -> class 0, 0 -> class 1
    # mistakes: one true 0 read as class 1, one true 2 read as class 0
    assert matched_accuracy(pred, truth, 3) == pytest.approx(7 / 9)
    assert mixup_share(pred, truth, 3, (0, 1)) == pytest.approx(1 / 2)
    assert mixup_share(pred, truth, 3, (0, 2)) == pytest.approx(1 / 2)
    assert mixup_share(truth, truth, 3, (0, 1)) is None
    with pytest.raises(ValueError, match="pair must be"):
        mixup_share(pred, truth, 3, (1, 1))
    with pytest.raises(TypeError, match="integer tensors"):
        mixup_share(pred.tolist(), truth, 3, (0, 1))  # type: ignore[arg-type]


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


def test_code_effects_are_zero_for_an_input_the_generator_ignores() -> None:
    """Cut the first layer's weights from the codes: switching or moving them changes nothing,
    while the noise still moves the image; each change is the mean |pixel change| in grey levels."""
    data = make_shapes(60, seed=0)
    model = train_infogan(data.images, steps=5, seed=0)
    gen = model.generator
    first = gen.net[0]
    with torch.no_grad():
        first.weight[:, gen.n_noise :] = 0  # columns of the one-hot code and the continuous codes
    effects = code_effects(model, n=50)
    assert set(effects) == {"categorical", "c1", "c2", "noise"}
    assert effects["categorical"] == effects["c1"] == effects["c2"] == 0.0
    assert 0 < effects["noise"] <= 255
    assert code_effects(model, n=50) == effects  # seeded
    z, cat, cont = gen.codes(20, torch.Generator().manual_seed(0))
    with torch.no_grad():
        lo, hi = cont.clone(), cont.clone()
        first.weight[:, gen.n_noise + gen.n_cat] = 1.0  # now c1 matters
        lo[:, 0], hi[:, 0] = -1.0, 1.0
        by_hand = float((gen(z, cat, hi) - gen(z, cat, lo)).abs().mean() * 255)
    again = code_effects(model, n=20, seed=0)
    assert again["c1"] == pytest.approx(by_hand) and again["c2"] == 0.0
    with pytest.raises(ValueError, match="n must be"):
        code_effects(model, n=0)


def test_q_code_accuracy_reads_the_codes_of_generated_images() -> None:
    data = make_shapes(60, seed=0)
    model = train_infogan(data.images, steps=5, seed=0)
    head = model.discriminator.q_head[-1]
    with torch.no_grad():  # a Q that always says code 0: right on the third of images with code 0
        head.weight.zero_()
        head.bias.zero_()
        head.bias[0] = 1.0
    _, cat, _ = model.generator.codes(300, torch.Generator().manual_seed(5))
    assert q_code_accuracy(model, n=300) == pytest.approx(float((cat == 0).float().mean()))
    with pytest.raises(ValueError, match="n must be"):
        q_code_accuracy(model, n=-1)
