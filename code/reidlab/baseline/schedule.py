r"""The strong baseline's learning-rate schedule: a linear warm-up, then steps down.

Luo et al. 2019 (*Bag of Tricks*), for epoch :math:`t = 1, 2, \dots` (Adam, base rate
:math:`\eta = 3.5 \times 10^{-4}`):

.. math::

    \mathrm{lr}(t) = \begin{cases}
        \eta \cdot t / 10 & t \le 10 \quad\text{(warm-up: } 3.5\times10^{-5} \to 3.5\times10^{-4})\\
        \eta & 10 < t \le 40 \\
        0.1\,\eta & 40 < t \le 70 \\
        0.01\,\eta & 70 < t \le 120
    \end{cases}

A pretrained backbone meets a new classifier whose first gradients are large and random; a small
rate for the first epochs keeps them from wrecking the pretrained weights. Without warm-up (the
standard baseline) the rate starts at :math:`\eta`, with the same steps. The authors' code starts
the warm-up lower (:math:`0.01\,\eta` at the first epoch, ``WARMUP_FACTOR: 0.01``); here it is the
paper's formula. The rate is set once per epoch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def lr_factor(
    epoch: int,
    *,
    warmup_epochs: int = 10,
    milestones: Sequence[int] = (40, 70),
    gamma: float = 0.1,
) -> float:
    r"""The multiplier of the base rate in epoch ``epoch`` (0-based, so :math:`t` = ``epoch + 1``):
    :math:`t / T_w` while :math:`t \le T_w` (``warmup_epochs``; 0: no warm-up), times
    :math:`\gamma` for every milestone :math:`M` with :math:`t > M`."""
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
    check_schedule(warmup_epochs, milestones, gamma)
    t = epoch + 1
    warm = t / warmup_epochs if t <= warmup_epochs else 1.0
    return warm * gamma ** sum(t > m for m in milestones)


def check_schedule(warmup_epochs: int, milestones: Sequence[int], gamma: float) -> None:
    """``ValueError`` naming the argument for a schedule that makes no sense."""
    if isinstance(warmup_epochs, bool) or not isinstance(warmup_epochs, int) or warmup_epochs < 0:
        raise ValueError(f"warmup_epochs must be a non-negative int, got {warmup_epochs!r}")
    if any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in milestones) or list(
        milestones
    ) != sorted(set(milestones)):
        raise ValueError(f"milestones must be increasing positive ints, got {list(milestones)}")
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma must lie in (0, 1], got {gamma}")


def scheduler(
    optimizer: torch.optim.Optimizer,
    *,
    warmup_epochs: int = 10,
    milestones: Sequence[int] = (40, 70),
    gamma: float = 0.1,
) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` that sets every group's rate to its base rate times :func:`lr_factor`; call
    ``.step()`` after each epoch (its ``state_dict`` goes into a checkpoint)."""
    check_schedule(warmup_epochs, milestones, gamma)
    milestones = tuple(milestones)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda e: lr_factor(e, warmup_epochs=warmup_epochs, milestones=milestones, gamma=gamma),
    )
