"""A baseline run from start to metrics: read, build, train with checkpoints, evaluate, write JSON.

:func:`prepare` reads the data and checks every setting (all errors about bad input happen here,
before any training); :func:`train` runs the epochs through :func:`reidlab.baseline.loop.fit` and
scores the result. :func:`run` does both, on one process or under ``torchrun`` (one call per
process; :mod:`reidlab.baseline.distributed` says how the work is split).

Initial weights are drawn from ``torch.Generator().manual_seed(seed)`` (backbone, then classifier,
then centres), every epoch's batches and augmentation from
:func:`~reidlab.baseline.sampling.epoch_generator` ``(seed, epoch)``. What ``out`` receives (main
process only): ``config.json`` at the start; ``checkpoint.pt`` and ``history.json`` (every step's
losses and learning rate) after every epoch; ``metrics.json`` at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from reidlab.backbones import build_backbone
from reidlab.baseline import checkpoint
from reidlab.baseline.augment import Augment
from reidlab.baseline.config import Config, check_resumable
from reidlab.baseline.data import Images, TrainImages, read_dataset
from reidlab.baseline.distributed import Dist, gather, setup, sync_batchnorm, teardown
from reidlab.baseline.evaluate import extract, score_features
from reidlab.baseline.loop import Log, fit
from reidlab.baseline.losses import CenterLoss, LossConfig, baseline_loss, center_step
from reidlab.baseline.model import BaselineNet, BaselineOutput
from reidlab.baseline.sampling import check_split, epoch_plan, share, steps_per_epoch
from reidlab.baseline.schedule import scheduler


@dataclass
class Prepared:
    """A run ready to train: its data, network, optimisers and where it left off."""

    config: Config
    where: Dist
    train: Images
    query: Images
    gallery: Images
    labels: torch.Tensor  # (N_train,): training identities 0..classes-1
    model: BaselineNet
    centers: CenterLoss | None
    optimizer: torch.optim.Optimizer
    center_optimizer: torch.optim.Optimizer | None
    scheduler: torch.optim.lr_scheduler.LRScheduler
    start_epoch: int
    history: list[Log]
    out: Path | None


@dataclass(frozen=True)
class Result:
    """What a run returns: its ``metrics`` (``{"plain": {...}, "reranked": {...}}``; empty on every
    process but the main one), every step's log, and the trained network (on the run's device)."""

    metrics: dict[str, dict[str, float]]
    history: list[Log]
    model: BaselineNet


def prepare(config: Config, splits: Any = None, where: Dist | None = None) -> Prepared:
    """Check ``config``, read the data (``splits``: anything with ``train``, ``query`` and
    ``gallery``, e.g. a toy world in memory; default: ``config.data`` read as ``config.dataset``),
    build the network and optimisers, and load the checkpoint if ``config.resume``."""
    config.check()
    where = where or Dist()
    check_split(config.p, where.world_size)
    if splits is None:
        if config.data is None:
            raise ValueError("data must name the data set's folder (or pass splits)")
        splits = read_dataset(config.dataset, config.data, verify=config.verify)
    size = config.image_size()
    train, query, gallery = (Images(s, size) for s in (splits.train, splits.query, splits.gallery))
    _, labels = torch.unique(train.pids, return_inverse=True)  # (N,): identities 0..classes-1
    n_classes = int(labels.max()) + 1
    if config.p > n_classes:
        raise ValueError(f"p ({config.p}) is more than the {n_classes} training identities")

    out, state = (Path(config.out) if config.out is not None else None), None
    if out is not None:
        if config.resume:
            state = checkpoint.load(out / checkpoint.NAME)
            check_resumable(state["config"], config)
            if state["epoch"] > config.epochs:
                raise ValueError(
                    f"the checkpoint has {state['epoch']} epochs done, more than epochs ({config.epochs})"
                )
        elif (out / checkpoint.NAME).exists():
            raise FileExistsError(
                f"{out / checkpoint.NAME} exists: pass --resume to continue that run, or another --out"
            )

    tricks = config.tricks
    g = torch.Generator().manual_seed(config.seed)  # initial weights
    backbone = build_backbone(
        config.backbone,
        size=size,
        last_stride=1 if tricks.last_stride_1 else 2,
        weights=config.weights,
        generator=g,
    )
    model = BaselineNet(backbone, n_classes, bnneck=tricks.bnneck, generator=g)
    centers = CenterLoss(n_classes, model.dim, generator=g) if tricks.center_loss else None
    if where.world_size > 1 and config.sync_bn:
        model = sync_batchnorm(model, where.device)
    model.to(where.device)
    trainable = [p for p in model.parameters() if p.requires_grad]  # not the BNNeck's frozen shift
    if config.optimizer == "adam":
        optimizer = torch.optim.Adam(trainable, lr=config.lr, weight_decay=config.weight_decay)
    else:
        optimizer = torch.optim.SGD(
            trainable, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    center_optimizer = None
    if centers is not None:
        centers.to(where.device)
        center_optimizer = torch.optim.SGD(centers.parameters(), lr=config.center_lr)
    warmup = config.warmup_epochs if tricks.warmup else 0
    sched = scheduler(optimizer, warmup_epochs=warmup, milestones=config.milestones, gamma=config.gamma)

    start, history = 0, []
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        if centers is not None:
            centers.load_state_dict(state["centers"])
            center_optimizer.load_state_dict(state["center_optimizer"])
        checkpoint.set_rng_states(state["rng"])
        start, history = state["epoch"], list(state["history"])
    if out is not None and where.main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(config.to_dict(), indent=1) + "\n")
    return Prepared(
        config, where, train, query, gallery, labels, model, centers, optimizer, center_optimizer, sched,
        start, history, out,
    )  # fmt: skip


def _state(run: Prepared, epoch: int) -> dict[str, Any]:
    state = {
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict(),
        "epoch": epoch,
        "history": run.history,
        "config": run.config.to_dict(),
        "world_size": run.where.world_size,
        "rng": checkpoint.rng_states(),
    }
    if run.centers is not None:
        state["centers"] = run.centers.state_dict()
        state["center_optimizer"] = run.center_optimizer.state_dict()
    return state


def train(run: Prepared) -> Result:
    """Train the remaining epochs (checkpoint after each), then evaluate; write the JSON files."""
    config, where, tricks = run.config, run.where, run.config.tricks
    net: nn.Module = run.model
    if where.world_size > 1:
        net = DistributedDataParallel(
            run.model, device_ids=[where.local_rank] if where.device.type == "cuda" else None
        )
    loss_config = LossConfig(
        label_smoothing=config.label_smoothing if tricks.label_smoothing else 0.0,
        margin=config.margin,
        center_weight=config.center_weight if tricks.center_loss else 0.0,
    )
    augment = Augment(flip=config.flip, erasing=config.erasing if tricks.random_erasing else 0.0)
    images = TrainImages(run.train, augment)
    steps = config.steps_per_epoch or steps_per_epoch(len(run.train), config.p, config.k)

    def batches(epoch: int, g: torch.Generator):
        indices, seeds = epoch_plan(run.labels, p=config.p, k=config.k, steps=steps, g=g)  # (steps, P, K)
        r, n = where.rank, where.world_size
        mine = [  # this process's (image, augmentation seed) pairs, step by step
            list(zip(share(i, r, n).tolist(), share(s, r, n).tolist(), strict=True))
            for i, s in zip(indices, seeds, strict=True)
        ]
        loader = DataLoader(images, batch_sampler=mine, num_workers=config.workers)
        for batch, index in zip(loader, indices, strict=True):
            yield batch, run.labels[index.reshape(-1)]  # local images, the global batch's labels (P K,)

    def step(batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        images_local, labels = batch
        net.train()
        out = net(images_local.to(where.device))
        full = BaselineOutput(*(gather(t) for t in out))  # the global batch's outputs, rank by rank
        parts = baseline_loss(full, labels.to(where.device), loss_config, run.centers)
        run.optimizer.zero_grad(set_to_none=True)
        if run.center_optimizer is not None:
            run.center_optimizer.zero_grad(set_to_none=True)
        parts["loss"].backward()
        run.optimizer.step()
        if run.center_optimizer is not None:
            center_step(run.centers, run.center_optimizer, loss_config.center_weight)
        return {name: float(value.detach()) for name, value in parts.items()} | {
            "lr": run.optimizer.param_groups[0]["lr"]
        }

    def on_epoch_end(epoch: int, logs: list[Log]) -> None:
        run.scheduler.step()
        run.history.extend(logs)
        if run.out is not None and where.main:
            checkpoint.save(run.out / checkpoint.NAME, _state(run, epoch + 1))
            (run.out / "history.json").write_text(json.dumps(run.history) + "\n")

    fit(
        step,
        batches,
        epochs=config.epochs,
        seed=config.seed,
        start_epoch=run.start_epoch,
        on_epoch_end=on_epoch_end,
        progress=config.progress and where.main,
    )
    kw = {"feature": config.feature, "batch_size": config.eval_batch, "where": where}
    q = extract(run.model, run.query, augment, **kw)  # every process takes part in the gather
    g = extract(run.model, run.gallery, augment, **kw)
    metrics = {}  # scored on the main process only (re-ranking needs (Q + G)^2 memory)
    if where.main:
        metrics = score_features(q, g, run.query, run.gallery, metric=config.metric, rerank=config.rerank)
    if run.out is not None and where.main:
        record = {"epochs": config.epochs, "world_size": where.world_size} | metrics
        (run.out / "metrics.json").write_text(json.dumps(record, indent=1) + "\n")
    return Result(metrics, run.history, run.model)


def run(config: Config, splits: Any = None) -> Result:
    """:func:`prepare` then :func:`train`, on the processes ``torchrun`` started (or on this one)."""
    where = setup(config.device)
    try:
        return train(prepare(config, splits, where))
    finally:
        teardown()
