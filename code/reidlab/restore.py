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
from reidlab.train import train

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
    loss: str, clean: torch.Tensor, sigma: float = 0.1, steps: int = 150, batch: int = 4, seed: int = 0
) -> Denoiser:
    """Train a :class:`Denoiser` on ``clean`` images ``(N, 1, H, W)`` with fresh noise per step."""
    fn = image_loss(loss)
    torch.manual_seed(seed)  # the model's initial weights
    net = Denoiser()
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
    is the loss's own answer to the task, not an accident of training.
    """
    fn = image_loss(loss)
    torch.manual_seed(seed)  # the model's initial weights
    net = nn.Conv2d(1, 1, 7, padding=3)
    train(net, lambda m, x, y: fn(m(x), y), (inputs, targets), steps=steps, lr=2e-2, batch_size=64, seed=seed)
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
) -> tuple[dict[str, torch.Tensor], dict[str, Denoiser]]:
    """Train a :class:`Denoiser` with every loss of :data:`IMAGE_LOSSES`, once per seed, and
    score it on noisy copies of ``test_set``. Returns ``{loss: (len(seeds), 3)}`` holding, per
    seed, the PSNR (dB), the SSIM and the mean offset (output minus clean image, averaged), and
    the networks of the first seed, to look at."""
    noisy = add_noise(test_set, sigma, torch.Generator().manual_seed(1))  # as denoising_scores
    results, first = {}, {}
    for loss in IMAGE_LOSSES:
        rows = []
        for seed in seeds:
            net = train_denoiser(loss, train_set, sigma=sigma, steps=steps, seed=seed)
            first.setdefault(loss, net)
            p, s = denoising_scores(net, test_set, sigma)
            with torch.no_grad():
                offset = (net(noisy) - test_set).mean().item()
            rows.append([p, s, offset])
        results[loss] = torch.tensor(rows, dtype=torch.float64)
    return results, first
