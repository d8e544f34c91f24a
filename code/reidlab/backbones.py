r"""Backbones for the strong baseline: ResNet-50 written out, and the book's small CNN for the toy world.

For the capstone chapter, *From the toy world to Market-1501* (:mod:`reidlab.baseline`). A backbone
maps images ``(N, 3, H, W)`` to a feature map ``(N, C, h, w)`` and says its ``out_channels`` ``C``;
the baseline pools and classifies on top of it.

* :class:`ResNet50` (He et al., *Deep Residual Learning for Image Recognition*, CVPR 2016) with
  **exactly torchvision's module names and shapes** (``conv1``, ``bn1``, ``layer1`` … ``layer4`` of
  :class:`Bottleneck` blocks, ``fc``), so a torchvision ImageNet checkpoint (a local file, never
  downloaded) loads with ``load_state_dict(strict=True)``. Like torchvision's it is "ResNet v1.5":
  a block's stride sits in its 3 x 3 convolution, not in the first 1 x 1. A block computes

  .. math::

      y = \operatorname{relu}\bigl(x' + \mathrm{BN}_3 W_3 \operatorname{relu}(\mathrm{BN}_2 W_2
      \operatorname{relu}(\mathrm{BN}_1 W_1 x))\bigr),

  where :math:`x' = x`, or a strided 1 x 1 convolution and batch norm of :math:`x` (``downsample``)
  where the shape changes. ``last_stride=1`` is the strong baseline's trick (Luo et al., 2019):
  the last stage keeps stride 1, so a 256 x 128 image gives a 16 x 8 map instead of 8 x 4 — four
  times the positions for the pooled feature, for no new parameters.
  Tested against torchvision 0.28's ``resnet50`` (keys, shapes and outputs, in
  ``tests/test_backbones.py``, from reference files written by
  ``tests/data/make_resnet50_reference.py``).
* :class:`ToyBackbone`: the convolutional part of :class:`reidlab.models.EmbeddingNet` (chapter
  *Siamese networks*), behind a 2 x 2 average as in :func:`reidlab.experiments.siamese.embedding_net`, so the
  baseline trains on the toy world in seconds.

Initial weights come from an explicit ``torch.Generator``: the modules are built on PyTorch's
``meta`` device and then filled, so building a backbone never draws from (or re-seeds) torch's global
random state. Left out: other depths (ResNet-18/101), IBN and SE variants, and downloading weights.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from reidlab.models import EmbeddingNet

#: Blocks per stage and the width of each stage's 3 x 3 convolutions (ResNet-50).
STAGES = ((3, 64), (4, 128), (6, 256), (3, 512))
EXPANSION = 4  # a Bottleneck's output has 4 x its width channels


class Bottleneck(nn.Module):
    """1 x 1 (reduce) -> 3 x 3 (``stride``) -> 1 x 1 (expand), each with batch norm, plus the shortcut."""

    def __init__(self, in_channels: int, width: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * EXPANSION, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * EXPANSION)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + shortcut)


def _stage(in_channels: int, width: int, blocks: int, stride: int) -> nn.Sequential:
    out = width * EXPANSION
    downsample = None
    if stride != 1 or in_channels != out:
        downsample = nn.Sequential(
            nn.Conv2d(in_channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out)
        )
    layers = [Bottleneck(in_channels, width, stride, downsample)]
    layers += [Bottleneck(out, width) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class ResNet50(nn.Module):
    """ResNet-50 with torchvision's names. ``forward`` returns the last feature map
    ``(N, 2048, H/32, W/32)`` (``H/16, W/16`` with ``last_stride=1``); :meth:`classify` is
    torchvision's forward (ImageNet logits, needs ``fc``). ``num_classes=None``: no ``fc``."""

    out_channels = 512 * EXPANSION

    def __init__(self, last_stride: int = 2, num_classes: int | None = 1000) -> None:
        super().__init__()
        if last_stride not in (1, 2):
            raise ValueError(f"last_stride must be 1 or 2, got {last_stride!r}")
        if num_classes is not None and (isinstance(num_classes, bool) or num_classes < 1):
            raise ValueError(f"num_classes must be None or a positive int, got {num_classes!r}")
        self.last_stride = last_stride
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels = 64
        for i, ((blocks, width), stride) in enumerate(zip(STAGES, (1, 2, 2, last_stride), strict=True)):
            setattr(self, f"layer{i + 1}", _stage(channels, width, blocks, stride))
            channels = width * EXPANSION
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = None if num_classes is None else nn.Linear(channels, num_classes)

    def stages(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The output of the stem (after max-pooling) and of each stage: ``stem``, ``layer1`` … ``layer4``."""
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected images (N, 3, H, W), got {tuple(x.shape)}")
        out = {"stem": self.maxpool(self.relu(self.bn1(self.conv1(x))))}  # (N, 64, H/4, W/4)
        for name in ("layer1", "layer2", "layer3", "layer4"):
            out[name] = getattr(self, name)(out[list(out)[-1]])
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(x)["layer4"]  # (N, 2048, h, w)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits ``(N, num_classes)``: average pool, flatten, ``fc`` (torchvision's forward)."""
        if self.fc is None:
            raise ValueError(
                "this ResNet50 has no fc layer (built with num_classes=None or drop_classifier())"
            )
        return self.fc(torch.flatten(self.avgpool(self(x)), 1))  # (N, 2048) -> (N, classes)

    def drop_classifier(self) -> ResNet50:
        """Remove ``fc`` (after loading ImageNet weights: ReID trains its own classifier)."""
        self.fc = None
        return self


@torch.no_grad()
def init_weights_(module: nn.Module, generator: torch.Generator) -> nn.Module:
    r"""Fill every parameter and buffer of ``module`` from ``generator``, by torchvision's ResNet rule:
    convolutions :math:`\mathcal N(0, 2 / n_\text{out})` (Kaiming, fan-out: :math:`n_\text{out}` =
    output channels x kernel area), batch norm weight 1, bias 0 and fresh running statistics, linear
    layers :math:`\mathcal U(\pm 1 / \sqrt{n_\text{in}})` (PyTorch's default). Returns ``module``."""
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, _BatchNorm):
            m.reset_running_stats()
            if m.affine:
                m.weight.fill_(1.0)
                m.bias.zero_()
        elif isinstance(m, nn.Linear):
            bound = 1 / math.sqrt(m.in_features)
            nn.init.uniform_(m.weight, -bound, bound, generator=generator)
            if m.bias is not None:
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
    return module


