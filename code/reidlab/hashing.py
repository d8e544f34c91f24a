r"""Hash codes: an embedding turned into bits and compared by Hamming distance.

Chapter *Triplet and quadruplet losses*. A float32 embedding of :math:`D` numbers costs
:math:`4D` bytes per gallery image; a code of :math:`B` bits costs :math:`B/8`. Two codes are
compared by the number of bits in which they differ, the **Hamming distance**: XOR the packed
words, then count the set bits (*popcount*, one instruction on current CPUs).

Two ways to get codes from a trained embedding:

* **Random hyperplanes** (Charikar, 2002): bit :math:`k` is the side of a random hyperplane
  through the origin on which the embedding lies, :math:`\operatorname{sign}(r_k \cdot z)` with
  :math:`r_k \sim \mathcal N(0, I)`. Two embeddings at angle :math:`\theta` differ in each bit
  with probability :math:`\theta / \pi`, so with more bits the Hamming distance ranks like
  the angle, which for unit-length embeddings ranks like the Euclidean distance
  (:func:`random_hyperplanes`).
* **Signs learned in training**: add a **quantisation** term that pushes every output towards
  :math:`\pm 1` (scaled), so that taking the sign loses little (Liu, Wang, Shan & Chen, *Deep
  supervised hashing for fast image retrieval*, CVPR 2016, regularise with
  :math:`\lVert |z| - 1 \rVert_1`; :func:`quantization_loss` is the squared version).

For codes :math:`b \in \{-1, +1\}^B`, :math:`\lVert b_1 - b_2 \rVert^2 = 4\,H(b_1, b_2)`:
ranking by Hamming distance is ranking by Euclidean distance between the codes.
"""

from __future__ import annotations

import numpy as np
import torch

from reidlab._checks import check_float_tensor


def quantization_loss(z: torch.Tensor) -> torch.Tensor:
    r""":math:`\operatorname{mean}_{i,k} (|z_{ik}| - 1)^2`: zero when every output is exactly
    :math:`\pm 1`, so that its sign is the whole story."""
    z = check_float_tensor(z, "z", ndim=2)
    return (z.abs() - 1).pow(2).mean()


def code_counts(z: torch.Tensor) -> tuple[int, float]:
    """How the sign codes of ``z`` ``(N, B)`` (bit ``k`` set where ``z[:, k] > 0``) spread over
    the rows: the number of distinct codes, and the share of the rows that carry the most common
    one. ``(N, 1 / N)`` when every row has its own code, ``(1, 1.0)`` when all share one."""
    z = check_float_tensor(z, "z", ndim=2)
    _, counts = torch.unique((z > 0).to(torch.uint8), dim=0, return_counts=True)
    return len(counts), counts.max().item() / len(z)


def random_hyperplanes(dim: int, bits: int, seed: int = 0) -> torch.Tensor:
    """``bits`` random directions in ``dim`` dimensions ``(dim, bits)``: the code of ``z`` is
    ``pack_bits(z @ planes)``."""
    if dim < 1 or bits < 1:
        raise ValueError(f"dim and bits must be positive, got {dim} and {bits}")
    return torch.randn(dim, bits, generator=torch.Generator().manual_seed(seed))


def pack_bits(z: torch.Tensor) -> np.ndarray:
    """The signs of ``z`` ``(N, B)`` as bits (1 where ``z > 0``), packed into ``(N, ceil(B / 64))``
    unsigned 64-bit words: :math:`B/8` bytes per row (rounded up to whole words)."""
    z = check_float_tensor(z, "z", ndim=2)
    bits = (z > 0).numpy()
    n, b = bits.shape
    words = -(-b // 64)
    padded = np.zeros((n, words * 64), dtype=bool)
    padded[:, :b] = bits
    as_bytes = np.packbits(padded, axis=1, bitorder="little")  # (N, 8 * words) uint8
    return np.ascontiguousarray(as_bytes).view(np.uint64)


def hamming_distances(queries: np.ndarray, gallery: np.ndarray, chunk: int = 1024) -> torch.Tensor:
    """Hamming distances ``(Q, G)`` between packed codes ``(Q, W)`` and ``(G, W)`` (from
    :func:`pack_bits`): per 64-bit word, XOR every query word with every gallery word and count
    the set bits, summed over the words; a chunk of queries at a time. Returned as float32 (the
    counts are exact), ready for :func:`reidlab.evaluation.evaluate_rank`."""
    for name, codes in (("queries", queries), ("gallery", gallery)):
        if not isinstance(codes, np.ndarray) or codes.dtype != np.uint64 or codes.ndim != 2:
            raise TypeError(f"{name} must be packed codes, a 2-D uint64 array from pack_bits")
    if queries.shape[1] != gallery.shape[1]:
        raise ValueError(f"codes of different lengths: {queries.shape[1]} and {gallery.shape[1]} words")
    by_word = np.ascontiguousarray(gallery.T)  # (W, G): one row of gallery words per word
    out = np.zeros((len(queries), len(gallery)), dtype=np.uint16)
    for start in range(0, len(queries), chunk):
        rows = slice(start, start + chunk)
        for w in range(queries.shape[1]):  # (c, 1) ^ (1, G): one word of every pair at once
            out[rows] += np.bitwise_count(queries[rows, w, None] ^ by_word[w][None, :])
    return torch.from_numpy(out.astype(np.float32))
