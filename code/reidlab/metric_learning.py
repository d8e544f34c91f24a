r"""Training an embedding five ways, on the same budget: the experiment of the chapter *Triplet
and quadruplet losses*.

Every method trains the same :class:`~reidlab.models.EmbeddingNet` from the same start, on the
same P x K batches (:func:`reidlab.siamese.pk_sampler`), for the same number of steps; only the
loss differs:

* ``"softmax"``: identity classification, a linear layer over the 150 training identities on
  top of the (unnormalised) embedding and the softmax cross-entropy; retrieval then compares the
  embeddings' directions (the classifier is dropped);
* ``"contrastive"``: every pair of the batch (chapter *Siamese networks*);
* ``"triplet, batch all"``: every triplet of the batch, averaged over the active ones;
* ``"triplet, batch hard"``: per anchor, its hardest positive and hardest negative;
* ``"quadruplet"``: batch-hard triplets plus the second, weaker margin over the closest pair of
  two other people.

For hash codes (:mod:`reidlab.hashing`), ``quantize`` adds a quantisation term to a metric
loss, pulling every coordinate of the unit-length embedding towards :math:`\pm 1/\sqrt{D}`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from reidlab._checks import lookup
from reidlab.hashing import quantization_loss
from reidlab.losses.classification import cross_entropy
from reidlab.losses.metric import balanced_contrastive_loss, batch_distances, quadruplet_loss, triplet_loss
from reidlab.miners import all_pairs, all_triplets, batch_hard_quadruplets, batch_hard_triplets
from reidlab.models import EmbeddingNet
from reidlab.siamese import pk_sampler
from reidlab.train import train

METHODS = ("softmax", "contrastive", "triplet, batch all", "triplet, batch hard", "quadruplet")
MARGIN, MARGIN2, CONTRASTIVE_MARGIN = 0.3, 0.15, 1.0


class IdentityClassifier(nn.Module):
    """An embedding network with a linear classifier over the training identities on top; the
    classifier exists only for training (``forward`` returns the logits)."""

    def __init__(self, net: EmbeddingNet, n_ids: int) -> None:
        super().__init__()
        self.net, self.head = net, nn.Linear(net.head.out_features, n_ids)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x))


def metric_loss(method: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss of one batch of embeddings ``(B, D)`` with labels ``(B,)``."""

    def contrastive(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return balanced_contrastive_loss(batch_distances(z), all_pairs(y), CONTRASTIVE_MARGIN)

    def batch_all(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return triplet_loss(batch_distances(z), all_triplets(y), MARGIN, reduction="mean_active")

    def batch_hard(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        d = batch_distances(z)
        return triplet_loss(d, batch_hard_triplets(d, y), MARGIN)

    def quadruplet(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        d = batch_distances(z)
        return quadruplet_loss(d, batch_hard_quadruplets(d, y), MARGIN, MARGIN2)

    table = {
        "contrastive": contrastive,
        "triplet, batch all": batch_all,
        "triplet, batch hard": batch_hard,
        "quadruplet": quadruplet,
    }
    return lookup(table, method, "method")


def train_method(
    method: str,
    images: torch.Tensor,
    pids: torch.Tensor,
    seed: int = 0,
    steps: int = 400,
    p: int = 16,
    k: int = 4,
    sampler: Callable[[torch.Generator], torch.Tensor] | None = None,
    quantize: float = 0.0,
) -> EmbeddingNet:
    r"""Train a fresh 64-d :class:`EmbeddingNet` (initial weights from ``seed``) with ``method``
    (one of :data:`METHODS`) on P x K batches; returns the network, giving unit-length
    embeddings. ``sampler`` replaces the P x K sampler (same signature). ``quantize`` adds
    that weight times :func:`reidlab.hashing.quantization_loss` of :math:`\sqrt{D} z` to a
    metric loss (not to ``"softmax"``)."""
    lookup(dict.fromkeys(METHODS), method, "method")
    torch.manual_seed(seed)
    net = EmbeddingNet(dim=64, height=images.shape[2], width=images.shape[3])
    sample = sampler or pk_sampler(pids, p, k)
    if method == "softmax":
        net.normalize = False  # the classifier sees the raw embedding ...
        model: nn.Module = IdentityClassifier(net, int(pids.max()) + 1)

        def loss_fn(m: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return cross_entropy(m(x), y)

    else:
        model, metric = net, metric_loss(method)
        scale = net.head.out_features**0.5

        def loss_fn(m: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            z = m(x)
            loss = metric(z, y)
            return loss + quantize * quantization_loss(z * scale) if quantize else loss

    train(model, loss_fn, (images, pids), steps=steps, lr=3e-3, sampler=sample, seed=seed)
    net.normalize = True  # ... retrieval compares directions
    return net.eval()
