r"""Training an embedding five ways, on the same budget: the experiment of the chapter *Triplet
and quadruplet losses*.

Every method trains the same network (:func:`reidlab.experiments.siamese.embedding_net`: a 2 x 2 average, then
an :class:`~reidlab.models.EmbeddingNet`) from the same start, on the same P x K batches
(:func:`reidlab.train.pk_sampler`), for the same number of steps; only the loss differs:

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
:func:`paired_sampler` builds batches in which look-alikes come together (the chapter's second
exercise).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from reidlab._checks import lookup
from reidlab.experiments.siamese import DOWNSAMPLE, build_embedding_net
from reidlab.hashing import quantization_loss
from reidlab.losses.classification import cross_entropy
from reidlab.losses.metric import balanced_contrastive_loss, batch_distances, quadruplet_loss, triplet_loss
from reidlab.miners import all_pairs, all_triplets, batch_hard_quadruplets, batch_hard_triplets
from reidlab.models import EmbeddingNet
from reidlab.train import initial_weights, pk_sampler, train

METHODS = ("softmax", "contrastive", "triplet, batch all", "triplet, batch hard", "quadruplet")
MARGIN, MARGIN2, CONTRASTIVE_MARGIN = 0.3, 0.15, 1.0


class IdentityClassifier(nn.Module):
    """An embedding network (``dim`` outputs) with a linear classifier over the training
    identities on top; the classifier exists only for training (``forward`` returns the logits).
    It reads the embedding before its scaling to unit length (:meth:`EmbeddingNet.unnormalized`):
    retrieval compares directions, the classifier may use lengths too."""

    def __init__(self, net: EmbeddingNet, dim: int, n_ids: int) -> None:
        super().__init__()
        self.net, self.head = net, nn.Linear(dim, n_ids)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) -> (B, n_ids)
        return self.head(self.net.unnormalized(x))


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


Loss = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def _objective(method: str, emb: nn.Module, n_classes: int, quantize: float) -> tuple[nn.Module, Loss]:
    """What :func:`train_method` trains and its loss on a batch ``(model, x, y)``: for
    ``"softmax"`` a classifier over the ``n_classes`` training people on top of the embedding
    ``emb`` (its weights drawn here), for a metric method the embedding itself."""
    if method == "softmax":
        classifier = IdentityClassifier(emb, emb.head.out_features, n_classes)
        return classifier, lambda m, x, y: cross_entropy(m(x), y)
    metric, scale = metric_loss(method), emb.head.out_features**0.5

    def loss_fn(m: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        z = m(x)  # (B, D) unit-length embeddings
        loss = metric(z, y)
        return loss + quantize * quantization_loss(z * scale) if quantize else loss

    return emb, loss_fn


def train_method(
    method: str,
    images: torch.Tensor,
    pids: torch.Tensor,
    seed: int = 0,
    steps: int = 400,
    p: int | None = None,
    k: int | None = None,
    sampler: Callable[[torch.Generator], torch.Tensor] | None = None,
    quantize: float = 0.0,
    downsample: int = DOWNSAMPLE,
) -> nn.Sequential:
    r"""Train a fresh 64-d :func:`~reidlab.experiments.siamese.embedding_net` (initial weights from
    ``seed``) with ``method`` (one of :data:`METHODS`) on P x K batches (``p`` people, default
    16, ``k`` images each, default 4); returns the network, giving unit-length embeddings.
    ``sampler`` replaces the P x K sampler (same signature; then ``p`` and ``k`` are its own).
    ``quantize`` adds that weight times :func:`reidlab.hashing.quantization_loss` of
    :math:`\sqrt{D} z` to a metric loss (not to ``"softmax"``)."""
    lookup(dict.fromkeys(METHODS), method, "method")
    if quantize and method == "softmax":
        raise ValueError("quantize adds to a metric loss; method 'softmax' has none")
    if sampler is not None and (p is not None or k is not None):
        raise ValueError("give p and k or a sampler, not both (the sampler draws its own batches)")
    with initial_weights(seed):  # the network's weights, then (softmax) the classifier's
        net = build_embedding_net(images.shape[2], images.shape[3], 64, downsample)
        model, loss_fn = _objective(method, net[-1], int(pids.max()) + 1, quantize)
    small = net[0](images)  # the average once, not in every step: the same numbers, bit for bit
    sample = sampler or pk_sampler(pids, 16 if p is None else p, 4 if k is None else k)
    train(model, loss_fn, (small, pids), steps=steps, lr=3e-3, sampler=sample, seed=seed)
    return net.eval()


def paired_sampler(
    pids: torch.Tensor, look_alikes: list[tuple[int, int]], p: int = 16, k: int = 4
) -> Callable[[torch.Generator], torch.Tensor]:
    """Like :func:`reidlab.train.pk_sampler` (``p`` people, ``k`` random images of each,
    without repeats), but every person drawn brings their look-alike (pairs of pids) along
    when there is room: so a batch holds about ``p / 2`` look-alike pairs whenever the people
    have look-alikes, where random people rarely meet theirs."""
    if pids.ndim != 1 or len(pids) == 0:
        raise ValueError(f"pids must be a non-empty 1-D tensor, got shape {tuple(pids.shape)}")
    people = pids.unique().tolist()
    if not 2 <= p <= len(people) or k < 2:
        raise ValueError(
            f"need 2 <= p <= {len(people)} (the number of identities) and k >= 2, got p={p}, k={k}"
        )
    known = set(people)
    for a, b in look_alikes:
        if a not in known or b not in known:
            raise ValueError(f"look-alike pair {(a, b)} names a pid that is not in pids")
    partner = dict(look_alikes) | {b: a for a, b in look_alikes}
    rows = {person: torch.nonzero(pids == person).flatten() for person in people}

    def sample(g: torch.Generator) -> torch.Tensor:
        chosen: list[int] = []
        for i in torch.randperm(len(people), generator=g).tolist():
            for person in (people[i], partner.get(people[i])):
                if person is not None and person not in chosen and len(chosen) < p:
                    chosen.append(person)
            if len(chosen) == p:
                break
        picks = [rows[c][torch.randperm(len(rows[c]), generator=g)[:k]] for c in chosen]
        return torch.cat(picks)

    return sample
