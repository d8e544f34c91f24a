import math

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
    keys = torch.eye(4, dtype=torch.float64)[None] * 20.0  # four orthogonal keys of length 20
    values = torch.arange(4.0, dtype=torch.float64).view(1, 4, 1)
    for j in range(4):
        # a query equal to key j scores 20 * 20 / sqrt(4) = 200 on it and 0 on the others: all
        # the weight goes to item j (e^-200 is below float64's resolution next to 1)
        context, weights = dot_product_attention(keys[:, j : j + 1], keys, values)
        assert weights[0, 0].argmax() == j and weights[0, 0, j] == 1.0
        assert context.item() == pytest.approx(float(j), abs=1e-12)
    # the same direction at a twentieth of the length scores only 20 / 2 = 10 on the matching key:
    # it still wins, with weight e^10 / (e^10 + 3), and the context is pulled off value 2
    context, weights = dot_product_attention(keys[:, 2:3] / 20.0, keys, values)
    share = math.exp(10) / (math.exp(10) + 3)
    assert weights[0, 0].argmax() == 2 and weights[0, 0, 2].item() == pytest.approx(share, rel=1e-12)
    others = (1 - share) / 3
    assert context.item() == pytest.approx(2 * share + (0 + 1 + 3) * others, rel=1e-12)
    assert abs(context.item() - 2.0) > 1e-5


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


def additive_by_hand(att: AdditiveAttention, query, keys, values, mask=None):
    """Bahdanau attention item by item: e_i = w . tanh(W q + U k_i + b) (W: query_proj, no bias;
    U, b: key_proj; w: score, no bias), a softmax over the items the mask keeps, the weighted sum."""
    W, U, b, w = att.query_proj.weight, att.key_proj.weight, att.key_proj.bias, att.score.weight[0]
    n, k = keys.shape[:2]
    contexts, weights = [], []
    for i in range(n):
        keep = [True] * k if mask is None else mask[i].tolist()
        scores = [float(w @ torch.tanh(W @ query[i] + U @ keys[i, j] + b)) for j in range(k)]
        top = max(s for s, kept in zip(scores, keep, strict=True) if kept)
        exp = [math.exp(s - top) if kept else 0.0 for s, kept in zip(scores, keep, strict=True)]
        alpha = [e / sum(exp) for e in exp]
        contexts.append(sum(a * values[i, j] for j, a in enumerate(alpha)))
        weights.append(alpha)
    return torch.stack(contexts), torch.tensor(weights, dtype=torch.float64)


@pytest.mark.parametrize("seed", range(4))
def test_additive_attention_matches_a_brute_force_reference(seed):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    att = AdditiveAttention(query_dim=5, key_dim=3, hidden=7).double()
    with torch.no_grad():  # scores of a few units, not near 0: the softmax is far from uniform
        att.score.weight.mul_(4.0)
    query = torch.randn(4, 5, generator=g, dtype=torch.float64)
    keys = torch.randn(4, 6, 3, generator=g, dtype=torch.float64)
    values = torch.randn(4, 6, 2, generator=g, dtype=torch.float64)
    mask = torch.rand(4, 6, generator=g) < 0.5
    mask[0] = False
    mask[0, seed % 6] = True  # only one item may be attended to
    mask[1] = True  # every item
    mask[2, seed % 6] = True  # at least one
    mask[3] = False
    mask[3, [0, 5]] = True  # the two end items
    with torch.no_grad():
        for m in (None, mask):
            context, weights = att(query, keys, values, m)
            ref_context, ref_weights = additive_by_hand(att, query, keys, values, m)
            torch.testing.assert_close(weights, ref_weights, atol=1e-12, rtol=0)
            torch.testing.assert_close(context, ref_context, atol=1e-12, rtol=0)
        unmasked, _ = att(query, keys, values)
        assert (weights.max(dim=1).values < 0.99).sum() >= 1  # not all one-hot: a real test
        # one item left: all the weight on it and its value, exactly, whatever the scores
        assert weights[0].tolist() == [float(j == seed % 6) for j in range(6)]
        assert torch.equal(context[0], values[0, seed % 6])
        assert (weights[~mask] == 0).all()
        # masking every item or none is the same; masking some changes the context
        torch.testing.assert_close(context[1], unmasked[1], atol=1e-12, rtol=0)
        assert not torch.allclose(context[3], unmasked[3])
        # precomputed keys (a decoder's projection, done once) give the same numbers
        same, same_w = att(query, keys, values, mask, projected_keys=att.project_keys(keys))
        assert torch.equal(same, context) and torch.equal(same_w, weights)


def test_additive_attention_sees_the_query_only_through_its_projection():
    """With the query projection W set to 0, every query gets the same weights (those of the
    brute-force reference); items that all hold one value give that value back."""
    torch.manual_seed(0)
    att = AdditiveAttention(4, 3, hidden=5).double()
    g = torch.Generator().manual_seed(1)
    keys = torch.randn(1, 5, 3, generator=g, dtype=torch.float64).expand(3, 5, 3)
    values = torch.randn(1, 5, 2, generator=g, dtype=torch.float64).expand(3, 5, 2)
    queries = torch.randn(3, 4, generator=g, dtype=torch.float64)
    with torch.no_grad():
        _, w = att(queries, keys, values)
        assert not torch.allclose(w[0], w[1])  # the query moves the weights
        att.query_proj.weight.zero_()
        _, w = att(queries, keys, values)
        torch.testing.assert_close(w, w[:1].expand_as(w), atol=0, rtol=0)
        ref = additive_by_hand(att, queries, keys, values)[1]
        torch.testing.assert_close(w, ref, atol=1e-12, rtol=0)
        same_value = values[:, :1].expand(3, 5, 2)
        context, _ = att(queries, keys, same_value)
        torch.testing.assert_close(context, same_value[:, 0], atol=1e-12, rtol=0)
