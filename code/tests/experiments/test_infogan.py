"""reidlab.experiments.infogan: the shapes' factors, the matching measure (against brute force), training."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from reidlab.experiments.infogan import (
    Reader,
    abs_spearman,
    code_class_accuracy,
    code_effects,
    factor_correlations,
    matched_accuracy,
    mixup_share,
    q_class_accuracy,
    q_code_accuracy,
    reader_scores,
    train_infogan,
    train_reader,
    traversal,
)
from reidlab.losses.adversarial import info_loss
from reidlab.worlds.shapes import CIRCLE, KINDS, make_shapes


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
    # the reference, by hand: row k is code k, column i noise draw i of the seed, code j = value
    gen = a.generator
    z = torch.randn(3, gen.n_noise, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        for k in range(3):
            cont = torch.tensor([[0.0, 0.5]]).expand(3, 2)
            torch.testing.assert_close(grid[k], gen(z, torch.full((3,), k), cont)[:, 0])
    # the rows differ (the code is an input), and so do the columns (the noise draws)
    assert (grid[0] - grid[1]).abs().max() > 1e-4 and (grid[:, 0] - grid[:, 1]).abs().max() > 1e-4
    # sweeping the value moves the images, and the same value gives the same images again
    assert torch.equal(traversal(a, j=1, value=0.5, n_noise_draws=3), grid)
    assert (traversal(a, j=1, value=-0.5, n_noise_draws=3) - grid).abs().max() > 1e-4
    # code 0 at 0.5 with code 1 at 0 is another input than code 1 at 0.5 with code 0 at 0
    assert (traversal(a, j=0, value=0.5, n_noise_draws=3) - grid).abs().max() > 1e-4
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
    assert rho.shape == (2, 2) and ((0 <= rho) & (rho <= 1)).all()
    # the reference, by hand: the same 200 codes, the Blind reader's outputs, Spearman per pair
    gen = model.generator
    z, cat, cont = gen.codes(200, torch.Generator().manual_seed(321))
    with torch.no_grad():
        logits, scale, rotation = Blind()(gen(z, cat, cont))
    shaped = logits.argmax(1) != 0  # not read as a circle
    assert 0 < int(shaped.sum()) < 200
    for j in range(2):
        assert rho[j, 0].item() == pytest.approx(abs_spearman(cont[:, j], scale), abs=1e-6)
        assert rho[j, 1].item() == pytest.approx(abs_spearman(cont[shaped, j], rotation[shaped]), abs=1e-6)
    # this generator still uses its codes (its weights are random): some code moves the
    # brightness. Cut the codes from it: the image no longer depends on them, and no code
    # correlates with what the reader reads (|rho| of 1000 independent draws: about 0.03)
    assert factor_correlations(model, Blind(), n=1000).max() > 0.2  # type: ignore[arg-type]
    with torch.no_grad():
        gen.net[0].weight[:, gen.n_noise :] = 0
    cut = factor_correlations(model, Blind(), n=1000)  # type: ignore[arg-type]
    assert (cut < 0.12).all()
    assert code_class_accuracy(model, Blind(), per_code=300) < 0.4  # type: ignore[arg-type]


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


@pytest.fixture(scope="module")
def real_shapes():
    """Labelled real shapes: a training set and a held-out one, drawn from other seeds."""
    return make_shapes(300, seed=0), make_shapes(150, seed=1)


@pytest.fixture(scope="module")
def reader(real_shapes):
    return train_reader(real_shapes[0], steps=60, batch=64, seed=0)


def test_a_reader_trained_on_real_shapes_reads_held_out_ones(real_shapes, reader):
    _, held_out = real_shapes
    scores = reader_scores(reader, held_out)
    assert set(scores) == {"accuracy", "scale", "rotation"}
    assert scores["accuracy"] > 0.7  # chance: 1/3
    assert scores["scale"] > 0.7 and scores["rotation"] > 0.7
    assert not reader.training
    # an untrained reader of the same architecture reads nothing
    torch.manual_seed(0)
    fresh = reader_scores(type(reader)().eval(), held_out)
    assert fresh["accuracy"] < 0.5 and scores["accuracy"] > fresh["accuracy"] + 0.3


def test_train_reader_is_deterministic_under_its_seed(real_shapes, reader):
    train, _ = real_shapes
    a, b, c = (train_reader(train, steps=3, batch=16, seed=s) for s in (4, 4, 5))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert any(not torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters(), strict=True))
    again = train_reader(train, steps=60, batch=64, seed=0)
    x = train.images[:20]
    with torch.no_grad():
        assert all(torch.equal(u, v) for u, v in zip(reader(x), again(x), strict=True))


def test_train_reader_is_the_loss_of_its_docstring_minimised_by_adam(real_shapes):
    """Against the loop written out: a fresh reader from the seed, batches drawn with
    ``torch.randint`` from a generator of the seed, Adam at 2e-3 on cross-entropy plus the
    squared errors of the standardised scale and (circles excepted) rotation."""
    data, _ = real_shapes
    torch.manual_seed(2)
    by_hand = Reader()
    opt = torch.optim.Adam(by_hand.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(2)
    scale = (data.scale - data.scale.mean()) / data.scale.std()
    rotation = data.rotation / data.rotation.std()
    has_rotation = (data.kinds != CIRCLE).float()
    for _ in range(5):
        i = torch.randint(len(data.kinds), (16,), generator=g)
        logits, s, r = by_hand(data.images[i])
        rot = ((r - rotation[i]) ** 2 * has_rotation[i]).sum() / has_rotation[i].sum().clamp(min=1)
        loss = F.cross_entropy(logits, data.kinds[i]) + ((s - scale[i]) ** 2).mean() + rot
        opt.zero_grad()
        loss.backward()
        opt.step()
    state = torch.get_rng_state()
    trained = train_reader(data, steps=5, batch=16, seed=2)
    assert torch.equal(torch.get_rng_state(), state)  # the caller's random numbers are untouched
    for a, b in zip(trained.parameters(), by_hand.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)  # fused Adam: another summation order


class Oracle(torch.nn.Module):
    """A 'reader' that returns given outputs, whatever the images."""

    n_kinds = len(KINDS)

    def __init__(self, logits, scale, rotation):
        super().__init__()
        self.out = (logits, scale, rotation)

    def forward(self, x):
        assert len(x) == len(self.out[0])
        return self.out


def test_reader_scores_agree_with_brute_force(real_shapes, reader):
    _, data = real_shapes
    scores = reader_scores(reader, data)
    with torch.no_grad():
        logits, s, r = reader(data.images)
    right = sum(int(p) == int(k) for p, k in zip(logits.argmax(1), data.kinds, strict=True))
    assert scores["accuracy"] == pytest.approx(right / len(data.kinds))
    rot = [i for i, k in enumerate(data.kinds.tolist()) if k != CIRCLE]
    assert 0 < len(rot) < len(data.kinds)
    assert scores["scale"] == pytest.approx(abs(spearmanr(s.numpy(), data.scale.numpy()).statistic))
    assert scores["rotation"] == pytest.approx(
        abs(spearmanr(r[rot].numpy(), data.rotation[rot].numpy()).statistic)
    )


def test_reader_scores_of_a_perfect_reader_and_of_a_circle_rotation(real_shapes):
    """Reading the truth scores 1 everywhere, even with a decreasing scale (|rho|) and with
    nonsense as the rotation of the circles (a circle has none, so it is left out)."""
    _, data = real_shapes
    logits = torch.nn.functional.one_hot(data.kinds, len(KINDS)).float()
    rotation = torch.where(data.kinds == CIRCLE, torch.randn(len(data.kinds)) * 100, data.rotation)
    perfect = reader_scores(Oracle(logits, -(data.scale**3), rotation), data)  # type: ignore[arg-type]
    assert perfect == pytest.approx({"accuracy": 1.0, "scale": 1.0, "rotation": 1.0})
    wrong = reader_scores(Oracle(logits.roll(1, dims=1), data.scale, data.rotation), data)  # type: ignore[arg-type]
    assert wrong["accuracy"] == 0.0  # accuracy is not matched: kind names are the reader's own


def test_q_class_accuracy_is_the_best_matching_of_q_on_real_shapes(real_shapes):
    _, data = real_shapes
    model = train_infogan(real_shapes[0].images, steps=5, seed=0)
    acc = q_class_accuracy(model, data)
    with torch.no_grad():
        pred = model.discriminator(data.images).cat_logits.argmax(1).tolist()
    kinds = data.kinds.tolist()
    brute = max(
        sum(perm[p] == k for p, k in zip(pred, kinds, strict=True)) / len(kinds)
        for perm in itertools.permutations(range(3))
    )
    assert acc == pytest.approx(brute)
    assert 1 / 3 <= acc <= 1  # the best of the 3! matchings beats their mean, 1/3
    head = model.discriminator.q_head[-1]
    with torch.no_grad():  # renaming Q's codes (permuting its logits) changes nothing
        head.weight[:3] = head.weight[[2, 0, 1]]
        head.bias[:3] = head.bias[[2, 0, 1]]
    assert q_class_accuracy(model, data) == pytest.approx(acc)
    with torch.no_grad():  # a Q that always says one code: right on the most common kind only
        head.weight.zero_()
        head.bias.zero_()
        head.bias[1] = 1.0
    assert q_class_accuracy(model, data) == pytest.approx(float(data.kinds.bincount().max()) / len(kinds))
