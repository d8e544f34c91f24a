"""Retrieval of toy shapes by each feature: the experiment of the chapter *Image feature vectors*
(``chapters/hog.md``). The features are in :mod:`reidlab.features`, the shapes in
:mod:`reidlab.worlds.images`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import torch

from reidlab.distances import pairwise_distances
from reidlab.evaluation import evaluate_retrieval
from reidlab.worlds.images import shape_set


@functools.lru_cache(maxsize=48)
def _shape_sets(
    rotation: float, shift: float, seed: int, n_gallery: int, n_query: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The gallery and query images of one (setting, seed) of :func:`shape_retrieval`, kept
    for reuse: drawing them costs far more than any feature (an exercise that tries other
    features on the same images draws nothing new). Callers must not modify them."""
    gallery, g_label = shape_set(n_gallery, max_rotation=rotation, max_shift=shift, seed=2 * seed)
    query, q_label = shape_set(n_query, max_rotation=rotation, max_shift=shift, seed=2 * seed + 1)
    return gallery, g_label, query, q_label


def shape_retrieval(
    extractors: Mapping[str, Callable[[torch.Tensor], torch.Tensor]],
    settings: Sequence[tuple[float, float]],
    seeds: Sequence[int] = range(5),
    n_gallery: int = 8,
    n_query: int = 20,
) -> dict[tuple[str, tuple[float, float]], torch.Tensor]:
    """Retrieval of shapes by each feature, the experiment of the chapter on feature vectors.

    For each ``(max_rotation, max_shift)`` of ``settings`` and each seed: a gallery of
    ``n_gallery`` images of every shape and ``n_query`` new query images of every shape
    (:func:`reidlab.worlds.images.shape_set`, with seeds ``2 * seed`` and ``2 * seed + 1``), each feature
    of ``extractors`` computed on both, the gallery ranked by Euclidean distance. Returns, per
    (feature name, setting), a tensor ``(len(seeds), 2)`` of rank-1 accuracy and mAP, one row
    per seed. The images of a (setting, seed) are drawn once per process and reused; an
    extractor must not modify its input in place.
    """
    if not isinstance(extractors, Mapping) or not extractors:
        raise ValueError("extractors must be a non-empty mapping of name -> feature function")
    if not settings or any(len(s) != 2 for s in settings):
        raise ValueError(f"settings must be a non-empty list of (max_rotation, max_shift), got {settings!r}")
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    if n_gallery < 1 or n_query < 1:
        raise ValueError(f"n_gallery and n_query must be at least 1, got {n_gallery} and {n_query}")
    results: dict[tuple[str, tuple[float, float]], list[list[float]]] = {}
    for rotation, shift in settings:
        for seed in seeds:
            gallery, g_label, query, q_label = _shape_sets(rotation, shift, seed, n_gallery, n_query)
            for name, extract in extractors.items():
                r = evaluate_retrieval(pairwise_distances(extract(query), extract(gallery)), q_label, g_label)
                results.setdefault((name, (rotation, shift)), []).append([float(r.cmc[0]), r.mAP])
    return {key: torch.tensor(rows, dtype=torch.float64) for key, rows in results.items()}
