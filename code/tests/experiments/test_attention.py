import pytest
import torch

from reidlab.experiments.attention import (
    END,
    PAD,
    START,
    Captioner,
    Encoder,
    attention_on_named_shape,
    caption_accuracy,
    caption_loss,
    greedy_captions,
    named_shape_regions,
    peak_on_named_shape,
    region_of_pixel,
    train_captioner,
)
from reidlab.worlds.captions import VOCAB, caption_scenes


@pytest.fixture(scope="module")
def scenes():
    return caption_scenes(40, seed=3)


def test_model_shapes_and_greedy_decoding(scenes):
    torch.manual_seed(0)
    for attention in (True, False):
        model = Captioner(attention=attention).eval()
        scores, weights = model(scenes.images[:5], scenes.tokens[:5])
        assert scores.shape == (5, 9, len(VOCAB)) and weights.shape == (5, 9, 36)
        assert torch.allclose(weights.sum(-1), torch.ones(5, 9))
        if not attention:
            assert torch.allclose(weights, torch.full_like(weights, 1 / 36))
        words, w = greedy_captions(model, scenes.images[:5])
        assert words.shape == (5, 9) and w.shape == (5, 9, 36)
        for row in words.tolist():  # after <end>, only padding
            if END in row:
                assert all(t == PAD for t in row[row.index(END) + 1 :])


def test_the_encoder_sees_where_each_pixel_is():
    torch.manual_seed(0)
    plain, placed = Encoder(coords=False), Encoder(coords=True)
    assert plain.net[0].in_channels == 3 and placed.net[0].in_channels == 5
    flat = torch.full((2, 3, 48, 48), 0.5)
    assert placed(flat).shape == plain(flat).shape == (2, 36, 64)
    # with nothing to see, the regions of a plain encoder differ only near the border
    # (zero padding); with coordinates, every region differs from its neighbours
    inner = plain.eval()(flat)[0].view(6, 6, 64)[1:-1, 1:-1]
    assert torch.allclose(inner, inner[:1, :1].expand_as(inner), atol=1e-6)
    placed_inner = placed.eval()(flat)[0].view(6, 6, 64)[1:-1, 1:-1]
    assert not torch.allclose(placed_inner[0, 0], placed_inner[1, 1], atol=1e-3)


def test_caption_accuracy_by_hand():
    truth = torch.tensor([[3, 7, 2, 0], [4, 8, 5, 9]])
    predicted = torch.tensor([[3, 7, 2, 0], [4, 8, 5, 7]])
    exact, per_word = caption_accuracy(predicted, truth)
    assert exact == 0.5 and per_word == pytest.approx(6 / 7)
    with pytest.raises(ValueError, match="same shape"):
        caption_accuracy(predicted[:, :3], truth)


