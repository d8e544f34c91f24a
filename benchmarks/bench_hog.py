"""HOG on a batch of 64 grey 128 x 64 images (9 bins, 8 x 8 cells, 2 x 2 blocks, L2-Hys),
float32, against a loop of scikit-image's hog. Target: at least 10x faster."""

from __future__ import annotations

import numpy as np
import torch
from common import interleaved
from skimage.feature import hog as skimage_hog

from reidlab.features import hog

N, H, W = 64, 128, 64


def skimage_loop(images: np.ndarray) -> np.ndarray:
    return np.stack(
        [
            skimage_hog(
                img, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2-Hys"
            )
            for img in images
        ]
    )


def main() -> None:
    g = torch.Generator().manual_seed(0)
    images = torch.nn.functional.avg_pool2d(torch.rand(N, 1, H, W, generator=g), 3, stride=1, padding=1)[:, 0]
    arr = images.numpy()
    print(f"HOG, {N} images of {H} x {W}, float32, {torch.get_num_threads()} threads")
    r = interleaved(lambda: hog(images), lambda: skimage_loop(arr), rounds=5)
    diff = np.abs(hog(images).numpy() - skimage_loop(arr)).max()
    print(f"  reidlab.features.hog  {1e3 * r['ours_s']:7.1f} ms")
    print(f"  skimage loop          {1e3 * r['reference_s']:7.1f} ms")
    print(f"  speed ratio {r['speed_ratio']:.1f}x (target >= 10x)   max |difference| {diff:.1e} (float32)")


if __name__ == "__main__":
    main()
