"""A generative adversarial network on a line: data, two small networks, the training loop.

Taught in the chapter *The discriminator loss* (``chapters/gan.md``); the losses are in
:mod:`reidlab.losses.adversarial`.

On one dimension everything can be drawn at once: the data's density, the density of the
generator's samples, and the discriminator's output :math:`D(x)` on the same axis. The loop
alternates as in Goodfellow et al. (2014): a discriminator step on a batch of real and a batch
of generated samples, then a generator step. The discriminator uses Adam; the generator takes
plain gradient steps unless told otherwise (the paper used gradient steps with momentum).
Adam runs fused (one kernel updates every weight): for networks this small the per-weight
loop of the plain implementation is a good part of a step's time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from reidlab._checks import check_float_tensor
from reidlab.losses.adversarial import GENERATOR_LOSSES, GeneratorLoss, discriminator_loss, generator_loss
from reidlab.models import mlp
from reidlab.train import initial_weights, train


class Generator(nn.Module):
    """:math:`G(z)`: noise ``(N, noise_dim)`` -> samples ``(N, out_dim)``."""

    def __init__(self, noise_dim: int = 1, out_dim: int = 1, hidden: int = 32) -> None:
        super().__init__()
        self.noise_dim = noise_dim
        self.net = mlp(noise_dim, out_dim, hidden)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples from standard normal noise."""
        return self(torch.randn(n, self.noise_dim, generator=generator))


