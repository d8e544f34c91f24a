"""reidlab.figures: the book's figures are pure functions of their parameters."""

from __future__ import annotations

import math

import pytest

from reidlab.figures.distances import two_vector_distances, two_vectors
from reidlab.plots import to_svg


@pytest.mark.parametrize("angle", [0, 45, 90, 180])
@pytest.mark.parametrize("length", [0.5, 1.0, 3.0])
def test_two_vector_distances_obey_the_identity(angle: float, length: float) -> None:
    d = two_vector_distances(angle, length)
    cos = math.cos(math.radians(angle))
    assert d["1 − cos"] == pytest.approx(1 - cos, abs=1e-12)
    assert d["‖â − b̂‖"] ** 2 == pytest.approx(2 - 2 * cos, abs=1e-12)
    a, b = 1.6, length
    assert d["‖a − b‖"] ** 2 == pytest.approx(a * a + b * b - 2 * a * b * cos, abs=1e-12)


def test_normalised_distance_ignores_length() -> None:
    assert two_vector_distances(60, 0.5)["‖â − b̂‖"] == pytest.approx(two_vector_distances(60, 3.0)["‖â − b̂‖"])


def test_two_vectors_frame_shows_its_parameters() -> None:
    svg = to_svg(two_vectors(30, 2.0))
    assert "angle 30°, |b| = 2" in svg
    with pytest.raises(ValueError, match="length must be positive"):
        two_vectors(30, 0.0)


def test_distance_vs_length_marks_the_query_and_checks_its_input() -> None:
    import torch

    from reidlab.figures.distances import distance_vs_length

    gallery = torch.rand(6, 4, generator=torch.Generator().manual_seed(0)) + 0.1
    same = torch.tensor([True, False, True, False, False, False])
    svg = to_svg(distance_vs_length(gallery[0] * 2, gallery, same))
    assert "the query's length ‖q‖" in svg and "same identity" in svg
    with pytest.raises(ValueError, match="query must be"):
        distance_vs_length(gallery, gallery, same)
    with pytest.raises(ValueError, match="same_id must be"):
        distance_vs_length(gallery[0], gallery, same.long())


def test_classification_figures_draw() -> None:
    from reidlab.experiments.classification_losses import fit_all
    from reidlab.figures.classification_losses import loss_and_weight, outlier_fits
    from reidlab.worlds.vectors import two_class

    svg = to_svg(loss_and_weight(-1.5))
    assert "at m = -1.5" in svg and "exponential" in svg
    assert "savage" in to_svg(loss_and_weight())
    data = two_class(n_negative=40, ratio=2, n_outliers=1, seed=0)
    svg = to_svg(
        outlier_fits(
            fit_all(
                data, losses=("logistic", "hinge", "exponential", "savage", "squared error", "squared hinge")
            ),
            data,
            "t",
        )
    )
    assert "outlier" in svg and "acc" in svg


def test_image_loss_figures_draw() -> None:
    import torch

    from reidlab.figures.image_losses import ambiguity, images_row, line_fit_frame

    assert "2 outlier(s), lifted by 8" in to_svg(line_fit_frame(8, 2))
    img = torch.rand(1, 8, 8)
    assert "a title" in to_svg(images_row({"a title": img, "b": img}))
    assert "L2" in to_svg(ambiguity(img, {"L2": img}))


def test_feature_figures_draw() -> None:
    from reidlab.figures.hog import cell_direction_field, direction_bars, gradient_field, hog_frame
    from reidlab.worlds.images import shape_image

    shapes = {"a trapezoid": shape_image("trapezoid", 32), "a circle": shape_image("circle", 32)}
    assert "a trapezoid" in to_svg(gradient_field(shapes, step=4))
    assert "a circle: one direction per cell" in to_svg(cell_direction_field(shapes, cell=8))
    assert "a trapezoid: relative to centre" in to_svg(direction_bars(shapes))
    svg = to_svg(hog_frame(30, 8))
    assert "trapezoid, rotated 30°" in svg and "HOG cells of 8 x 8 pixels" in svg


def test_scoring_and_siamese_figures_draw() -> None:
    import torch

    from reidlab.evaluation import evaluate_retrieval
    from reidlab.figures.scoring import cmc_curves, precision_along_ranking
    from reidlab.figures.siamese import contrastive_frame, distance_histograms, loss_curve, roc_curves

    assert "AP 0.722" in to_svg(precision_along_ranking([True, False, True, False, False, True]))
    with pytest.raises(ValueError, match="at least one correct"):
        precision_along_ranking([False, False])
    r = evaluate_retrieval(torch.rand(4, 6), torch.tensor([0, 1, 2, 0]), torch.tensor([0, 1, 2, 0, 1, 2]))
    assert f"mAP {r.mAP:.2f}" in to_svg(cmc_curves({"random": r}))
    assert "loss, margin m = 0.5" in to_svg(contrastive_frame(0.5, 0.25))
    assert "contrastive loss" in to_svg(loss_curve([1.0, 0.5] * 20))
    d = torch.rand(40, dtype=torch.float64)
    same = torch.arange(40) % 4 == 0
    assert "same person" in to_svg(distance_histograms({"x": (d, same, 0.5)}))
    assert "AUC 0.500" in to_svg(
        roc_curves({"chance": (torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0]), 0.5)})
    )


