r"""Attention: score every item, turn the scores into weights with a softmax, take the weighted
sum (chapter *Attention*; used by :mod:`reidlab.experiments.attention`).

Given a **query** :math:`q` (what we are looking for) and items with **keys** :math:`k_i` (what
each offers to be matched against) and **values** :math:`v_i` (what each contributes),

.. math::

    e_i = \mathrm{score}(q, k_i), \qquad
    \alpha_i = \frac{e^{e_i}}{\sum_j e^{e_j}}, \qquad
    \mathrm{context} = \sum_i \alpha_i v_i .

Only the score differs between the two classic forms:

* **additive** (Bahdanau, Cho & Bengio, 2015): :math:`e_i = w^\top \tanh(W q + U k_i)`, a small
  one-hidden-layer network of query and key (:class:`AdditiveAttention`);
* **dot-product** (scaled, as in the Transformer): :math:`e_i = q \cdot k_i / \sqrt{d}`
  (:func:`dot_product_attention`).

A **mask** marks the items that may be attended to (``True``); the others get weight 0
(their score is set to :math:`-\infty` before the softmax).
"""

from __future__ import annotations

import torch
from torch import nn

from reidlab._checks import check_float_tensor


def _check_mask(mask: torch.Tensor | None, shape: tuple[int, ...]) -> torch.Tensor | None:
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise TypeError("mask must be a boolean tensor (True: may be attended to)")
    try:
        full = mask.expand(shape)
    except RuntimeError:
        raise ValueError(
            f"mask of shape {tuple(mask.shape)} does not broadcast to the scores {shape}"
        ) from None
    if not full.any(dim=-1).all():
        raise ValueError("mask leaves a query with nothing to attend to")
    return full


def attend(
    scores: torch.Tensor, values: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax over the last axis of ``scores`` ``(..., K)`` (masked), then the weighted sum of
    ``values`` ``(..., K, Dv)``: returns the context ``(..., Dv)`` and the weights ``(..., K)``."""
    mask = _check_mask(mask, tuple(scores.shape))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return (weights.unsqueeze(-2) @ values).squeeze(-2), weights


def dot_product_attention(
    query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Scaled dot-product attention, :math:`e_{qi} = q \cdot k_i / \sqrt{d}`: queries
    ``(B, Q, D)``, keys ``(B, K, D)``, values ``(B, K, Dv)``, ``mask`` broadcastable to
    ``(B, Q, K)``. Returns the contexts ``(B, Q, Dv)`` and weights ``(B, Q, K)``; the contexts
    equal ``torch.nn.functional.scaled_dot_product_attention`` with the same boolean mask."""
    query = check_float_tensor(query, "query", ndim=3)
    keys = check_float_tensor(keys, "keys", ndim=3)
    values = check_float_tensor(values, "values", ndim=3)
    if query.shape[-1] != keys.shape[-1]:
        raise ValueError(
            f"query and keys must share their last dimension, got {query.shape[-1]} and {keys.shape[-1]}"
        )
    if keys.shape[:2] != values.shape[:2] or query.shape[0] != keys.shape[0]:
        raise ValueError(
            f"need one value per key and one batch size: query {tuple(query.shape)}, "
            f"keys {tuple(keys.shape)}, values {tuple(values.shape)}"
        )
    scores = query @ keys.transpose(1, 2) / query.shape[-1] ** 0.5
    return attend(scores, values[:, None], mask)  # values (B, 1, K, Dv): shared by every query


class AdditiveAttention(nn.Module):
    r"""Additive attention (Bahdanau et al., 2015): :math:`e_i = w^\top \tanh(W q + U k_i)`.

    ``forward(query (B, Dq), keys (B, K, Dk), values (B, K, Dv), mask (B, K))`` returns the
    context ``(B, Dv)`` and the weights ``(B, K)``. ``U k_i`` does not depend on the query, so
    :meth:`project_keys` computes it once for all the steps of a decoder."""

    def __init__(self, query_dim: int, key_dim: int, hidden: int = 64) -> None:
        super().__init__()
        self.query_proj = nn.Linear(query_dim, hidden, bias=False)
        self.key_proj = nn.Linear(key_dim, hidden)
        self.score = nn.Linear(hidden, 1, bias=False)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        return self.key_proj(keys)

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        mask: torch.Tensor | None = None,
        projected_keys: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if query.ndim != 2 or keys.ndim != 3 or values.ndim != 3 or keys.shape[:2] != values.shape[:2]:
            raise ValueError(
                f"expected query (B, Dq), keys (B, K, Dk), values (B, K, Dv); got {tuple(query.shape)}, "
                f"{tuple(keys.shape)}, {tuple(values.shape)}"
            )
        k = self.project_keys(keys) if projected_keys is None else projected_keys
        scores = self.score(torch.tanh(self.query_proj(query)[:, None] + k)).squeeze(-1)  # (B, K)
        return attend(scores, values, mask)
