r"""The strong baseline's network: a backbone, global average pooling, the BNNeck and an ID classifier.

Luo et al., *Bag of Tricks and a Strong Baseline for Deep Person Re-identification* (CVPRW 2019)
and *A Strong Baseline and Batch Normalization Neck for Deep Person Re-identification* (IEEE TMM
2020). The backbone's map is averaged into one vector per image, :math:`f_t` (2048 numbers for
ResNet-50). Two losses want different things from it: the triplet loss compares distances
between :math:`f_t`'s, free in every direction; the ID loss (softmax over the training people)
separates classes by angle, with a linear classifier. Trained on one vector, they pull against
each other.

**BNNeck** (the paper's setting: on) gives each loss its own vector: a batch norm after the
pooling, :math:`f_i = \mathrm{BN}(f_t)`,

.. math::

    f_i = \gamma \odot \frac{f_t - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta,
    \qquad \text{logits} = W f_i \ (\text{no bias}),

* :math:`f_t` (before the BN) goes to the triplet loss (and the centre loss);
* :math:`f_i` (after the BN) goes to the ID classifier, and is the feature used for retrieval,
  compared by cosine distance;
* the BN's shift :math:`\beta` is frozen at 0 and the classifier has no bias, so the classes'
  weight vectors pass through the origin and the features spread around it, as angles need.

The classifier's weights start from :math:`\mathcal N(0, 0.001^2)`, the BN at :math:`\gamma = 1`,
:math:`\beta = 0` (the authors' code). Without BNNeck (the standard baseline) the classifier,
with a bias, reads :math:`f_t` itself and :math:`f_i = f_t`.

Left out: the paper's other necks and part-based features.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch import nn

Feature = Literal["before", "after"]


class BaselineOutput(NamedTuple):
    """What the network returns for a batch of ``B`` images: ``f_t`` ``(B, D)`` (before the BNNeck),
    ``f_i`` ``(B, D)`` (after it; ``f_t`` itself without BNNeck) and ``logits`` ``(B, classes)``."""

    f_t: torch.Tensor
    f_i: torch.Tensor
    logits: torch.Tensor


class BaselineNet(nn.Module):
    r"""``backbone`` (images -> ``(B, C, h, w)`` map, with ``out_channels`` = C), global average
    pooling to :math:`f_t`, the BNNeck (if ``bnneck``) to :math:`f_i`, and a linear ID classifier
    over ``num_classes`` training identities. ``generator`` draws the classifier's initial weights."""

    def __init__(
        self, backbone: nn.Module, num_classes: int, *, bnneck: bool = True, generator: torch.Generator
    ) -> None:
        super().__init__()
        dim = getattr(backbone, "out_channels", None)
        if not isinstance(dim, int) or dim < 1:
            raise TypeError("backbone must be an nn.Module with an int attribute out_channels")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2 (training identities), got {num_classes!r}")
        self.backbone, self.dim, self.bnneck = backbone, dim, bnneck
        self.neck = nn.BatchNorm1d(dim) if bnneck else None
        if self.neck is not None:
            self.neck.bias.requires_grad_(False)  # no shift: beta stays 0
        with torch.device("meta"):  # no draw from torch's global generator: filled below
            classifier = nn.Linear(dim, num_classes, bias=not bnneck)
        self.classifier = classifier.to_empty(device="cpu")
        with torch.no_grad():
            nn.init.normal_(self.classifier.weight, 0.0, 0.001, generator=generator)
            if self.classifier.bias is not None:
                self.classifier.bias.zero_()

    def forward(self, images: torch.Tensor) -> BaselineOutput:
        f_t = self.backbone(images).mean(dim=(2, 3))  # (B, C, h, w) -> (B, C): global average pooling
        f_i = f_t if self.neck is None else self.neck(f_t)  # (B, C)
        return BaselineOutput(f_t, f_i, self.classifier(f_i))  # logits (B, classes)

    @torch.no_grad()
    def embed(self, images: torch.Tensor, feature: Feature = "after") -> torch.Tensor:
        """Retrieval features ``(B, D)`` in eval mode (batch norm uses its running statistics):
        ``"after"`` the BNNeck (the paper's choice) or ``"before"`` it. Restores the mode after."""
        if feature not in ("before", "after"):
            raise ValueError(f"feature must be 'before' or 'after', got {feature!r}")
        was_training = self.training
        self.eval()
        try:
            out = self(images)
        finally:
            self.train(was_training)
        return out.f_i if feature == "after" else out.f_t