def test_triplet_figures_and_pulls() -> None:
    import torch

    from reidlab.figures.triplets import mined_pulls, mining_frame, score_table, toy_embedding

    points, labels = toy_embedding()
    assert points.shape == (16, 2) and labels.bincount().tolist() == [4, 4, 4, 4]
    triplets, active, pull = mined_pulls(points, labels, 0.3, "batch-hard")
    assert active.shape == (16,)
    assert len(triplets[0]) == 16 and pull.shape == (16, 2)
    # the pull is minus the gradient of the mean loss: a small step along it lowers the loss
    from reidlab.losses.metric import batch_distances, triplet_loss

    before = triplet_loss(batch_distances(points), triplets, 0.3)
    after = triplet_loss(batch_distances(points + 1e-3 * pull), triplets, 0.3)
    assert after < before
    empty = mined_pulls(points, labels, 1e-6, "semi-hard")
    assert len(empty[0][0]) == 0 and torch.equal(empty[2], torch.zeros_like(points))
    assert "batch-hard:" in to_svg(mining_frame(0.3, "batch-hard"))
    with pytest.raises(ValueError, match="mining must be one of"):
        mining_frame(0.3, "hardest")
    table = score_table({"a": torch.tensor([[0.5, 0.8, 0.4, 0.6], [0.7, 0.9, 0.6, 0.4]])})
    assert "0.600±0.141" in table and "50%" in table


def test_video_figures() -> None:
    import numpy as np
    import torch
    from matplotlib.figure import Figure

    from reidlab.figures.video import ablation_table, flow_colours, pooling_frame, weighting_figure

    assert isinstance(pooling_frame(2.0), Figure)
    colours = flow_colours(torch.tensor([[[1.0, 0.0]], [[0.0, 0.0]]]), top=1.0)  # right, and no motion
    assert (
        colours.shape == (1, 2, 3) and np.allclose(colours[0, 0], [1, 0, 0]) and np.allclose(colours[0, 1], 0)
    )
    table = ablation_table(torch.tensor([[[[0.5, 0.4]]], [[[0.7, 0.6]]]]), ("spatial",), {"all": 10})
    assert "all (10)" in table and "0.600±0.141" in table
    scores = {"mean": torch.rand(3, 2, 2)}
    assert isinstance(weighting_figure(scores, {"mean": torch.rand(3, 2)}, (0, 1), frames=8), Figure)


def test_attention_figures() -> None:
    import torch
    from matplotlib.figure import Figure

    from reidlab.figures.attention import (
        attention_example,
        attention_strip,
        caption_examples,
        frame_weight_bars,
    )
    from reidlab.worlds.captions import caption_scenes, caption_words

    scenes = caption_scenes(3, seed=0)
    assert caption_words(scenes.tokens[0]) == scenes.words(0)
    weights = torch.softmax(torch.randn(9, 36), dim=-1)
    words = scenes.words(0)
    assert isinstance(caption_examples(scenes.images, [scenes.words(i) for i in range(3)]), Figure)
    assert len(attention_strip(scenes.images[0], words, weights).axes) == len(words) + 1
    examples = {"A": (scenes.images[0], words, weights, "true: red circle")}
    assert isinstance(attention_example("A", 9, examples=examples), Figure)  # past the end: <end>
    bars = frame_weight_bars(torch.full((2, 8), 1 / 8), torch.zeros(2, 8, dtype=torch.bool))
    assert len(bars.axes) == 2


def test_every_word_step_is_its_own_frame() -> None:
    """The browser test expects each key press on a slider to show a different frame."""
    import torch

    from reidlab.figures.attention import attention_frame
    from reidlab.plots import to_png
    from reidlab.worlds.captions import caption_scenes

    scenes = caption_scenes(1, seed=0)
    words = scenes.words(0)[:2]  # a short caption: steps 4 to 9 are past its end
    weights = torch.softmax(torch.randn(9, 36, generator=torch.Generator().manual_seed(0)), dim=-1)
    frames = {to_png(attention_frame(scenes.images[0], words, weights, step)) for step in range(1, 10)}
    assert len(frames) == 9
