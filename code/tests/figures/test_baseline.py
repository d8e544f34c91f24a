"""Tests of the figures and measurements of the chapter *From the toy world to Market-1501*."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest
import torch

from reidlab.datasets import read_market1501, write_market1501
from reidlab.figures.baseline import (
    chance_rank1,
    files_on_disk,
    ivf_cells,
    search_costs,
    search_scaling,
    trick_ladder,
)
from reidlab.worlds.pedestrians import toy_reid


def brute_force_chance(qp, qc, gp, gc) -> float:
    """Every ordering of the gallery, and the share whose first kept image is a match."""
    scores = []
    for i in range(len(qp)):
        kept = [j for j in range(len(gp)) if not (gp[j] == qp[i] and gc[j] == qc[i])]
        if not any(gp[j] == qp[i] for j in kept):
            continue
        orders = list(itertools.permutations(kept))
        scores.append(sum(gp[o[0]] == qp[i] for o in orders) / len(orders))
    return sum(scores) / len(scores)


def test_chance_rank1_matches_every_ordering() -> None:
    qp, qc = torch.tensor([1, 2, 3]), torch.tensor([0, 1, 0])
    gp, gc = torch.tensor([1, 1, 2, 3, 0, 2]), torch.tensor([0, 1, 0, 0, 1, 1])
    # query 3 has only a same-camera image: it has no match and does not count
    assert chance_rank1(qp, qc, gp, gc) == pytest.approx(brute_force_chance(qp, qc, gp, gc))
    assert chance_rank1(qp, qc, gp, gc) == pytest.approx((1 / 5 + 1 / 5) / 2)


def test_chance_rank1_rejects_bad_input() -> None:
    t = torch.tensor([1, 2])
    with pytest.raises(ValueError, match="query_camids"):
        chance_rank1(t, torch.tensor([0]), t, t)
    with pytest.raises(ValueError, match="gallery_pids"):
        chance_rank1(t, t, torch.tensor([]), t)
    with pytest.raises(ValueError, match="no query has a match"):
        chance_rank1(torch.tensor([1]), torch.tensor([0]), torch.tensor([1, 2]), torch.tensor([0, 1]))


def test_files_on_disk_draws_every_file(tmp_path) -> None:
    world = toy_reid(n_train_ids=4, n_test_ids=3, n_cameras=2, per_camera=2, seed=0)
    splits = read_market1501(write_market1501(world, tmp_path).parent)
    fig = files_on_disk({"train": splits.train.paths[:3], "query": splits.query.paths[:2]})
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 5 and titles[0].replace("\n", "") == splits.train.paths[0].stem
    plt.close(fig)
    with pytest.raises(ValueError, match="rows"):
        files_on_disk({"train": []})


def test_trick_ladder_checks_its_rows() -> None:
    toy = {"rank1": torch.rand(2, 5), "mAP": torch.rand(2, 5)}
    paper = {"a": (90.0, 80.0), "b": (91.0, 81.0)}
    plt.close(trick_ladder(["a", "b"], toy, paper))
    with pytest.raises(ValueError, match="one row per entry"):
        trick_ladder(["a"], toy, paper)
    with pytest.raises(ValueError, match="no numbers"):
        trick_ladder(["a", "c"], toy, paper)


def test_search_costs_exact_is_its_own_reference() -> None:
    costs = search_costs([200, 400], n_queries=20, dim=16)
    methods = {c.method for c in costs}
    assert methods == {"exact (book)", "faiss flat", "faiss IVF", "faiss HNSW", "faiss binary"}
    for c in costs:
        if c.method in ("exact (book)", "faiss flat"):
            assert c.recall_at_1 == 1.0 and c.distances_per_query == c.size
        assert 0 <= c.recall_at_1 <= 1 and c.seconds_per_query >= 0
    ivf = [c for c in costs if c.method == "faiss IVF"]
    assert ivf[-1].size == 400 and ivf[-1].distances_per_query < 400  # 8 of 10 cells visited
    assert ivf_cells(400) == 10 and ivf_cells(10_000) == 100
    plt.close(search_scaling(costs))


@pytest.mark.parametrize("sizes", [[], [10], [True], [100.0]])
def test_search_costs_rejects_bad_sizes(sizes) -> None:
    with pytest.raises(ValueError, match="sizes"):
        search_costs(sizes)


def test_search_scaling_needs_costs() -> None:
    with pytest.raises(ValueError, match="costs"):
        search_scaling([])
