"""reidlab.hashing: packed codes, Hamming distances by popcount equal a brute-force count."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reidlab.hashing import code_counts, hamming_distances, pack_bits, quantization_loss, random_hyperplanes


@pytest.mark.parametrize("bits", [1, 16, 63, 64, 65, 128])
def test_hamming_equals_counting_differing_signs(bits: int) -> None:
    g = torch.Generator().manual_seed(bits)
    q, gal = torch.randn(7, bits, generator=g), torch.randn(11, bits, generator=g)
    packed_q, packed_g = pack_bits(q), pack_bits(gal)
    assert packed_q.dtype == np.uint64 and packed_q.shape == (7, -(-bits // 64))
    brute = ((q[:, None, :] > 0) != (gal[None, :, :] > 0)).sum(-1).float()
    assert torch.equal(hamming_distances(packed_q, packed_g, chunk=3), brute)


def test_hamming_is_a_quarter_of_the_squared_distance_between_sign_codes() -> None:
    z = torch.randn(20, 32, generator=torch.Generator().manual_seed(0))
    codes = torch.where(z > 0, 1.0, -1.0)
    packed = pack_bits(z)
    torch.testing.assert_close(hamming_distances(packed, packed), torch.cdist(codes, codes).pow(2) / 4)


def test_quantization_loss_is_zero_only_at_plus_minus_one() -> None:
    assert quantization_loss(torch.tensor([[1.0, -1.0], [-1.0, 1.0]])).item() == 0
    assert quantization_loss(torch.tensor([[0.5, -2.0]])).item() == pytest.approx((0.25 + 1.0) / 2)
    z = torch.tensor([[0.3, -1.7]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(quantization_loss, (z,))


def test_bad_codes_are_named() -> None:
    with pytest.raises(TypeError, match="queries must be packed codes"):
        hamming_distances(np.zeros((2, 1)), np.zeros((2, 1), dtype=np.uint64))
    with pytest.raises(ValueError, match="different lengths"):
        hamming_distances(np.zeros((2, 1), dtype=np.uint64), np.zeros((2, 2), dtype=np.uint64))


def test_random_hyperplanes_estimate_the_angle() -> None:
    """A bit differs with probability angle / pi: with many bits, Hamming / bits ~ angle / pi."""
    g = torch.Generator().manual_seed(1)
    z = torch.nn.functional.normalize(torch.randn(30, 16, generator=g), dim=1)
    planes = random_hyperplanes(16, 4096, seed=2)
    assert planes.shape == (16, 4096)
    share = hamming_distances(pack_bits(z @ planes), pack_bits(z @ planes)) / 4096
    angle = torch.arccos((z @ z.T).clamp(-1, 1)) / torch.pi
    assert (share - angle).abs().max() < 0.05
    with pytest.raises(ValueError, match="positive"):
        random_hyperplanes(0, 8)


def test_code_counts_count_distinct_sign_patterns_and_the_commonest_share() -> None:
    z = torch.tensor([[0.3, -1.0], [0.1, -0.2], [-0.5, 2.0], [0.0, -3.0]])  # 0 counts as "not > 0"
    assert code_counts(z) == (3, 0.5)  # (1, 0) twice, (0, 1), (0, 0)
    g = torch.Generator().manual_seed(0)
    many = torch.randn(50, 64, generator=g)
    assert code_counts(many) == (50, 1 / 50)
    assert code_counts(many.abs() + 0.1) == (1, 1.0)
    # the count agrees with Hamming distances: rows with distance 0 share a code
    dist = hamming_distances(pack_bits(z), pack_bits(z))
    assert len({tuple(r) for r in (dist == 0).int().tolist()}) == code_counts(z)[0]
    with pytest.raises(ValueError, match="z must be 2-D"):
        code_counts(torch.zeros(3))
