r"""Training on several processes with PyTorch's own engine: setup from ``torchrun``, gathers, synced BN.

``torchrun --nproc_per_node=N -m reidlab.baseline ...`` starts :math:`N` processes and tells each
its ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` (and where to meet, ``MASTER_ADDR``/``PORT``) in
the environment; :func:`setup` joins them into one process group: NCCL on GPUs (one GPU per process,
``cuda:LOCAL_RANK``), gloo on CPUs. The model is wrapped in ``DistributedDataParallel`` (DDP), which
averages the gradients of every parameter over the processes after each backward pass.

**The loss of the global batch, on every process.** Each process computes the network on its own
share of the global batch (:mod:`reidlab.baseline.sampling`), then :func:`gather` concatenates
every process's outputs, in rank order, into the outputs of the whole global batch, and each
process computes the *same* loss :math:`L` on them (batch-hard mining sees all :math:`P` people, as
on one process). The gradient flows back through the gather: its backward sums the :math:`N`
processes' gradients of their copies of :math:`L` (an all-reduce), so process :math:`r` gets
:math:`N\,\partial L / \partial \theta` through its own images, and DDP's average over processes
turns that into :math:`\sum_r \partial L / \partial \theta|_r = \partial L / \partial \theta`:
one process's update on the global batch.

**Batch norm.** On one process batch norm normalises by the statistics of the whole batch; under
DDP each process would see only its :math:`1/N` of it. By default (``sync=True`` in
:func:`sync_batchnorm`) every batch norm layer computes its mean and variance over the global
batch: PyTorch's ``nn.SyncBatchNorm`` on GPUs, and :class:`GlooSyncBatchNorm` (below) on CPUs, where
PyTorch's refuses to run ("SyncBatchNorm expected input tensor to be on GPU"). Both keep the state
dict keys of ``nn.BatchNorm``, so a checkpoint saved under DDP loads into a one-process model.

What differs from one process is only the order of additions: sums over the batch are split into
per-process sums, added up by the all-reduce. Float32 rounds each differently (about
:math:`10^{-7}` relative per operation), and training amplifies it step by step as any rounding.

Left out: several processes per GPU, model parallelism, and mixed precision.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


@dataclass(frozen=True)
class Dist:
    """Where this process runs: its ``rank`` among ``world_size`` processes, its ``device``."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def main(self) -> bool:
        """True on the process that writes checkpoints, metrics and the progress bar (rank 0)."""
        return self.rank == 0


def setup(device: str = "cpu") -> Dist:
    """Join the process group that ``torchrun`` describes in the environment (``WORLD_SIZE`` > 1):
    NCCL for ``device="cuda"``, gloo for ``"cpu"``; without ``torchrun``, one process."""
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but torch sees no CUDA GPU (use --device cpu)")
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "cuda":
        torch.cuda.set_device(local_rank)
    where = torch.device("cuda", local_rank) if device == "cuda" else torch.device("cpu")
    if world_size == 1:
        return Dist(device=where)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device == "cuda" else "gloo")  # reads RANK, MASTER_ADDR, ...
    return Dist(dist.get_rank(), dist.get_world_size(), local_rank, where)


def teardown() -> None:
    """Leave the process group, if there is one."""
    if dist.is_initialized():
        dist.destroy_process_group()


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


class _Gather(torch.autograd.Function):
    """All-gather whose backward sums every process's gradient and keeps this process's rows."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.rank, ctx.rows = dist.get_rank(), len(x)
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)  # (N * B_local, ...): rank 0's rows first

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)  # the sum over processes of d(their L)/d(all rows)
        return grad[ctx.rank * ctx.rows : (ctx.rank + 1) * ctx.rows]


def gather(x: torch.Tensor) -> torch.Tensor:
    """Every process's ``x`` ``(B_local, ...)``, concatenated in rank order (the same size on every
    process), differentiable as the module docstring says; ``x`` itself on one process."""
    return _Gather.apply(x) if _distributed() else x


@torch.no_grad()
def gather_rows(x: torch.Tensor) -> torch.Tensor:
    """Every process's rows of ``x``, in rank order, when processes hold different numbers of rows
    (evaluation shards); no gradient. ``x`` itself on one process."""
    if not _distributed():
        return x
    count = torch.tensor([len(x)], device=x.device)
    counts = [torch.empty_like(count) for _ in range(dist.get_world_size())]
    dist.all_gather(counts, count)
    most = int(max(c.item() for c in counts))
    padded = torch.zeros((most, *x.shape[1:]), dtype=x.dtype, device=x.device)
    padded[: len(x)] = x
    parts = [torch.empty_like(padded) for _ in counts]
    dist.all_gather(parts, padded)
    return torch.cat([part[: int(c.item())] for part, c in zip(parts, counts, strict=True)])


class _AllReduceSum(torch.autograd.Function):
    """Sum over processes; its gradient is the sum over processes of the gradients."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        dist.all_reduce(x)
        return x

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad


class GlooSyncBatchNorm(_BatchNorm):
    r"""Batch norm over the global batch on CPUs (gloo), where ``nn.SyncBatchNorm`` does not run.

    In training, with :math:`n` values per channel over all processes (the all-reduced count),

    .. math::

        \mu = \frac1n \sum x, \qquad \sigma^2 = \frac1n \sum (x - \mu)^2, \qquad
        y = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta,

    each sum all-reduced (differentiably) over the processes; the running statistics move by the
    momentum towards :math:`\mu` and the unbiased :math:`\sigma^2 n / (n - 1)`, as
    ``nn.BatchNorm`` does. In eval mode, or on one process, it is ``nn.BatchNorm``."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input (N, C, ...), got {input.dim()}-D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and _distributed()):
            return super().forward(x)
        self._check_input_dim(x)
        dims = [0, *range(2, x.ndim)]  # every dimension but the channels
        shape = [1, -1] + [1] * (x.ndim - 2)  # (1, C, 1, ...): broadcasts over x
        local = torch.cat([x.sum(dims), x.new_tensor([x.numel() / x.shape[1]])])  # (C + 1,): sums, count
        total = _AllReduceSum.apply(local)
        n = total[-1].detach()
        mean = total[:-1] / n  # (C,)
        centred = x - mean.view(shape)
        var = _AllReduceSum.apply(centred.pow(2).sum(dims)) / n  # (C,), biased
        y = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = 1 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean.mul_(1 - m).add_(m * mean)
                self.running_var.mul_(1 - m).add_(m * var * n / (n - 1))
        return y


def _to_gloo_sync(module: nn.Module) -> nn.Module:
    if isinstance(module, _BatchNorm) and not isinstance(module, GlooSyncBatchNorm):
        new = GlooSyncBatchNorm(
            module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats
        )
        if module.affine:
            new.weight, new.bias = module.weight, module.bias  # the same Parameters (requires_grad kept)
        if module.track_running_stats:
            new.running_mean, new.running_var = module.running_mean, module.running_var
            new.num_batches_tracked = module.num_batches_tracked
        new.train(module.training)
        return new
    for name, child in module.named_children():
        setattr(module, name, _to_gloo_sync(child))
    return module


def sync_batchnorm(module: nn.Module, device: torch.device) -> nn.Module:
    """Every batch norm layer of ``module`` made to use global-batch statistics: PyTorch's
    ``nn.SyncBatchNorm`` on CUDA, :class:`GlooSyncBatchNorm` on CPU. Parameters, buffers and state
    dict keys are kept."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    return _to_gloo_sync(module)
