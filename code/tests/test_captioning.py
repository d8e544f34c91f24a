import pytest
import torch

from reidlab.captioning import (
    END,
    PAD,
    Captioner,
    attention_on_named_shape,
    caption_accuracy,
    caption_loss,
    greedy_captions,
    train_captioner,
)
from reidlab.data import CAPTION_COLOURS, CAPTION_KINDS, VOCAB, caption_scenes


@pytest.fixture(scope="module")
def scenes():
    return caption_scenes(40, seed=3)


def test_scenes_are_deterministic_and_captions_well_formed(scenes):
    again = caption_scenes(40, seed=3)
    assert torch.equal(scenes.images, again.images) and torch.equal(scenes.tokens, again.tokens)
    for i in range(len(scenes)):
        words = scenes.words(i)
        assert 4 <= len(words) <= 8 and len(words) % 2 == 0
        assert all(w in CAPTION_COLOURS for w in words[::2]) and all(w in CAPTION_KINDS for w in words[1::2])
        n = len(words) // 2
        assert VOCAB[int(scenes.tokens[i, 2 * n])] == "<end>"
        assert (scenes.tokens[i, 2 * n + 1 :] == PAD).all()
        assert scenes.masks[i, :n].flatten(1).any(1).all() and not scenes.masks[i, n:].any()


def test_shapes_are_named_in_reading_order_with_their_colour(scenes):
    palette = torch.tensor(list(CAPTION_COLOURS.values()))
    size = scenes.images.shape[-1]
    for i in range(len(scenes)):
        words = scenes.words(i)
        cells = []
        for j in range(len(words) // 2):
            ys, xs = torch.nonzero(scenes.masks[i, j], as_tuple=True)
            cells.append(int(ys.float().mean() // (size / 3)) * 3 + int(xs.float().mean() // (size / 3)))
            colour = scenes.images[i, :, ys, xs].mean(dim=1)
            assert (palette - colour).norm(dim=1).argmin() == list(CAPTION_COLOURS).index(words[2 * j])
        assert cells == sorted(cells) and len(set(cells)) == len(cells)


def test_scenes_reject_bad_arguments():
    with pytest.raises(ValueError, match="n must be positive"):
        caption_scenes(0)
    with pytest.raises(ValueError, match="multiple of 3"):
        caption_scenes(4, size=50)


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


def test_caption_accuracy_by_hand():
    truth = torch.tensor([[3, 7, 2, 0], [4, 8, 5, 9]])
    predicted = torch.tensor([[3, 7, 2, 0], [4, 8, 5, 7]])
    exact, per_word = caption_accuracy(predicted, truth)
    assert exact == 0.5 and per_word == pytest.approx(6 / 7)
    with pytest.raises(ValueError, match="same shape"):
        caption_accuracy(predicted[:, :3], truth)


def test_attention_on_the_named_shape(scenes):
    masks, tokens = scenes.masks[:3], scenes.tokens[:3]
    cover = masks.float().view(3, 4, 6, 8, 6, 8).mean(dim=(3, 5)).flatten(2) >= 0.1  # (3, 4, 36)
    on = cover[:, torch.arange(9).clamp(max=7) // 2].float()  # each word looks only at its shape
    on = on / on.sum(-1, keepdim=True).clamp_min(1)
    assert torch.allclose(attention_on_named_shape(on, masks, tokens), torch.tensor(1.0))
    uniform = torch.full((3, 9, 36), 1 / 36)
    shares = attention_on_named_shape(uniform, masks, tokens)
    n_named = int((tokens[:, :8] != END).logical_and(tokens[:, :8] != PAD).sum())
    assert len(shares) == n_named and (shares < 0.5).all()


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
