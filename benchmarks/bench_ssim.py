"""SSIM and MS-SSIM on a batch of 16 x 3 x 256 x 256 (float32) against pytorch-msssim, and
SSIM against a loop of scikit-image's structural_similarity (which works in float64).

Targets: at least 0.9x pytorch-msssim's speed for both, 1.5x the scikit-image loop.
"""

from __future__ import annotations

import numpy as np
import pytorch_msssim
import torch
from common import interleaved
from skimage.metrics import structural_similarity

from reidlab.losses.ssim import ms_ssim, ssim

N, C, H, W = 16, 3, 256, 256


def skimage_loop(x: np.ndarray, y: np.ndarray) -> float:
    return float(
        np.mean(
            [
                structural_similarity(
                    a,
                    b,
                    data_range=1.0,
                    channel_axis=0,
                    gaussian_weights=True,
                    sigma=1.5,
                    use_sample_covariance=False,
                )
                for a, b in zip(x, y, strict=True)
            ]
        )
    )


def main() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(N, C, H, W, generator=g), 5, stride=1, padding=2)
    y = (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    print(f"SSIM / MS-SSIM, {N} x {C} x {H} x {W}, float32, {torch.get_num_threads()} threads")

    for name, ours, ref in (
        ("ssim", lambda: ssim(x, y), lambda: pytorch_msssim.ssim(x, y, data_range=1.0)),
        ("ms_ssim", lambda: ms_ssim(x, y), lambda: pytorch_msssim.ms_ssim(x, y, data_range=1.0)),
    ):
        r = interleaved(ours, ref, rounds=7)
        diff = abs(ours().item() - ref().item())
        ours_ms, ref_ms = 1e3 * r["ours_s"], 1e3 * r["reference_s"]
        print(
            f"  {name:8s} reidlab {ours_ms:7.1f} ms   pytorch-msssim {ref_ms:7.1f} ms   "
            f"speed ratio {r['speed_ratio']:.2f}x (target >= 0.9x)   |difference| {diff:.1e}"
        )

    xn, yn = x.numpy(), y.numpy()
    r = interleaved(lambda: ssim(x, y), lambda: skimage_loop(xn, yn), rounds=3)
    diff = abs(ssim(x, y).item() - skimage_loop(xn, yn))
    ours_ms, ref_ms = 1e3 * r["ours_s"], 1e3 * r["reference_s"]
    print(
        f"  ssim     reidlab {ours_ms:7.1f} ms   scikit-image loop {ref_ms:7.1f} ms   "
        f"speed ratio {r['speed_ratio']:.1f}x (target >= 1.5x)   |difference| {diff:.1e}"
    )


if __name__ == "__main__":
    main()