def load_weights(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a state dict saved with ``torch.save`` (e.g. torchvision's ``resnet50-*.pth``) into
    ``model`` with ``strict=True``: every key and shape must match. Errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: weights file not found (it is never downloaded: pass a local file)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated or foreign file: pickle, zip and torch raise many kinds
        raise ValueError(f"{path}: not a PyTorch state dict ({err})") from err
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict (a dict of tensors), got {type(state).__name__}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f"{path} does not fit {type(model).__name__}: {err}") from err
    return model


def _on_meta(build):
    """Build a module on the meta device (no memory, no random draws), then give it real storage."""
    with torch.device("meta"):
        module = build()
    return module.to_empty(device="cpu")


def resnet50(
    *,
    last_stride: int = 1,
    weights: str | os.PathLike | None = None,
    classifier: bool = False,
    generator: torch.Generator | None = None,
) -> ResNet50:
    """A ResNet-50 for ReID: initialised from ``generator`` (default: seed 0), then, if ``weights``
    is given, loaded from that local torchvision checkpoint (strictly); ``fc`` dropped unless
    ``classifier``. ``last_stride=1`` is the strong baseline's setting; 2 is torchvision's."""
    model = _on_meta(lambda: ResNet50(last_stride=last_stride, num_classes=1000))
    init_weights_(model, generator if generator is not None else torch.Generator().manual_seed(0))
    if weights is not None:
        load_weights(model, weights)
    return model if classifier else model.drop_classifier()


class ToyBackbone(nn.Module):
    """The book's small CNN as a backbone: a ``downsample`` x ``downsample`` average, then the four
    convolution blocks of :class:`reidlab.models.EmbeddingNet` (64 channels). ``last_stride=1`` keeps
    the third block (its last strided one) at stride 1, which doubles the map's height and width,
    as the trick does for ResNet-50. For 64 x 32 images: a ``(N, 64, 4, 2)`` map (``8 x 4`` with
    ``last_stride=1``)."""

    out_channels = 64

    def __init__(self, height: int = 64, width: int = 32, downsample: int = 2, last_stride: int = 2) -> None:
        super().__init__()
        if isinstance(downsample, bool) or not isinstance(downsample, int) or downsample < 1:
            raise ValueError(f"downsample must be a positive int, got {downsample!r}")
        if last_stride not in (1, 2):
            raise ValueError(f"last_stride must be 1 or 2, got {last_stride!r}")
        if height % (8 * downsample) or width % (8 * downsample):
            raise ValueError(
                f"height and width must be multiples of {8 * downsample}, got {height} x {width}"
            )
        self.height, self.width = height, width
        self.pool = nn.AvgPool2d(downsample)
        self.features = EmbeddingNet(height=height // downsample, width=width // downsample).features
        self.features[6].stride = (last_stride, last_stride)  # the third block's convolution

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1:] != (3, self.height, self.width):
            raise ValueError(f"expected images (N, 3, {self.height}, {self.width}), got {tuple(x.shape)}")
        return self.features(self.pool(x))  # (N, 64, h, w)


def toy_backbone(
    height: int = 64, width: int = 32, *, last_stride: int = 2, generator: torch.Generator | None = None
) -> ToyBackbone:
    """A :class:`ToyBackbone` initialised from ``generator`` (default: seed 0) by
    :func:`init_weights_`."""
    model = _on_meta(lambda: ToyBackbone(height, width, last_stride=last_stride))
    return init_weights_(model, generator if generator is not None else torch.Generator().manual_seed(0))


#: The backbones :func:`build_backbone` knows, and the image size (height, width) each expects by default.
DEFAULT_SIZE = {"resnet50": (256, 128), "toy": (64, 32)}


def build_backbone(
    name: str,
    *,
    size: tuple[int, int] | None = None,
    last_stride: int = 1,
    weights: str | os.PathLike | None = None,
    generator: torch.Generator | None = None,
) -> nn.Module:
    """``"resnet50"`` (:func:`resnet50`, ImageNet ``weights`` optional) or ``"toy"``
    (:func:`toy_backbone` for images of ``size``; it has no pretrained weights)."""
    if name not in DEFAULT_SIZE:
        raise ValueError(f"backbone must be one of {list(DEFAULT_SIZE)}, got {name!r}")
    if name == "resnet50":
        return resnet50(last_stride=last_stride, weights=weights, generator=generator)
    if weights is not None:
        raise ValueError(
            "the toy backbone has no pretrained weights: drop --weights or use --backbone resnet50"
        )
    height, width = size if size is not None else DEFAULT_SIZE["toy"]
    return toy_backbone(height, width, last_stride=last_stride, generator=generator)
