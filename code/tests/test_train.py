"""reidlab.train: deterministic, model-agnostic, clear about bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from reidlab.train import initial_weights, train


def fit_line(seed: int, batch_size: int | None) -> tuple[list[float], torch.Tensor]:
    torch.manual_seed(seed)
    x = torch.linspace(-1, 1, 50)[:, None]
    y = 3 * x[:, 0] - 1
    model = nn.Linear(1, 1)
    hist = train(
        model,
        lambda m, a, b: (m(a)[:, 0] - b).pow(2).mean(),
        (x, y),
        steps=300,
        lr=0.1,
        batch_size=batch_size,
        seed=seed,
    )
    return hist, torch.cat([model.weight.flatten(), model.bias])


@pytest.mark.parametrize("batch_size", [None, 8])
def test_learns_and_is_deterministic(batch_size: int | None) -> None:
    h1, p1 = fit_line(0, batch_size)
    h2, p2 = fit_line(0, batch_size)
    assert h1 == h2 and torch.equal(p1, p2)
    assert h1[-1] < 1e-3 * h1[0]
    torch.testing.assert_close(p1, torch.tensor([3.0, -1.0]), atol=0.05, rtol=0)


def test_bad_input() -> None:
    model = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="share a non-empty first dimension"):
        train(model, lambda m, a, b: m(a).sum(), (torch.zeros(3, 1), torch.zeros(2)), steps=1)
    with pytest.raises(TypeError, match="tuple of tensors"):
        train(model, lambda m, a: m(a).sum(), ([1.0],), steps=1)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        train(model, lambda m, a: m(a).sum(), (torch.zeros(3, 1),), steps=0)
    with pytest.raises(FloatingPointError, match="the loss became"):
        train(model, lambda m, a: m(a).sum() * float("nan"), (torch.zeros(3, 1),), steps=2)


def test_initial_weights_are_those_of_manual_seed_and_leave_the_global_generator_alone() -> None:
    torch.manual_seed(123)
    before = torch.get_rng_state()
    with initial_weights(7):
        inside = nn.Linear(4, 3)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(7)
    reference = nn.Linear(4, 3)
    assert torch.equal(inside.weight, reference.weight) and torch.equal(inside.bias, reference.bias)
    with pytest.raises(TypeError, match="seed must be an int"):
        with initial_weights(1.5):
            pass


def test_the_hook_sees_every_step_and_an_optimizer_factory_replaces_adamw() -> None:
    """With plain SGD the loop is gradient descent written out: compare with the loop by hand."""
    x = torch.linspace(-1, 1, 20)[:, None]
    y = 2 * x[:, 0]
    torch.manual_seed(0)
    model, by_hand = nn.Linear(1, 1), nn.Linear(1, 1)
    by_hand.load_state_dict(model.state_dict())
    seen: list[tuple[int, float]] = []
    hist = train(
        model,
        lambda m, a, b: (m(a)[:, 0] - b).pow(2).mean(),
        (x, y),
        steps=4,
        optimizer=lambda params: torch.optim.SGD(params, lr=0.1),
        on_step_end=lambda step, loss: seen.append((step, loss)),
    )
    assert seen == list(enumerate(hist))
    for _ in range(4):
        loss = (by_hand(x)[:, 0] - y).pow(2).mean()
        grads = torch.autograd.grad(loss, list(by_hand.parameters()))
        with torch.no_grad():
            for p, gp in zip(by_hand.parameters(), grads, strict=True):
                p -= 0.1 * gp
    for a, b in zip(model.parameters(), by_hand.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_arguments_that_would_be_ignored_are_refused() -> None:
    model, data = nn.Linear(1, 1), (torch.zeros(4, 1),)
    with pytest.raises(ValueError, match="not both"):
        train(model, lambda m, a: m(a).sum(), data, steps=1, lr=0.1, optimizer=torch.optim.SGD)
    with pytest.raises(ValueError, match="batch_size or sampler"):
        train(model, lambda m, a: m(a).sum(), data, steps=1, batch_size=2, sampler=lambda g: torch.arange(2))


def test_data_may_be_a_function_that_draws_each_batch_from_the_loops_generator() -> None:
    """Fitting the mean of a normal distribution from fresh samples: the loop draws from the
    generator it seeds, so the same seed gives the same draws, and the fit finds the mean."""
    drawn: list[torch.Tensor] = []

    def draw(g: torch.Generator) -> tuple[torch.Tensor]:
        drawn.append(3.0 + torch.randn(64, generator=g))
        return (drawn[-1],)

    def fit(seed: int) -> torch.Tensor:
        with initial_weights(0):
            mean = nn.Linear(1, 1, bias=False)
        train(mean, lambda m, x: (m.weight[0, 0] - x).pow(2).mean(), draw, steps=200, lr=0.1, seed=seed)
        return mean.weight.detach().clone()

    first = fit(4)
    g = torch.Generator().manual_seed(4)
    assert torch.equal(drawn[0], 3.0 + torch.randn(64, generator=g))
    assert torch.equal(fit(4), first)
    torch.testing.assert_close(first, torch.tensor([[3.0]]), atol=0.05, rtol=0)
    with pytest.raises(ValueError, match="takes no batch_size or sampler"):
        train(nn.Linear(1, 1), lambda m, x: x.sum(), draw, steps=1, batch_size=4)
