"""reidlab.experiments.hog: shape retrieval is seeded, scored per seed, and draws each image set once."""

from __future__ import annotations

import pytest
import torch

from reidlab.experiments.hog import shape_retrieval
from reidlab.features import direction_histogram, hog


def test_shape_retrieval_is_seeded_and_scores_per_seed() -> None:
    extractors = {"hist": lambda x: direction_histogram(x, 16), "pixels": lambda x: x.flatten(1)}
    a = shape_retrieval(extractors, [(0, 0)], seeds=[0, 1], n_gallery=2, n_query=2)
    b = shape_retrieval(extractors, [(0, 0)], seeds=[0, 1], n_gallery=2, n_query=2)
    assert set(a) == {("hist", (0, 0)), ("pixels", (0, 0))}
    assert a[("hist", (0, 0))].shape == (2, 2)  # seeds x (rank-1, mAP)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert ((a[("hist", (0, 0))] > 0) & (a[("hist", (0, 0))] <= 1)).all()


def test_shape_retrieval_draws_each_image_set_once() -> None:
    """A second call on the same (setting, seed) reuses the images: the same numbers, and the
    same tensors reach the feature functions."""
    seen: list[torch.Tensor] = []

    def spy(x: torch.Tensor) -> torch.Tensor:
        seen.append(x)
        return x.flatten(1)

    a = shape_retrieval({"spy": spy}, [(10, 2)], seeds=[3], n_gallery=2, n_query=3)
    b = shape_retrieval({"spy": spy}, [(10, 2)], seeds=[3], n_gallery=2, n_query=3)
    assert torch.equal(a[("spy", (10, 2))], b[("spy", (10, 2))])
    assert seen[0] is seen[2] and seen[1] is seen[3]  # query, gallery, query, gallery
    assert seen[0].shape == (15, 64, 64) and seen[1].shape == (10, 64, 64)  # 5 shapes


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: shape_retrieval({}, [(0, 0)]), "extractors must be"),
        (lambda: shape_retrieval({"h": hog}, []), "settings must be"),
        (lambda: shape_retrieval({"h": hog}, [(0, 0, 1)]), "settings must be"),
        (lambda: shape_retrieval({"h": hog}, [(0, 0)], seeds=[]), "seeds must be"),
        (lambda: shape_retrieval({"h": hog}, [(0, 0)], seeds=[0.5]), "seeds must be"),
        (lambda: shape_retrieval({"h": hog}, [(0, 0)], n_query=0), "n_gallery and n_query"),
    ],
)
def test_bad_input(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
