"""reidlab.baseline: P x K plans and their split over processes, the training loop, and the
distributed pieces on one process (the two-process run is ``test_baseline_ddp.py``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from reidlab.backbones import toy_backbone
from reidlab.baseline import checkpoint
from reidlab.baseline.distributed import GlooSyncBatchNorm, gather, gather_rows, sync_batchnorm
from reidlab.baseline.loop import fit
from reidlab.baseline.model import BaselineNet
from reidlab.baseline.sampling import epoch_generator, epoch_plan, share, steps_per_epoch

# person 3 has only two images: its rows are topped up with repeats
PIDS = torch.tensor([0] * 5 + [1] * 4 + [2] * 6 + [3] * 2 + [4] * 4 + [5] * 5)


def test_plan_is_p_people_by_k_images_with_top_ups() -> None:
    indices, seeds = epoch_plan(PIDS, p=4, k=4, steps=30, g=torch.Generator().manual_seed(0))
    assert indices.shape == seeds.shape == (30, 4, 4)
    people = PIDS[indices]  # (steps, P, K)
    assert (people == people[..., :1]).all()  # a row is one person
    assert all(len(set(step[:, 0].tolist())) == 4 for step in people)  # P different people
    for row in indices.reshape(-1, 4):
        if PIDS[row[0]] == 3:  # fewer than K images: both, then repeats of them
            assert set(row.tolist()) == {15, 16}
        else:
            assert len(set(row.tolist())) == 4  # no repeats when a person has K or more
    assert (PIDS[indices[:, :, 0]] == 3).any()  # the short person was drawn
    assert len(set(seeds.flatten().tolist())) == seeds.numel()


def test_plan_depends_only_on_seed_and_epoch() -> None:
    a = epoch_plan(PIDS, p=4, k=4, steps=5, g=epoch_generator(7, 3))
    b = epoch_plan(PIDS, p=4, k=4, steps=5, g=epoch_generator(7, 3))
    c = epoch_plan(PIDS, p=4, k=4, steps=5, g=epoch_generator(7, 4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    with pytest.raises(ValueError, match="seed must be"):
        epoch_generator(-1, 0)


@pytest.mark.parametrize("world_size", [1, 2, 4])
def test_shares_partition_the_global_batch_person_by_person(world_size: int) -> None:
    batch = torch.arange(32).reshape(8, 4)  # (P, K)
    parts = [share(batch, r, world_size) for r in range(world_size)]
    assert torch.equal(torch.cat(parts), batch.reshape(-1))
    assert all(len(part) == 32 // world_size for part in parts)
    assert all(len(set((part // 4).tolist())) == 8 // world_size for part in parts)  # whole people


def test_bad_plans_are_errors() -> None:
    with pytest.raises(ValueError, match=r"p \(6 people per batch\) must be a multiple"):
        share(torch.zeros(6, 4), 0, 4)
    with pytest.raises(ValueError, match="need 2 <= p"):
        epoch_plan(PIDS, p=7, k=4, steps=1, g=torch.Generator())
    with pytest.raises(ValueError, match="steps must be"):
        epoch_plan(PIDS, p=2, k=4, steps=0, g=torch.Generator())
    with pytest.raises(TypeError, match="pids must be"):
        epoch_plan(PIDS.float(), p=2, k=4, steps=1, g=torch.Generator())
    assert steps_per_epoch(12936, 16, 4) == 202 and steps_per_epoch(10, 16, 4) == 1


# --- the loop -------------------------------------------------------------------------------


def _line_fit(epochs: int, start_epoch: int = 0, model: nn.Linear | None = None):
    """A linear fit by SGD: batches of 8 random points drawn from the epoch's generator."""
    model = model or nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.linspace(-1, 1, 40)[:, None]
    y = 3 * x - 1

    def batches(epoch: int, g: torch.Generator):
        for _ in range(5):
            idx = torch.randint(40, (8,), generator=g)
            yield x[idx], y[idx]

    def step(batch):
        opt.zero_grad()
        loss = (model(batch[0]) - batch[1]).pow(2).mean()
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    seen = []
    history = fit(
        step,
        batches,
        epochs=epochs,
        seed=0,
        start_epoch=start_epoch,
        on_step_end=lambda log: seen.append(("step", log["epoch"], log["step"])),
        on_epoch_end=lambda epoch, logs: seen.append(("epoch", epoch, len(logs))),
    )
    return model, history, seen


