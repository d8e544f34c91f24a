import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from reidlab.attention import AdditiveAttention, attend, dot_product_attention


def random_qkv(seed: int, b: int = 2, q: int = 3, k: int = 5, d: int = 8, dv: int = 4):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(b, q, d, generator=g, dtype=torch.float64),
        torch.randn(b, k, d, generator=g, dtype=torch.float64),
        torch.randn(b, k, dv, generator=g, dtype=torch.float64),
    )


@given(st.integers(0, 10_000), st.booleans())
@settings(max_examples=40, deadline=None)
def test_dot_product_matches_pytorch(seed, masked):
    q, k, v = random_qkv(seed)
    mask = None
    if masked:
        mask = torch.rand(2, 3, 5, generator=torch.Generator().manual_seed(seed)) < 0.6
        mask[..., seed % 5] = True  # every query keeps something to attend to
    ours, weights = dot_product_attention(q, k, v, mask)
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(ours, theirs, atol=1e-12)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3, dtype=torch.float64))
    if mask is not None:
        assert (weights[~mask] == 0).all()


def test_a_mask_broadcasts_over_queries():
    q, k, v = random_qkv(1)
    keep = torch.tensor([[True, True, False, False, True], [True] * 5])[:, None, :]  # (B, 1, K)
    ours, _ = dot_product_attention(q, k, v, keep)
    assert torch.allclose(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=keep), atol=1e-12)


def test_gradients_pass_gradcheck():
    q, k, v = (t.requires_grad_() for t in random_qkv(2))
    assert torch.autograd.gradcheck(lambda a, b, c: dot_product_attention(a, b, c)[0], (q, k, v))
    torch.manual_seed(0)
    additive = AdditiveAttention(8, 8, hidden=6).double()
    assert torch.autograd.gradcheck(lambda a, b, c: additive(a[:, 0], b, c)[0], (q, k, v))


def test_additive_attention_is_a_softmax_of_its_scores():
    torch.manual_seed(0)
    att = AdditiveAttention(4, 6, hidden=5)
    query, keys, values = torch.randn(3, 4), torch.randn(3, 7, 6), torch.randn(3, 7, 2)
    context, weights = att(query, keys, values)
    scores = att.score(torch.tanh(att.query_proj(query)[:, None] + att.key_proj(keys))).squeeze(-1)
    assert torch.allclose(weights, torch.softmax(scores, dim=-1))
    assert torch.allclose(context, (weights[..., None] * values).sum(1), atol=1e-6)
    keep = torch.ones(3, 7, dtype=torch.bool)
    keep[:, 3:] = False
    _, w = att(query, keys, values, keep)
    assert (w[:, 3:] == 0).all() and torch.allclose(w.sum(-1), torch.ones(3))


def test_attention_picks_the_matching_key():
    keys = torch.eye(4)[None] * 20.0  # four very different keys
    values = torch.arange(4.0).view(1, 4, 1)
    context, weights = dot_product_attention(keys[:, 2:3] / 20.0 * 20.0, keys, values)
    assert weights[0, 0].argmax() == 2 and abs(context.item() - 2.0) < 1e-3


def test_bad_input_is_rejected():
    q, k, v = random_qkv(0)
    with pytest.raises(ValueError, match="last dimension"):
        dot_product_attention(q, k[..., :4], v)
    with pytest.raises(ValueError, match="one value per key"):
        dot_product_attention(q, k, v[:, :4])
    with pytest.raises(TypeError, match="boolean"):
        attend(torch.randn(2, 5), torch.randn(2, 5, 3), torch.ones(2, 5))
    with pytest.raises(ValueError, match="nothing to attend to"):
        attend(torch.randn(2, 5), torch.randn(2, 5, 3), torch.zeros(2, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="broadcast"):
        attend(torch.randn(2, 5), torch.randn(2, 5, 3), torch.ones(3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="NaN"):
        dot_product_attention(q * float("nan"), k, v)
    with pytest.raises(ValueError, match="expected query"):
        AdditiveAttention(8, 8)(q, k, v)


def test_the_word_strip_outlines_the_named_shape_and_says_its_share():
    from reidlab.experiments.attention import attention_on_named_shape
    from reidlab.figures.attention import attention_example, attention_strip
    from reidlab.worlds.captions import caption_scenes

    scenes = caption_scenes(1, seed=0)
    words = scenes.words(0)
    weights = torch.softmax(torch.randn(9, 36, generator=torch.Generator().manual_seed(0)), dim=-1)
    fig = attention_strip(scenes.images[0], words, weights, scenes.masks[0])
    assert len(fig.axes) == len(words) + 1
    shares = attention_on_named_shape(weights[None], scenes.masks[:1], scenes.tokens[:1])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == f"{words[0]}\n{float(shares[0]):.0%} on it" and titles[-1] == "<end>"
    assert all(len(ax.collections) == 1 for ax in fig.axes[:-1])  # one outline per named word
    assert not fig.axes[-1].collections
    examples = {"A": (scenes.images[0], words, weights, "", scenes.masks[0])}
    assert "on the outline" in attention_example("A", 1, examples=examples).axes[0].get_title()
