"""The strong baseline's tricks, one by one: BNNeck, ID loss with label smoothing, batch-hard triplet,
centre loss, warm-up and steps, random erasing (statistics and kept pixels), flips and crops.

References: ``F.cross_entropy(label_smoothing=...)`` for the ID loss, brute-force loops for the
triplet and centre losses, ``nn.BatchNorm1d`` written out for the BNNeck, the paper's table of
learning rates for the schedule.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from reidlab.backbones import toy_backbone
from reidlab.baseline.augment import Augment, erasing_box, pad_crop, random_erasing, random_flip
from reidlab.baseline.data import Images
from reidlab.baseline.evaluate import score_features
from reidlab.baseline.losses import (
    CenterLoss,
    LossConfig,
    baseline_loss,
    center_loss,
    center_step,
    hard_triplet_loss,
    id_loss,
)
from reidlab.baseline.model import BaselineNet, BaselineOutput
from reidlab.baseline.schedule import lr_factor, scheduler
from reidlab.distances import pairwise_distances
from reidlab.evaluation import evaluate_rank
from reidlab.reranking import re_rank
from reidlab.worlds.pedestrians import ReidSet


def net(bnneck: bool = True, classes: int = 5) -> BaselineNet:
    g = torch.Generator().manual_seed(0)
    return BaselineNet(toy_backbone(32, 16, generator=g), classes, bnneck=bnneck, generator=g)


def batch(n_people: int = 4, k: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n_people * k, 3, 32, 16, generator=g), torch.arange(n_people).repeat_interleave(k)


# --- BNNeck ---------------------------------------------------------------------------------


def test_bnneck_feeds_the_triplet_before_and_the_classifier_after_the_bn() -> None:
    model = net().train()
    x, _ = batch()
    out = model(x)
    mean, var = out.f_t.mean(dim=0), out.f_t.var(dim=0, unbiased=False)
    bn = (out.f_t - mean) / torch.sqrt(var + model.neck.eps) * model.neck.weight  # beta = 0
    torch.testing.assert_close(out.f_i, bn, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out.logits, out.f_i @ model.classifier.weight.T)
    assert model.classifier.bias is None and not model.neck.bias.requires_grad
    assert model.classifier.weight.std().item() == pytest.approx(0.001, rel=0.1)
    # the losses read the right vectors: the ID loss only the logits, the triplet only f_t
    leaves = BaselineOutput(*(t.detach().requires_grad_() for t in out))
    labels = torch.arange(4).repeat_interleave(3)
    baseline_loss(leaves, labels, LossConfig(triplet_weight=0))["loss"].backward()
    assert leaves.f_t.grad is None and leaves.logits.grad.abs().sum() > 0
    leaves = BaselineOutput(*(t.detach().requires_grad_() for t in out))
    baseline_loss(leaves, labels, LossConfig(id_weight=0))["loss"].backward()
    assert leaves.logits.grad is None and leaves.f_t.grad.abs().sum() > 0


def test_bnneck_shift_stays_frozen_while_the_rest_trains() -> None:
    model = net().train()
    x, labels = batch()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    weight = model.neck.weight.detach().clone()
    for _ in range(3):
        opt.zero_grad()
        baseline_loss(model(x), labels, LossConfig())["loss"].backward()
        opt.step()
    assert torch.equal(model.neck.bias, torch.zeros_like(model.neck.bias))
    assert not torch.equal(model.neck.weight, weight)


def test_without_bnneck_the_classifier_reads_f_t_and_has_a_bias() -> None:
    model = net(bnneck=False)
    out = model(batch()[0])
    assert out.f_i is out.f_t and model.classifier.bias is not None and model.neck is None


def test_embed_uses_running_statistics_and_restores_the_mode() -> None:
    model = net().train()
    x, _ = batch()
    after = model.embed(x)  # eval mode: BN by running statistics (mean 0, variance 1 at the start)
    f_t = model.embed(x, "before")
    torch.testing.assert_close(after, f_t / math.sqrt(1 + model.neck.eps) * model.neck.weight)
    assert model.training
    with pytest.raises(ValueError, match="feature must be"):
        model.embed(x, "middle")


# --- losses ---------------------------------------------------------------------------------


def test_id_loss_is_pytorchs_label_smoothed_cross_entropy() -> None:
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(12, 7, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.randint(7, (12,), generator=g)
    ours = id_loss(logits, target)
    (g_ours,) = torch.autograd.grad(ours, logits)
    ref = F.cross_entropy(logits, target, label_smoothing=0.1)
    (g_ref,) = torch.autograd.grad(ref, logits)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-12, atol=1e-12)
    # the paper's target: 1 - (N - 1) / N * eps on the true class, eps / N elsewhere
    q = torch.full((12, 7), 0.1 / 7, dtype=torch.float64)
    q[torch.arange(12), target] = 1 - 6 / 7 * 0.1
    torch.testing.assert_close(ours, -(q * logits.log_softmax(dim=1)).sum(dim=1).mean())
    assert id_loss(logits, target, 0.0).item() == pytest.approx(F.cross_entropy(logits, target).item())
    with pytest.raises(ValueError, match="epsilon must lie in"):
        id_loss(logits, target, 1.0)


def test_hard_triplet_loss_is_the_farthest_positive_and_closest_negative() -> None:
    g = torch.Generator().manual_seed(2)
    f = torch.randn(12, 5, generator=g, dtype=torch.float64, requires_grad=True)
    labels = torch.arange(4).repeat_interleave(3)
    ours = hard_triplet_loss(f, labels)
    d = torch.cdist(f, f)
    terms = []
    for a in range(12):
        same = labels == labels[a]
        d_ap = max(d[a, p] for p in range(12) if same[p] and p != a)
        d_an = min(d[a, n] for n in range(12) if not same[n])
        terms.append(torch.clamp(d_ap - d_an + 0.3, min=0))
    ref = torch.stack(terms).mean()
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(torch.autograd.grad(ours, f)[0], torch.autograd.grad(ref, f)[0])
    assert hard_triplet_loss(f, labels, margin=2.0) > ours  # the margin enters


def test_center_loss_value_gradient_and_update() -> None:
    g = torch.Generator().manual_seed(3)
    f = torch.randn(8, 4, generator=g, dtype=torch.float64)
    labels = torch.tensor([0, 0, 2, 2, 1, 1, 2, 0])
    centers = CenterLoss(3, 4, generator=g).double()
    before = centers.centers.detach().clone()
    loss = centers(f, labels)
    ref = sum(((f[j] - before[labels[j]]) ** 2).sum() for j in range(8)) / 8
    torch.testing.assert_close(loss, ref)
    # the step: SGD at 0.5 on dL_C/dc, although the backward pass saw beta * L_C
    beta, opt = 5e-4, torch.optim.SGD(centers.parameters(), lr=0.5)
    (beta * loss).backward()
    center_step(centers, opt, beta)
    grad = torch.stack([2 * (before[c] - f[labels == c]).sum(dim=0) / 8 for c in range(3)])
    torch.testing.assert_close(centers.centers.detach(), before - 0.5 * grad)
    with pytest.raises(ValueError, match="labels must be"):
        center_loss(f, torch.tensor([0, 0, 5, 2, 1, 1, 2, 0]), before)


def test_center_gradients_are_bitwise_repeatable() -> None:
    f = torch.randn(64, 32, generator=torch.Generator().manual_seed(4))
    labels = torch.arange(16).repeat_interleave(4)
    centers = torch.randn(16, 32, generator=torch.Generator().manual_seed(5), requires_grad=True)
    grads = [torch.autograd.grad(center_loss(f, labels, centers), centers)[0] for _ in range(3)]
    assert all(torch.equal(grads[0], gr) for gr in grads[1:])


def test_baseline_loss_sums_the_weighted_parts() -> None:
    model = net()
    x, labels = batch()
    centers = CenterLoss(5, model.dim, generator=torch.Generator().manual_seed(0))
    parts = baseline_loss(model(x), labels, LossConfig(center_weight=5e-4), centers)
    total = parts["id"] + parts["triplet"] + 5e-4 * parts["center"]
    torch.testing.assert_close(parts["loss"], total)
    with pytest.raises(ValueError, match="needs the centers"):
        baseline_loss(model(x), labels, LossConfig(center_weight=5e-4))


# --- schedule -------------------------------------------------------------------------------


def test_schedule_is_the_papers_table() -> None:
    base = 3.5e-4
    lr = {t: base * lr_factor(t - 1) for t in range(1, 121)}  # the paper's epochs t = 1 .. 120
    assert lr[1] == pytest.approx(3.5e-5) and lr[10] == pytest.approx(3.5e-4)
    assert all(lr[t] == pytest.approx(base * t / 10) for t in range(1, 11))
    assert all(lr[t] == pytest.approx(3.5e-4) for t in range(11, 41))
    assert all(lr[t] == pytest.approx(3.5e-5) for t in range(41, 71))
    assert all(lr[t] == pytest.approx(3.5e-6) for t in range(71, 121))
    assert lr_factor(0, warmup_epochs=0) == 1.0  # no warm-up: the full rate at once
    opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=base)
    sched, seen = scheduler(opt), []
    for _ in range(12):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([lr[t] for t in range(1, 13)])
    with pytest.raises(ValueError, match="milestones must be increasing"):
        lr_factor(0, milestones=(70, 40))
    with pytest.raises(ValueError, match="gamma must lie in"):
        scheduler(opt, gamma=0.0)


# --- random erasing and the other augmentations --------------------------------------------


def test_random_erasing_statistics() -> None:
    g = torch.Generator().manual_seed(6)
    h, w, n = 256, 128, 4000
    boxes = [erasing_box(h, w, g) for _ in range(n)]
    erased = [b for b in boxes if b is not None]
    share = len(erased) / n
    assert abs(share - 0.5) < 4 * math.sqrt(0.25 / n)  # p = 0.5, within four standard errors
    tops, lefts, hs, ws = (torch.tensor(v, dtype=torch.float64) for v in zip(*erased, strict=True))
    assert ((tops >= 0) & (tops + hs <= h) & (lefts >= 0) & (lefts + ws <= w)).all()
    # area 0.02-0.4 of the image and aspect 0.3-3.3, up to rounding h and w to whole pixels
    assert ((hs + 0.5) * (ws + 0.5) >= 0.02 * h * w).all() and ((hs - 0.5) * (ws - 0.5) <= 0.4 * h * w).all()
    aspect = hs / ws
    assert ((hs + 0.5) / (ws - 0.5) >= 0.3).all() and ((hs - 0.5) / (ws + 0.5) <= 1 / 0.3).all()
    assert (aspect < 0.5).any() and (aspect > 2).any()  # wide and tall boxes both occur
    area = hs * ws / (h * w)
    assert area.min() < 0.03 and area.max() > 0.38
    # placed uniformly: the top offset, as a share of its range, averages one half
    room = torch.tensor([h - b[2] for b in erased], dtype=torch.float64)
    assert abs((tops / room).mean().item() - 0.5) < 4 * math.sqrt(1 / 12 / len(erased))
    assert all(erasing_box(h, w, g, p=1.0) is not None for _ in range(50))
    assert all(erasing_box(h, w, g, p=0.0) is None for _ in range(50))


def test_random_erasing_keeps_every_other_pixel() -> None:
    g = torch.Generator().manual_seed(7)
    for _ in range(20):
        image = torch.rand(3, 64, 32, generator=g)
        copy = image.clone()
        out = random_erasing(image, g, p=1.0, value=-3.0)
        assert torch.equal(image, copy)  # not in place
        changed = (out != image).any(dim=0)  # (H, W)
        rows, cols = changed.any(dim=1).nonzero().flatten(), changed.any(dim=0).nonzero().flatten()
        box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
        assert changed[box].all() and changed.sum() == changed[box].numel()  # one filled rectangle
        assert (out[:, box[0], box[1]] == -3.0).all()
        assert torch.equal(out[:, ~changed], image[:, ~changed])  # the rest, bit for bit
    with pytest.raises(ValueError, match="p must lie in"):
        random_erasing(torch.rand(3, 8, 8), g, p=1.5)
    with pytest.raises(ValueError, match="image must be"):
        random_erasing(torch.rand(8, 8), g)


def test_flip_and_pad_crop() -> None:
    g = torch.Generator().manual_seed(8)
    image = torch.rand(3, 16, 8, generator=g)
    assert torch.equal(random_flip(image, g, 1.0), image.flip(-1)) and random_flip(image, g, 0.0) is image
    padded = F.pad(image, (2, 2, 2, 2))
    for _ in range(10):
        out = pad_crop(image, g, 2)
        assert out.shape == image.shape
        windows = [padded[:, t : t + 16, s : s + 8] for t in range(5) for s in range(5)]
        assert any(torch.equal(out, win) for win in windows)
    assert pad_crop(image, g, 0) is image
    assert Augment().padding(256) == 10 and Augment().padding(64) == 2


def test_augment_is_a_function_of_its_seed() -> None:
    image = torch.rand(3, 64, 32, generator=torch.Generator().manual_seed(9))
    a = Augment().train(image, torch.Generator().manual_seed(1))
    b = Augment().train(image, torch.Generator().manual_seed(1))
    c = Augment().train(image, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    plain = Augment(flip=0.0, pad=0, erasing=0.0).train(image, torch.Generator().manual_seed(1))
    torch.testing.assert_close(plain, Augment().test(image))  # every random step off: normalise only


# --- inference ------------------------------------------------------------------------------


def test_scores_by_cosine_or_euclidean_and_with_reranking() -> None:
    g = torch.Generator().manual_seed(10)
    pids_g, pids_q = torch.arange(10).repeat(3), torch.arange(10)
    centres = torch.randn(10, 16, generator=g)
    gal = centres[pids_g] + 0.8 * torch.randn(30, 16, generator=g)
    q = (centres[pids_q] + 0.8 * torch.randn(10, 16, generator=g)) * torch.rand(10, 1, generator=g) * 5
    query = Images(ReidSet(torch.zeros(10, 3, 16, 16), pids_q, torch.zeros(10, dtype=torch.long)), (16, 16))
    gallery = Images(ReidSet(torch.zeros(30, 3, 16, 16), pids_g, torch.ones(30, dtype=torch.long)), (16, 16))
    out = score_features(q, gal, query, gallery, metric="cosine", rerank=True)
    ref = evaluate_rank(pairwise_distances(q, gal, "cosine"), pids_q, pids_g, query.camids, gallery.camids)
    assert out["plain"] == {
        "rank1": ref.cmc[0].item(),
        "rank5": ref.cmc[4].item(),
        "rank10": ref.cmc[9].item(),
        "mAP": ref.mAP,
    }
    rr = evaluate_rank(
        re_rank(F.normalize(q, dim=1), F.normalize(gal, dim=1)), pids_q, pids_g, query.camids, gallery.camids
    )
    assert out["reranked"]["mAP"] == rr.mAP
    # cosine ignores each query's length (scaled by up to 5 above); Euclidean distance does not
    euclid = score_features(q, gal, query, gallery, metric="euclidean")["plain"]
    unit = score_features(F.normalize(q, dim=1), gal, query, gallery)["plain"]
    assert unit == out["plain"] and euclid != out["plain"]
    with pytest.raises(ValueError, match="metric must be"):
        score_features(q, gal, query, gallery, metric="manhattan")
