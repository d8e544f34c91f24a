"""reidlab.worlds.captions: seeded captioned scenes, named in reading order."""

import pytest
import torch

from reidlab.worlds.captions import CAPTION_COLOURS, CAPTION_KINDS, VOCAB, caption_scenes


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
        assert (scenes.tokens[i, 2 * n + 1 :] == VOCAB.index("<pad>")).all()
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
