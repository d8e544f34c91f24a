"""reidlab.pooling: the frame weights, the robust means they make, and the learned poolings."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.pooling import (
    POOLINGS,
    ContextPooling,
    QualityPooling,
    close_first_loss,
    frame_weights,
    pool_frames,
    robust_mean,
)


def clip_with_outlier(distance: float) -> torch.Tensor:
    """One clip ``(1, 8, 2)``: seven frames near (0, 0), one frame ``distance`` away."""
    g = torch.Generator().manual_seed(0)
    x = 0.1 * torch.randn(1, 8, 2, generator=g, dtype=torch.float64)
    x[0, 7] = torch.tensor([distance, 0.0], dtype=torch.float64)
    return x


def test_mean_is_the_plain_mean_and_weights_sum_to_one():
    x = torch.randn(3, 6, 4, dtype=torch.float64)
    centre, w = robust_mean(x, "mean")
    assert torch.allclose(centre, x.mean(dim=1)) and torch.allclose(
        w, torch.full((3, 6), 1 / 6, dtype=torch.float64)
    )
    for pooling in POOLINGS:
        _, w = robust_mean(x, pooling)
        assert torch.allclose(w.sum(dim=1), torch.ones(3, dtype=torch.float64)) and (w >= 0).all()


def test_the_diarys_weights_are_the_irls_weights_of_a_bounded_loss():
    r = torch.linspace(0.05, 6, 50, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(close_first_loss(r, tau=0.7).sum(), r)
    assert torch.allclose(grad / r, frame_weights(r.detach()[None], "close-first", tau=0.7)[0])
    assert close_first_loss(torch.tensor(1e6), tau=0.7) <= 0.7**2  # bounded: a far frame costs at most tau^2


@pytest.mark.parametrize(("pooling", "loss"), [("close-first", "close"), ("median", "L1")])
def test_robust_mean_is_a_stationary_point_of_its_loss(pooling, loss):
    """IRLS converges to a point where the gradient of sum_t rho(d_t / s) vanishes."""
    x = torch.randn(2, 8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    x[:, 0] += 5.0  # an outlier in each clip
    centre, _ = robust_mean(x, pooling, tau=0.5, iterations=200)
    scale = (x - x.mean(dim=1, keepdim=True)).norm(dim=2).median(dim=1, keepdim=True).values
    c = centre.clone().requires_grad_()
    r = (x - c[:, None]).norm(dim=2) / scale
    objective = close_first_loss(r, 0.5) if loss == "close" else r
    (grad,) = torch.autograd.grad(objective.sum(), c)
    assert grad.abs().max() < 1e-6


def test_one_far_frame_drags_the_mean_not_the_robust_means():
    x = clip_with_outlier(5.0)
    cluster = x[0, :7].mean(dim=0)
    shift = {
        p: (robust_mean(x, p, iterations=1 if p == "far-first" else 10)[0][0] - cluster).norm()
        for p in POOLINGS
    }
    assert shift["mean"] > 0.5  # 5 / 8 of the way
    assert shift["close-first"] < 0.05 and shift["median"] < 0.1
    assert shift["far-first"] > shift["mean"]  # the exponential loss's weighting goes the other way


@given(st.floats(0.0, 10.0), st.floats(0.05, 5.0))
@settings(max_examples=40, deadline=None)
def test_weights_fall_with_distance_for_close_first_and_rise_for_far_first(d, tau):
    x = clip_with_outlier(d)
    r = (x - x.mean(dim=1, keepdim=True)).norm(dim=2)
    order = r[0].argsort()
    close, far = frame_weights(r, "close-first", tau)[0], frame_weights(r, "far-first", tau)[0]
    assert (close[order].diff() <= 1e-12).all() and (far[order].diff() >= -1e-12).all()


def test_pooled_features_have_unit_length():
    z, _ = pool_frames(torch.randn(4, 5, 8), "close-first")
    assert torch.allclose(z.norm(dim=1), torch.ones(4))


def test_pooling_rejects_bad_input():
    with pytest.raises(ValueError, match="pooling must be one of"):
        pool_frames(torch.randn(2, 3, 4), "max")
    with pytest.raises(ValueError, match=r"features must be \(clips, frames, dim\)"):
        pool_frames(torch.randn(3, 4))
    with pytest.raises(ValueError, match="tau"):
        pool_frames(torch.randn(2, 3, 4), "close-first", tau=0.0)
    with pytest.raises(ValueError, match="iterations"):
        pool_frames(torch.randn(2, 3, 4), "median", iterations=0)
    with pytest.raises(ValueError, match="NaN"):
        pool_frames(torch.full((2, 3, 4), float("nan")))


def test_quality_pooling_is_a_softmax_over_frames():
    q = QualityPooling(8)
    x = torch.randn(3, 5, 8)
    w = q.weights(x)
    assert w.shape == (3, 5) and torch.allclose(w.sum(dim=1), torch.ones(3))
    assert torch.allclose(q(x).norm(dim=1), torch.ones(3))


def test_context_pooling_reads_the_clip_in_order():
    torch.manual_seed(0)
    x = torch.randn(2, 6, 8)
    reverse = torch.arange(5, -1, -1)
    context, per_frame = ContextPooling(8), QualityPooling(8)
    w = context.weights(x)
    assert torch.allclose(w.sum(dim=1), torch.ones(2)) and torch.allclose(
        context(x).norm(dim=1), torch.ones(2)
    )
    # a per-frame score moves with its frame; a score that reads its neighbours need not
    assert torch.allclose(per_frame.weights(x[:, reverse]), per_frame.weights(x)[:, reverse], atol=1e-6)
    assert not torch.allclose(context.weights(x[:, reverse]), w[:, reverse], atol=1e-4)
