r"""Small image-to-image networks trained under different losses (chapter *L1, L2, Huber and
SSIM*): what each loss makes a network output when the target is ambiguous or noisy.

The losses compared, on predictions :math:`\hat y` and targets :math:`y` in [0, 1]:

* ``"L2"``: :math:`\operatorname{mean}(\hat y - y)^2`;
* ``"L1"``: :math:`\operatorname{mean}|\hat y - y|`;
* ``"SSIM"``: :math:`1 - \mathrm{SSIM}(\hat y, y)`;
* ``"MS-SSIM + L1"``: :math:`\alpha (1 - \text{MS-SSIM}) + (1 - \alpha)\,\text{L1}` with
  :math:`\alpha = 0.84`, the mix Zhao et al. (2017) found best for restoration (they also
  weight the L1 term by a Gaussian; this plain version leaves that out).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from reidlab._checks import lookup
from reidlab.losses.regression import REGRESSION_LOSSES, l1_loss, mse_loss
from reidlab.losses.ssim import ms_ssim, ssim
from reidlab.tables import seed_table
from reidlab.train import initial_weights, train

IMAGE_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "L2": REGRESSION_LOSSES["L2"],
    "L1": REGRESSION_LOSSES["L1"],
    # SSIM is defined on the data range: predictions are clipped into [0, 1] first.
    "SSIM": lambda p, t: 1 - ssim(p.clamp(0, 1), t),
    "MS-SSIM + L1": lambda p, t: 0.84 * (1 - ms_ssim(p.clamp(0, 1), t)) + 0.16 * l1_loss(p, t),
}


def image_loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Look up a loss of :data:`IMAGE_LOSSES` by name."""
    return lookup(IMAGE_LOSSES, name, "loss")


class Denoiser(nn.Module):
    """Three 3x3 convolutions that estimate the noise; the output is input minus the estimate,
    clipped to [0, 1]: ``(N, 1, H, W) -> (N, 1, H, W)``."""

    def __init__(self, channels: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, 1, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.net(x)).clamp(0, 1)


def add_noise(clean: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """Gaussian noise of standard deviation ``sigma``, clipped back to [0, 1]."""
    return (clean + sigma * torch.randn(clean.shape, generator=generator)).clamp(0, 1)


def train_denoiser(
    loss: str,
    clean: torch.Tensor,
    sigma: float = 0.1,
    steps: int = 150,
    batch: int = 4,
    channels: int = 16,
    seed: int = 0,
) -> Denoiser:
    """Train a :class:`Denoiser` of ``channels`` hidden channels on ``clean`` images
    ``(N, 1, H, W)``, ``batch`` images a step, each with fresh noise."""
    fn = image_loss(loss)
    with initial_weights(seed):
        net = Denoiser(channels)
    g = torch.Generator().manual_seed(seed)
    train(
        net,
        lambda m, target: fn(m(add_noise(target, sigma, g)), target),
        (clean,),
        steps=steps,
        lr=3e-3,
        batch_size=batch,
        seed=seed,
    )
    return net


def train_mapping(
    loss: str, inputs: torch.Tensor, targets: torch.Tensor, steps: int = 400, seed: int = 0
) -> nn.Module:
    """Fit one linear 7 x 7 filter mapping ``inputs`` to ``targets`` under ``loss``.

    The simplest image-to-image model: for L1 and L2 the fit is convex, so what it converges to
    is the loss's own answer to the task, not an accident of training. Every step sees all the
    pairs (full batch): with random mini-batches the L2 fit would follow the share of left and
    right targets in the last few batches instead of settling on the data's.
    """
    fn = image_loss(loss)
    with initial_weights(seed):
        net = nn.Conv2d(1, 1, 7, padding=3)
    train(net, lambda m, x, y: fn(m(x), y), (inputs, targets), steps=steps, lr=2e-2, seed=seed)
    return net


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    r"""Peak signal-to-noise ratio in dB for images in [0, 1]: :math:`10 \log_{10}(1 / \mathrm{MSE})`."""
    return (10 * torch.log10(1 / mse_loss(pred, target))).item()


@torch.no_grad()
def denoising_scores(
    net: nn.Module, clean: torch.Tensor, sigma: float = 0.1, seed: int = 1
) -> tuple[float, float]:
    """PSNR (dB) and SSIM of the network's output on noisy copies of ``clean`` (fixed noise)."""
    noisy = add_noise(clean, sigma, torch.Generator().manual_seed(seed))
    out = net(noisy)
    return psnr(out, clean), ssim(out, clean).item()


def compare_losses(
    train_set: torch.Tensor,
    test_set: torch.Tensor,
    seeds: Sequence[int] = (0, 1, 2),
    sigma: float = 0.1,
    steps: int = 150,
    batch: int = 4,
    channels: int = 16,
) -> tuple[dict[str, torch.Tensor], dict[str, Denoiser]]:
    """Train a :class:`Denoiser` with every loss of :data:`IMAGE_LOSSES`, once per seed, and
    score it on noisy copies of ``test_set``. Returns ``{loss: (len(seeds), 3)}`` holding, per
    seed, the PSNR (dB), the SSIM and the mean offset (output minus clean image, averaged), and
    the networks of the first seed, to look at. :func:`format_results` prints it."""
    if len(seeds) == 0:
        raise ValueError("seeds must name at least one seed")
    for name, t in (("train_set", train_set), ("test_set", test_set)):
        if not isinstance(t, torch.Tensor) or t.ndim != 4 or t.shape[1] != 1:
            raise ValueError(f"{name} must be grey images (N, 1, H, W), got {getattr(t, 'shape', t)!r}")
    noisy = add_noise(test_set, sigma, torch.Generator().manual_seed(1))  # as denoising_scores
    results, first = {}, {}
    for loss in IMAGE_LOSSES:
        rows = []
        for seed in seeds:
            net = train_denoiser(
                loss, train_set, sigma=sigma, steps=steps, batch=batch, channels=channels, seed=seed
            )
            first.setdefault(loss, net)
            p, s = denoising_scores(net, test_set, sigma)
            with torch.no_grad():
                offset = (net(noisy) - test_set).mean().item()
            rows.append([p, s, offset])
        results[loss] = torch.tensor(rows, dtype=torch.float64)
    return results, first


#: The columns of :func:`compare_losses`' results, as :func:`format_results` names them.
MEASURES = ("PSNR (dB)", "SSIM", "mean offset")


def format_results(results: dict[str, torch.Tensor], seeds: Sequence[int]) -> str:
    """The results of :func:`compare_losses` as text: a block per measure, a row per loss, a
    column per seed, then the mean and the sample standard deviation (n - 1) over the seeds
    (:mod:`reidlab.tables`)."""
    seeds = list(seeds)
    if any(r.ndim != 2 or r.shape != (len(seeds), len(MEASURES)) for r in results.values()):
        raise ValueError(f"results must hold one (len(seeds), {len(MEASURES)}) tensor per loss")
    blocks = [
        seed_table(
            {loss: r[:, col] for loss, r in results.items()},
            seeds,
            summary=True,
            fmt=fmt,
            label=measure,
            label_width=13,
            width=7,
        )
        for col, (measure, fmt) in enumerate(zip(MEASURES, (".2f", ".3f", "+.3f"), strict=True))
    ]
    return "\n\n".join(blocks)