def test_fit_calls_its_hooks_and_learns() -> None:
    torch.manual_seed(0)
    _, history, seen = _line_fit(8)
    assert len(history) == 40 and [h["step"] for h in history[:6]] == [0, 1, 2, 3, 4, 0]
    assert seen[:6] == [("step", 0, i) for i in range(5)] + [("epoch", 0, 5)]
    assert history[-1]["loss"] < 0.01 * history[0]["loss"]


def test_fit_resumed_at_an_epoch_equals_an_uninterrupted_run() -> None:
    torch.manual_seed(0)
    whole, h_whole, _ = _line_fit(4)
    torch.manual_seed(0)
    first, h_first, _ = _line_fit(2)
    resumed, h_rest, _ = _line_fit(4, start_epoch=2, model=first)  # SGD has no state to carry
    assert [h["loss"] for h in h_first + h_rest] == [h["loss"] for h in h_whole]
    assert torch.equal(resumed.weight, whole.weight)


def test_fit_stops_on_a_non_finite_loss() -> None:
    def batches(epoch: int, g: torch.Generator):
        yield from range(3)

    with pytest.raises(FloatingPointError, match="epoch 0, step 1"):
        fit(lambda b: {"loss": float("nan") if b == 1 else 1.0}, batches, epochs=1)
    with pytest.raises(KeyError, match="'loss'"):
        fit(lambda b: {"error": 1.0}, batches, epochs=1)
    with pytest.raises(ValueError, match="past epochs"):
        fit(lambda b: {"loss": 1.0}, batches, epochs=1, start_epoch=2)


# --- distributed pieces, on one process -----------------------------------------------------


def test_one_process_gathers_are_the_identity() -> None:
    x = torch.randn(4, 3)
    assert gather(x) is x and gather_rows(x) is x


def test_sync_batchnorm_keeps_keys_parameters_and_the_frozen_shift() -> None:
    g = torch.Generator().manual_seed(0)
    model = BaselineNet(toy_backbone(32, 16, generator=g), 5, generator=g)
    keys = {k: v.shape for k, v in model.state_dict().items()}
    neck_weight = model.neck.weight
    synced = sync_batchnorm(model, torch.device("cpu"))
    assert {k: v.shape for k, v in synced.state_dict().items()} == keys
    assert isinstance(synced.neck, GlooSyncBatchNorm) and synced.neck.weight is neck_weight
    assert not synced.neck.bias.requires_grad
    assert sum(isinstance(m, GlooSyncBatchNorm) for m in synced.modules()) == 5  # 4 in the CNN + BNNeck


def test_gloo_sync_batchnorm_on_one_process_is_batchnorm() -> None:
    x = torch.randn(6, 4, 5, 3, generator=torch.Generator().manual_seed(1))
    ours, ref = GlooSyncBatchNorm(4), nn.BatchNorm2d(4)
    torch.testing.assert_close(ours(x), ref(x))
    torch.testing.assert_close(ours.running_var, ref.running_var)


def test_checkpoints_are_written_whole_and_restore_the_random_state(tmp_path) -> None:
    torch.manual_seed(5)
    state = {"model": {}, "optimizer": {}, "scheduler": {}, "epoch": 3, "history": [], "config": {}}
    state["rng"] = checkpoint.rng_states()
    expected = torch.rand(3)
    path = checkpoint.save(tmp_path / "checkpoint.pt", state)
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temporary file left
    checkpoint.set_rng_states(checkpoint.load(path)["rng"])
    assert torch.equal(torch.rand(3), expected)
    checkpoint.save(tmp_path / "partial.pt", {"model": {}})
    with pytest.raises(ValueError, match=r"partial\.pt: not a baseline checkpoint"):
        checkpoint.load(tmp_path / "partial.pt")
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume from"):
        checkpoint.load(tmp_path / "none.pt")
