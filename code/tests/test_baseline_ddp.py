"""``torchrun --nproc_per_node=2 -m reidlab.baseline`` on CPU (gloo) against one process.

Two processes share each global batch of P = 4 people x K = 4 images (2 people each) and compute
the loss of the whole batch from gathered outputs, with batch norm over the global batch
(:class:`reidlab.baseline.distributed.GlooSyncBatchNorm`). The one-process run does the same
arithmetic in another order: per-process sums of the batch-norm statistics and of the gradients
are added by an all-reduce, and convolutions run on half batches. In float32 that changes the last
bits (about 1e-7 relative per operation); over these 6 steps the loss curves were measured to
agree to 1.3e-7 relative (each part to 3e-7). The tolerance, 1e-5 relative on the loss and 1e-4
on its parts, leaves room for other CPUs; what it must catch is far larger: batch norm *per
process* (what DDP does without synchronised batch norm) moves the very first loss by 6 %
(measured; the last test below), and steps twice too long (as from a gradient twice too large)
move the second by 1 % (measured with the learning rate doubled).

The runs train with SGD (learning rate 0.01, momentum 0.9; the centre loss on), whose steps scale
with the gradient: Adam's do not, so under Adam a gradient wrong by a constant factor (a missing
average over the processes, say) would leave the loss curve unchanged and this test blind to it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from reidlab.baseline.__main__ import config_from, main, parser
from reidlab.baseline.augment import Augment
from reidlab.baseline.data import TrainImages
from reidlab.baseline.losses import LossConfig, baseline_loss
from reidlab.baseline.model import BaselineOutput
from reidlab.baseline.sampling import epoch_generator, epoch_plan
from reidlab.baseline.training import prepare
from reidlab.datasets import write_market1501
from reidlab.worlds.pedestrians import toy_reid

WORLD = {"n_train_ids": 16, "n_test_ids": 8, "n_cameras": 3, "per_camera": 3, "seed": 0}
TRAIN = ["--backbone", "toy", "--p", "4", "--k", "4", "--steps-per-epoch", "3", "--no-warmup"]
TRAIN += ["--optimizer", "sgd", "--lr", "0.01"]
TRAIN += ["--center-loss", "--quiet", "--rerank"]
LOSS_RTOL, PART_RTOL = 1e-5, 1e-4


def _launcher() -> list[str]:
    torchrun = Path(sys.executable).with_name("torchrun")
    return [str(torchrun)] if torchrun.is_file() else [sys.executable, "-m", "torch.distributed.run"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The data, a 2-epoch run under torchrun with 2 processes, and the same run on one process."""
    root = tmp_path_factory.mktemp("ddp")
    write_market1501(toy_reid(**WORLD), root / "data")
    args = ["--data", str(root / "data"), "--epochs", "2", *TRAIN]
    cmd = [*_launcher(), "--standalone", "--nproc_per_node=2", "-m", "reidlab.baseline"]
    two = subprocess.Popen(
        [*cmd, *args, "--out", str(root / "two")], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert main([*args, "--out", str(root / "one")]) == 0  # meanwhile, here
    _, err = two.communicate(timeout=600)
    assert two.returncode == 0, err.decode()[-3000:]
    return {"data": root / "data", "one": root / "one", "two": root / "two", "args": args}


def _history(folder: Path) -> list[dict[str, float]]:
    return json.loads((folder / "history.json").read_text())


def test_two_processes_follow_the_one_process_loss_curve(runs: dict) -> None:
    one, two = _history(runs["one"]), _history(runs["two"])
    assert [(h["epoch"], h["step"]) for h in two] == [(h["epoch"], h["step"]) for h in one] and len(one) == 6
    for a, b in zip(one, two, strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=LOSS_RTOL)
        for part in ("id", "triplet", "center"):
            assert b[part] == pytest.approx(a[part], rel=PART_RTOL), part
        assert b["lr"] == a["lr"]
    metrics = json.loads((runs["two"] / "metrics.json").read_text())
    assert metrics["world_size"] == 2
    reference = json.loads((runs["one"] / "metrics.json").read_text())
    for kind in ("plain", "reranked"):
        assert metrics[kind] == pytest.approx(reference[kind], abs=1e-9)


def test_a_ddp_checkpoint_loads_and_continues_in_one_process(runs: dict, tmp_path: Path) -> None:
    ddp = tmp_path / "from-ddp"
    shutil.copytree(runs["two"], ddp)
    state = torch.load(ddp / "checkpoint.pt", weights_only=True)
    assert state["world_size"] == 2 and not any(k.startswith("module.") for k in state["model"])
    single = torch.load(runs["one"] / "checkpoint.pt", weights_only=True)
    for k, v in state["model"].items():  # measured: at most 1.2e-7 apart
        torch.testing.assert_close(v, single["model"][k], rtol=1e-5, atol=1e-6, msg=k)
    # evaluated in one process: the scores the two processes wrote
    assert main([*runs["args"], "--out", str(ddp), "--resume"]) == 0
    scored = json.loads((ddp / "metrics.json").read_text())
    assert scored["world_size"] == 1
    written = json.loads((runs["two"] / "metrics.json").read_text())
    for kind in ("plain", "reranked"):
        assert scored[kind] == pytest.approx(written[kind], abs=1e-9)
    # and one more epoch in one process goes on along the same curve
    args = list(runs["args"])
    args[args.index("--epochs") + 1] = "3"
    assert main([*args, "--out", str(ddp), "--resume"]) == 0
    mine = tmp_path / "from-one"
    shutil.copytree(runs["one"], mine)
    assert main([*args, "--out", str(mine), "--resume"]) == 0
    for a, b in zip(_history(mine)[6:], _history(ddp)[6:], strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=LOSS_RTOL)


def test_per_process_batchnorm_is_far_outside_the_tolerance(runs: dict) -> None:
    """The tolerance could fail: batch norm over each half of the first batch, as two processes
    without synchronised batch norm compute it, gives a first loss far from the logged one."""
    config = config_from(parser().parse_args([*runs["args"], "--out", "unused"]))
    run = prepare(replace(config, out=None))
    indices, seeds = epoch_plan(run.labels, p=4, k=4, steps=3, g=epoch_generator(config.seed, 0))
    images = TrainImages(run.train, Augment(flip=config.flip, erasing=config.erasing))
    x = torch.stack(
        [
            images[(i, s)]
            for i, s in zip(indices[0].flatten().tolist(), seeds[0].flatten().tolist(), strict=True)
        ]
    )
    labels = run.labels[indices[0].flatten()]
    loss_config = LossConfig(center_weight=config.center_weight)
    run.model.train()
    whole = baseline_loss(run.model(x), labels, loss_config, run.centers)["loss"].item()
    halves = [run.model(half) for half in x.split(8)]  # BN statistics of 8 images each
    split = BaselineOutput(*(torch.cat(parts) for parts in zip(*halves, strict=True)))
    per_process = baseline_loss(split, labels, loss_config, run.centers)["loss"].item()
    logged = _history(runs["two"])[0]["loss"]
    assert logged == pytest.approx(whole, rel=LOSS_RTOL)  # the synced run computes the global batch
    assert abs(per_process - whole) > 100 * LOSS_RTOL * abs(whole)
