"""reidlab.models: each model computes the formula its docstring gives, against a hand-written
forward pass in plain torch operations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.models import EmbeddingNet, linear_classifier, mlp_classifier


@given(n=st.integers(1, 9), d=st.integers(1, 5), seed=st.integers(0, 2**16))
@settings(max_examples=25, deadline=None)
def test_linear_classifier_is_w_dot_x_plus_b(n: int, d: int, seed: int) -> None:
    torch.manual_seed(seed)
    model, x = linear_classifier(d), torch.randn(n, d)
    w, b = model.net.weight[0], model.net.bias[0]
    assert model(x).shape == (n,)
    torch.testing.assert_close(model(x), x @ w + b)


def test_mlp_classifier_is_a_tanh_layer_then_a_linear_score() -> None:
    torch.manual_seed(0)
    model, x = mlp_classifier(3, hidden=7), torch.randn(11, 3)
    first, _, last = model.net
    expected = torch.tanh(x @ first.weight.T + first.bias) @ last.weight[0] + last.bias[0]
    torch.testing.assert_close(model(x), expected)


def by_hand(net: EmbeddingNet, x: torch.Tensor) -> torch.Tensor:
    """The docstring's recipe, written out: four conv-BN-ReLU blocks, the first three of stride 2,
    the feature map averaged across its width only, a linear layer, then unit length."""
    h = x
    for i in range(4):
        conv, bn = net.features[3 * i], net.features[3 * i + 1]
        h = F.conv2d(h, conv.weight, stride=2 if i < 3 else 1, padding=1)  # (N, C, H', W')
        mean, var = h.mean(dim=(0, 2, 3), keepdim=True), h.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
        h = (h - mean) / torch.sqrt(var + bn.eps) * bn.weight[:, None, None] + bn.bias[:, None, None]
        h = h.clamp_min(0)
    stripes = h.mean(dim=3)  # (N, C, H/8): one row per horizontal stripe of the body
    z = stripes.flatten(1) @ net.head.weight.T + net.head.bias  # (N, dim)
    return z / z.norm(dim=1, keepdim=True) if net.normalize else z


@pytest.mark.parametrize("normalize", [True, False])
def test_embedding_net_follows_its_recipe_in_training_mode(normalize: bool) -> None:
    torch.manual_seed(1)
    net = EmbeddingNet(dim=10, height=32, width=16, normalize=normalize).train()
    for p in net.parameters():  # non-trivial batch-norm scales and shifts too
        p.data.normal_()
    x = torch.randn(5, 3, 32, 16)
    out = net(x)
    assert out.shape == (5, 10)
    torch.testing.assert_close(out, by_hand(net, x), rtol=1e-4, atol=1e-5)
    if normalize:
        torch.testing.assert_close(out.norm(dim=1), torch.ones(5))


def test_embedding_net_keeps_top_and_bottom_apart_but_not_left_and_right() -> None:
    """Averaging across the width only: swapping the two halves of every row of the last feature
    map leaves the embedding unchanged; swapping top and bottom stripes does not."""
    torch.manual_seed(2)
    net = EmbeddingNet(dim=8, height=64, width=32).eval()
    fmap = torch.randn(3, 64, 8, 4)  # the last feature map (N, C, H/8, W/8)
    head = lambda f: net.head(f.mean(dim=3).flatten(1))  # noqa: E731
    torch.testing.assert_close(head(fmap), head(fmap.flip(3)))
    assert not torch.allclose(head(fmap), head(fmap.flip(2)))


def test_parameter_count_is_the_documented_one() -> None:
    assert sum(p.numel() for p in EmbeddingNet().parameters()) == 93_520


def test_stacked_flow_inputs_take_other_channel_counts() -> None:
    net = EmbeddingNet(dim=4, in_channels=2).eval()
    assert net(torch.zeros(2, 2, 64, 32)).shape == (2, 4)


@pytest.mark.parametrize(
    ("kwargs", "shape", "message"),
    [
        ({"height": 60}, None, "multiples of 8"),
        ({}, (2, 3, 32, 32), r"\(N, 3, 64, 32\)"),
        ({}, (3, 64, 32), r"\(N, 3, 64, 32\)"),
        ({"in_channels": 2}, (2, 3, 64, 32), r"\(N, 2, 64, 32\)"),
    ],
)
def test_bad_shapes_are_errors_that_say_what_was_expected(
    kwargs: dict, shape: tuple | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        EmbeddingNet(**kwargs)(torch.zeros(shape or (1, 3, 64, 32)))


def test_forward_is_the_unnormalized_embedding_scaled_to_unit_length() -> None:
    torch.manual_seed(3)
    net, x = EmbeddingNet(dim=8, height=16, width=8).eval(), torch.randn(5, 3, 16, 8)
    z = net.unnormalized(x)
    torch.testing.assert_close(net(x), z / z.norm(dim=1, keepdim=True))
    net.normalize = False
    assert torch.equal(net(x), z)
    with pytest.raises(ValueError, match=r"expected images \(N, 3, 16, 8\)"):
        net.unnormalized(torch.zeros(2, 3, 8, 8))