def test_attention_on_the_named_shape(scenes):
    masks, tokens = scenes.masks[:3], scenes.tokens[:3]
    cover = named_shape_regions(masks, side=6)  # (3, 4, 36)
    on = cover[:, torch.arange(9).clamp(max=7) // 2].float()  # each word looks only at its shape
    on = on / on.sum(-1, keepdim=True).clamp_min(1)
    assert torch.allclose(attention_on_named_shape(on, masks, tokens), torch.tensor(1.0))
    uniform = torch.full((3, 9, 36), 1 / 36)
    shares = attention_on_named_shape(uniform, masks, tokens)
    n_named = int((tokens[:, :8] != END).logical_and(tokens[:, :8] != PAD).sum())
    assert len(shares) == n_named and (shares < 0.5).all()


def test_region_of_pixel_follows_the_receptive_field_centres():
    # three stride-2 convolutions centre region j on pixel 8 j: it owns pixels 8 j - 4 .. 8 j + 3
    expected = [0] * 4 + [1] * 8 + [2] * 8 + [3] * 8 + [4] * 8 + [5] * 12
    assert region_of_pixel(48, 6).tolist() == expected
    centres = torch.arange(6) * 8  # the reference: the nearest centre, ties to the later one
    nearest = (torch.arange(48.0)[:, None] - centres + 0.5).abs().argmin(dim=1)
    assert torch.equal(region_of_pixel(48, 6), nearest)
    with pytest.raises(ValueError, match="multiple of side"):
        region_of_pixel(50, 6)


def test_named_regions_are_the_regions_a_shape_covers_a_tenth_of():
    # 12 pixels, 3 regions centred on pixels 0, 4, 8: region 0 owns pixels 0-1, region 1
    # pixels 2-5, region 2 pixels 6-11
    masks = torch.zeros(1, 2, 12, 12, dtype=torch.bool)
    masks[0, 0, :2, :2] = True  # all 4 pixels of region 0
    masks[0, 0, 4, 4] = True  # 1 of the 16 pixels of region 4 (row 1, column 1): under a tenth
    masks[0, 1, 8:, 8:] = True  # 16 of the 36 pixels of region 8
    regions = named_shape_regions(masks, side=3)
    assert regions.shape == (1, 2, 9)
    assert regions[0, 0].nonzero().flatten().tolist() == [0]
    assert regions[0, 1].nonzero().flatten().tolist() == [8]
    with pytest.raises(ValueError, match="masks"):
        named_shape_regions(masks[0], side=3)
    with pytest.raises(ValueError, match="multiple of 5"):
        named_shape_regions(masks, side=5)


def test_peak_on_named_shape(scenes):
    masks, tokens = scenes.masks[:3], scenes.tokens[:3]
    regions = named_shape_regions(masks, side=6)  # (3, 4, 36)
    t = torch.arange(9).clamp(max=7) // 2
    on = regions[:, t].float() + 0.01  # every region some weight, the named shape's most
    on = on / on.sum(-1, keepdim=True)
    peaks = peak_on_named_shape(on, masks, tokens)
    assert peaks.dtype == torch.bool and peaks.all()
    assert len(peaks) == len(attention_on_named_shape(on, masks, tokens))
    off = (1 - regions[:, t].float()) / (1 - regions[:, t].float()).sum(-1, keepdim=True)
    assert not peak_on_named_shape(off, masks, tokens).any()
    with pytest.raises(ValueError, match="weights"):
        peak_on_named_shape(on[:, :, :5], masks, tokens[:, :3])


def test_training_is_deterministic_and_lowers_the_loss(scenes):
    a = train_captioner(scenes, attention=True, seed=1, steps=3, batch_size=8)
    b = train_captioner(scenes, attention=True, seed=1, steps=3, batch_size=8)
    assert all(
        torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )
    torch.manual_seed(0)
    fresh = Captioner()
    trained = train_captioner(scenes, attention=False, seed=0, steps=40, batch_size=20)
    with torch.no_grad():
        assert caption_loss(trained, scenes.images, scenes.tokens) < caption_loss(
            fresh, scenes.images, scenes.tokens
        )


def tiny_captioner(attention: bool, seed: int = 0) -> Captioner:
    """A small captioner in float64 (16 x 16 images: a 2 x 2 grid of 8 features), in eval mode."""
    torch.manual_seed(seed)
    return Captioner(attention=attention, channels=8, hidden=12, embed=5, widths=(4, 6)).double().eval()


def random_batch(seed: int, b: int = 3, length: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(b, 3, 16, 16, generator=g, dtype=torch.float64)
    return images, torch.randint(len(VOCAB), (b, length), generator=g)


def gru_cell_by_hand(cell: torch.nn.GRUCell, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """The GRU equations as PyTorch documents them (gates r, z, n in that order)."""
    wr, wz, wn = cell.weight_ih.chunk(3)
    ur, uz, un = cell.weight_hh.chunk(3)
    br, bz, bn = cell.bias_ih.chunk(3)
    cr, cz, cn = cell.bias_hh.chunk(3)
    r = torch.sigmoid(x @ wr.T + br + h @ ur.T + cr)
    z = torch.sigmoid(x @ wz.T + bz + h @ uz.T + cz)
    n = torch.tanh(x @ wn.T + bn + r * (h @ un.T + cn))
    return (1 - z) * n + z * h


def decoder_by_hand(
    model: Captioner, images: torch.Tensor, tokens: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher forcing written out from the module's docstring, with none of its methods but the
    encoder: the attention scores item by item, the GRU from its equations."""
    grid = model.encoder(images)  # (B, R, C)
    b, r, _ = grid.shape
    h = torch.tanh(grid.mean(dim=1) @ model.init_state.weight.T + model.init_state.bias)
    scores, weights = [], []
    for t in range(tokens.shape[1]):
        word = torch.full((b,), START) if t == 0 else tokens[:, t - 1]
        if model.attention is None:
            alpha = torch.full((b, r), 1.0 / r, dtype=grid.dtype)
        else:
            att = model.attention
            w_q, w_k, b_k = att.query_proj.weight, att.key_proj.weight, att.key_proj.bias
            e = torch.empty(b, r, dtype=grid.dtype)
            for i in range(b):
                for j in range(r):
                    e[i, j] = att.score.weight[0] @ torch.tanh(w_q @ h[i] + w_k @ grid[i, j] + b_k)
            alpha = torch.exp(e - e.max(dim=1, keepdim=True).values)
            alpha = alpha / alpha.sum(dim=1, keepdim=True)
        context = (alpha[..., None] * grid).sum(dim=1)
        h = gru_cell_by_hand(model.cell, torch.cat((model.embed.weight[word], context), dim=1), h)
        scores.append(torch.cat((h, context), dim=1) @ model.out.weight.T + model.out.bias)
        weights.append(alpha)
    return torch.stack(scores, dim=1), torch.stack(weights, dim=1)


@pytest.mark.parametrize("attention", [True, False])
def test_teacher_forcing_equals_a_loop_of_single_steps(attention):
    model = tiny_captioner(attention)
    images, tokens = random_batch(1)
    with torch.no_grad():
        scores, weights = model(images, tokens)
        # the reference: the decoder's own single step, called by hand, one word at a time
        grid = model.encoder(images)
        keys = None if model.attention is None else model.attention.project_keys(grid)
        h = torch.tanh(model.init_state(grid.mean(dim=1)))
        word = torch.full((len(images),), START)
        for t in range(tokens.shape[1]):
            s, h, w = model.step(word, h, grid, keys)
            torch.testing.assert_close(scores[:, t], s, atol=1e-12, rtol=0)
            torch.testing.assert_close(weights[:, t], w.to(weights.dtype), atol=1e-12, rtol=0)
            word = tokens[:, t]  # teacher forcing: the true word, whatever the model said
        # an independent reference: the equations by hand
        ref_scores, ref_weights = decoder_by_hand(model, images, tokens)
    assert scores.dtype == torch.float64
    torch.testing.assert_close(scores, ref_scores, atol=1e-10, rtol=0)
    torch.testing.assert_close(weights.double(), ref_weights, atol=1e-10, rtol=0)
    if attention:  # the weights do depend on the state: not the same at every step
        assert (weights[:, 1:] - weights[:, :1]).abs().max() > 1e-6


@pytest.mark.parametrize("attention", [True, False])
def test_each_step_sees_only_the_words_before_it(attention):
    """Changing the true word at position t changes the scores from position t + 1 on, not
    before: teacher forcing feeds the previous word, never the current one."""
    model = tiny_captioner(attention, seed=2)
    images, tokens = random_batch(2, length=6)
    changed = tokens.clone()
    changed[:, 3] = (tokens[:, 3] + 1) % len(VOCAB)
    with torch.no_grad():
        (a, wa), (b, wb) = model(images, tokens), model(images, changed)
    torch.testing.assert_close(a[:, :4], b[:, :4], atol=0, rtol=0)
    torch.testing.assert_close(wa[:, :5], wb[:, :5], atol=0, rtol=0)  # weights use h_{t-1}
    assert (a[:, 4] - b[:, 4]).abs().max() > 1e-9
    if attention:
        assert (wa[:, 5] - wb[:, 5]).abs().max() > 1e-12


@pytest.mark.parametrize("attention", [True, False])
def test_greedy_decoding_is_teacher_forcing_on_its_own_words(attention):
    """Fed its own greedy caption as the truth, the model's teacher-forced scores pick the same
    word at every step until ``<end>``, with the same attention weights."""
    model = tiny_captioner(attention, seed=3)
    images, _ = random_batch(3, b=4)
    words, greedy_weights = greedy_captions(model, images, max_len=7)
    with torch.no_grad():
        scores, weights = model(images, words)
    torch.testing.assert_close(weights, greedy_weights, atol=1e-12, rtol=0)
    done_before = torch.zeros(len(images), dtype=torch.bool)
    for t in range(words.shape[1]):
        live = ~done_before
        assert torch.equal(scores[live, t].argmax(dim=1), words[live, t])
        done_before |= words[:, t] == END