class Discriminator(nn.Module):
    r"""The logit :math:`s(x)` of :math:`D(x) = \sigma(s(x))`: samples ``(N, in_dim)`` -> ``(N,)``."""

    def __init__(self, in_dim: int = 1, hidden: int = 32) -> None:
        super().__init__()
        self.net = mlp(in_dim, 1, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


@dataclass(frozen=True)
class Mixture:
    """A mixture of normal distributions on a line: the data a 1-D GAN learns."""

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not self.means or len(self.stds) != len(self.means):
            raise ValueError("means and stds must be non-empty and of one length")
        if any(s <= 0 for s in self.stds):
            raise ValueError(f"stds must be positive, got {self.stds}")
        if self.weights is not None and (
            len(self.weights) != len(self.means) or any(w < 0 for w in self.weights) or sum(self.weights) <= 0
        ):
            raise ValueError("weights must be non-negative, one per component, not all 0")

        w = torch.tensor(self.weights or [1.0] * len(self.means), dtype=torch.float64)
        # built once: a training loop samples a batch every step
        object.__setattr__(self, "_tensors", (w / w.sum(), torch.tensor(self.means), torch.tensor(self.stds)))

    def _w(self) -> torch.Tensor:
        return self._tensors[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples, shape ``(n, 1)``, float32."""
        w, means, stds = self._tensors
        k = torch.multinomial(w, n, replacement=True, generator=generator)
        mu, sd = means[k], stds[k]
        return (mu + sd * torch.randn(n, generator=generator))[:, None].float()

    def density(self, x: torch.Tensor) -> torch.Tensor:
        """The density at points ``x`` (any shape), float64."""
        x = check_float_tensor(x, "x").double()
        mu, sd = torch.tensor(self.means, dtype=torch.float64), torch.tensor(self.stds, dtype=torch.float64)
        z = (x[..., None] - mu) / sd
        return (self._w() * torch.exp(-0.5 * z**2) / (sd * math.sqrt(2 * math.pi))).sum(-1)


def wasserstein_1d(a: torch.Tensor, b: torch.Tensor) -> float:
    """Earth mover's distance between two equal-size samples on a line: the mean distance between
    their sorted values (the optimal matching pairs them in order). Equals
    ``scipy.stats.wasserstein_distance`` (tested)."""
    a = check_float_tensor(a, "a").flatten()
    b = check_float_tensor(b, "b").flatten()
    if a.numel() == 0 or a.numel() != b.numel():
        raise ValueError(f"a and b must be non-empty samples of one size, got {a.numel()} and {b.numel()}")
    return float((a.sort().values - b.sort().values).abs().double().mean())


@dataclass
class Snapshot:
    """The state of a 1-D GAN at one step: generated samples and :math:`D` on a grid."""

    step: int
    samples: torch.Tensor  # (n,) generated samples
    d_on_grid: torch.Tensor  # (len(grid),) D(x) = sigmoid(logit)
    d_on_fakes: float  # mean D(G(z)) on the samples


@dataclass
class GanRun:
    """What :func:`train_gan_1d` returns."""

    form: GeneratorLoss
    grid: torch.Tensor
    snapshots: list[Snapshot] = field(default_factory=list)
    generator: Generator | None = None
    discriminator: Discriminator | None = None


def _snapshot(
    step: int, gen: Generator, disc: Discriminator, z: torch.Tensor, grid: torch.Tensor
) -> Snapshot:
    with torch.no_grad():
        x = gen(z)
        return Snapshot(
            step,
            x[:, 0].clone(),
            torch.sigmoid(disc(grid[:, None].float())).double(),
            float(torch.sigmoid(disc(x)).mean()),
        )


def _d_step(disc: Discriminator, opt: torch.optim.Optimizer, real: torch.Tensor, fake: torch.Tensor) -> None:
    loss = discriminator_loss(disc(real), disc(fake))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def fit_discriminator(
    data: Mixture, fake: Mixture, *, steps: int = 2000, batch: int = 256, lr: float = 2e-3, seed: int = 0
) -> Discriminator:
    """Train only a discriminator, against a fixed "generator" whose samples follow ``fake``: the
    setting of the optimal-discriminator result (Goodfellow et al., 2014, Proposition 1)."""
    if steps < 1 or batch < 1:
        raise ValueError("steps and batch must be positive")
    with initial_weights(seed):
        disc = Discriminator()
    train(
        disc,
        lambda d, real, generated: discriminator_loss(d(real), d(generated)),
        lambda g: (data.sample(batch, g), fake.sample(batch, g)),  # a fresh batch of each, every step
        steps=steps,
        optimizer=lambda params: torch.optim.Adam(params, lr=lr, fused=True),
        seed=seed,
    )
    return disc.eval()


def train_gan_1d(
    data: Mixture,
    *,
    form: GeneratorLoss = "non-saturating",
    steps: int = 400,
    head_start: int = 0,
    d_steps: int = 1,
    batch: int = 128,
    d_lr: float = 1e-3,
    g_lr: float = 0.01,
    g_optimizer: Literal["sgd", "adam"] = "sgd",
    snapshot_at: tuple[int, ...] = (),
    grid: torch.Tensor | None = None,
    seed: int = 0,
) -> GanRun:
    """Train a GAN on samples of ``data``: ``d_steps`` discriminator steps, then one generator step.

    The discriminator uses Adam. The generator takes plain gradient steps by default
    (``g_optimizer="sgd"``), so how far it moves is how large its gradient is, the quantity the
    two generator losses disagree on; Adam would divide the gradient by its own running size.

    Args:
        form: the generator's loss (:func:`reidlab.losses.adversarial.generator_loss`).
        steps: generator steps.
        head_start: discriminator steps before the generator's first step (the generator is
            frozen meanwhile): a discriminator that has already won.
        snapshot_at: generator steps at which to record a :class:`Snapshot` (0 = before training,
            after the head start); each holds 2,000 generated samples from fixed noise.
        grid: points where the snapshots evaluate :math:`D` (default: 400 points in [-6, 6]).
        seed: seeds both networks' initial weights and every batch.
    """
    if form not in GENERATOR_LOSSES:
        raise ValueError(f"form must be one of {GENERATOR_LOSSES}, got {form!r}")
    if g_optimizer not in ("sgd", "adam"):
        raise ValueError(f"g_optimizer must be 'sgd' or 'adam', got {g_optimizer!r}")
    if steps < 1 or d_steps < 1 or head_start < 0 or batch < 1:
        raise ValueError("steps, d_steps and batch must be positive and head_start non-negative")
    if any(not 0 <= s <= steps for s in snapshot_at):
        raise ValueError(f"snapshot_at must lie in 0..{steps}, got {snapshot_at}")
    with initial_weights(seed):
        gen, disc = Generator(), Discriminator()
    g = torch.Generator().manual_seed(seed)
    z_fixed = torch.randn(2000, gen.noise_dim, generator=g)
    grid = torch.linspace(-6, 6, 400, dtype=torch.float64) if grid is None else grid
    run = GanRun(form, grid, generator=gen, discriminator=disc)
    opt_d = torch.optim.Adam(disc.parameters(), lr=d_lr, betas=(0.5, 0.999), fused=True)
    if g_optimizer == "sgd":
        opt_g: torch.optim.Optimizer = torch.optim.SGD(gen.parameters(), lr=g_lr)
    else:
        opt_g = torch.optim.Adam(gen.parameters(), lr=g_lr, betas=(0.5, 0.999), fused=True)

    def d_step() -> None:
        with torch.no_grad():
            fake = gen.sample(batch, g)
        _d_step(disc, opt_d, data.sample(batch, g), fake)

    for _ in range(head_start):
        d_step()
    for step in range(steps + 1):
        if step in snapshot_at:
            run.snapshots.append(_snapshot(step, gen, disc, z_fixed, grid))
        if step == steps:
            break
        for _ in range(d_steps):
            d_step()
        loss = generator_loss(disc(gen.sample(batch, g)), form)
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
    return run
