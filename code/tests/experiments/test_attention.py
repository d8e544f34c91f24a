import pytest
import torch

from reidlab.experiments.attention import (
    END,
    PAD,
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
