"""Write ``resnet50_reference.json``: torchvision's ResNet-50, for ``tests/test_backbones.py`` to check ours.

torchvision is not installed beside the book's torch (PyPI's torchvision 0.28.0 wheel is built
for CUDA torch, and beside the CPU build its compiled operators fail to register: "operator
torchvision::nms does not exist"), so this script runs in a separate environment holding torch
2.13.0+cpu and PyPI's torchvision 0.28.0, e.g. ``/tmp/tvtest``::

    cd code/tests/data && /tmp/tvtest/bin/python make_resnet50_reference.py

Only ``torchvision.models`` is used: the script first replaces ``torch.library.register_fake`` and
``torch.library.impl_abstract`` by no-op decorators (they only register the shapes of those
compiled operators), then imports torchvision. No weights are downloaded: every tensor of the
state dict is filled by :func:`fill_reference_weights`, a rule the test applies to our model too.
The output is deterministic (same file on every run; checked).

What the file holds:

* ``keys``: every state-dict key of ``torchvision.models.resnet50()``, in order, with its shape and
  dtype (what ``load_state_dict(strict=True)`` checks);
* ``outputs``: for ``last_stride`` 2 (torchvision as is) and 1 (torchvision with the stride of
  ``layer4[0].conv2`` and ``layer4[0].downsample[0]`` set to 1, the strong baseline's change), the
  eval-mode output of every stage on :func:`reference_input`, in float64: its shape, sum, sum of
  squares and the first 8 channels of its spatial mean per image; and the same for the logits.

The test imports this file for the two rules (it does not import torchvision).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

OUT = Path(__file__).with_name("resnet50_reference.json")
SEED, INPUT_SEED = 1501, 2019
INPUT_SHAPE = (2, 3, 64, 32)
N_FIRST = 8


@torch.no_grad()
def fill_reference_weights(state: dict[str, torch.Tensor], keys: list[str], seed: int = SEED) -> None:
    """Fill the float64 tensors of ``state`` in the order of ``keys`` from one generator, so the
    activations stay of order 1 through 16 blocks: convolution weights N(0, 2 / fan-in), linear
    weights N(0, 1 / fan-in), batch-norm weights U(0.5, 1), biases and running means N(0, 0.1^2),
    running variances U(0.5, 1.5); ``num_batches_tracked`` is left alone."""
    g = torch.Generator().manual_seed(seed)
    for key in keys:
        t = state[key]
        if key.endswith("num_batches_tracked"):
            continue
        if t.dtype != torch.float64:
            raise TypeError(f"{key}: convert the model to float64 first, got {t.dtype}")

        def randn(t: torch.Tensor = t) -> torch.Tensor:
            return torch.randn(t.shape, generator=g, dtype=torch.float64)

        def rand(t: torch.Tensor = t) -> torch.Tensor:
            return torch.rand(t.shape, generator=g, dtype=torch.float64)

        if key.endswith("running_mean") or key.endswith("bias"):
            t.copy_(0.1 * randn())
        elif key.endswith("running_var"):
            t.copy_(0.5 + rand())
        elif t.ndim == 4:
            t.copy_(randn() * math.sqrt(2 / t[0].numel()))
        elif t.ndim == 2:
            t.copy_(randn() * math.sqrt(1 / t.shape[1]))
        else:  # batch-norm weight
            t.copy_(0.5 + 0.5 * rand())


def reference_input() -> torch.Tensor:
    """The fixed input ``(2, 3, 64, 32)`` float64, standard normal from seed 2019."""
    return torch.randn(INPUT_SHAPE, generator=torch.Generator().manual_seed(INPUT_SEED), dtype=torch.float64)


def summary(x: torch.Tensor) -> dict[str, object]:
    """Shape, sum, sum of squares and the first channels of the spatial mean of ``x`` (N, C[, h, w])."""
    pooled = x.mean(dim=(2, 3)) if x.ndim == 4 else x  # (N, C)
    return {
        "shape": list(x.shape),
        "sum": float(x.sum()),
        "sum_sq": float(x.pow(2).sum()),
        "first": pooled[:, :N_FIRST].tolist(),
    }


def _torchvision_resnet50():  # -> torchvision.models.ResNet
    import torch.library

    def noop(*args, **kwargs):
        def decorate(f):
            return f

        return decorate

    torch.library.register_fake = noop  # torchvision registers shapes of its compiled operators
    torch.library.impl_abstract = noop
    import torchvision
    from torchvision.models import resnet50

    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    return resnet50(weights=None)


@torch.no_grad()
def main() -> None:
    torch.set_num_threads(1)
    model = _torchvision_resnet50()
    as_saved = [[k, list(t.shape), str(t.dtype)] for k, t in model.state_dict().items()]  # float32
    model = model.double().eval()
    keys = list(model.state_dict())
    fill_reference_weights(model.state_dict(), keys)
    x = reference_input()
    outputs = {}
    for last_stride in (2, 1):
        block = model.layer4[0]
        block.conv2.stride = block.downsample[0].stride = (last_stride, last_stride)
        stem = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        stages = {"stem": stem}
        for name in ("layer1", "layer2", "layer3", "layer4"):
            stages[name] = getattr(model, name)(stages[list(stages)[-1]])
        logits = model(x)  # torchvision's own forward, end to end
        outputs[str(last_stride)] = {name: summary(t) for name, t in stages.items()} | {
            "logits": summary(logits)
        }
    record = {
        "made_by": "code/tests/data/make_resnet50_reference.py",
        "torchvision": __import__("torchvision").__version__,
        "torch": torch.__version__,
        "keys": as_saved,
        "outputs": outputs,
    }
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1000:.1f} KB)")


if __name__ == "__main__":
    main()
