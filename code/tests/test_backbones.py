"""reidlab.backbones: our ResNet-50 against torchvision's (keys, shapes, outputs), last stride, weights, toy.

The reference is ``tests/data/resnet50_reference.json``, written by torchvision 0.28's ``resnet50``
(``tests/data/make_resnet50_reference.py``, run in a separate environment: torchvision does not
install beside this torch). Both sides fill their weights by the same rule, imported from that
script, and run in float64, so the outputs agree to rounding (about 1e-12 relative) and any
difference of architecture shows as a large one.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

from reidlab.backbones import (
    ResNet50,
    ToyBackbone,
    build_backbone,
    init_weights_,
    load_weights,
    resnet50,
    toy_backbone,
)

DATA = Path(__file__).with_name("data")
REFERENCE = json.loads((DATA / "resnet50_reference.json").read_text())
_spec = importlib.util.spec_from_file_location("make_resnet50_reference", DATA / "make_resnet50_reference.py")
maker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(maker)


def _empty(last_stride: int = 2) -> ResNet50:
    """A ResNet50 with uninitialised storage (built on the meta device): for keys, or to load into."""
    with torch.device("meta"):
        model = ResNet50(last_stride=last_stride)
    return model.to_empty(device="cpu")


def test_state_dict_keys_shapes_and_dtypes_are_torchvisions() -> None:
    ours = [[k, list(t.shape), str(t.dtype)] for k, t in _empty().state_dict().items()]
    assert ours == REFERENCE["keys"]  # same keys, in the same order, same shapes and dtypes
    assert len(ours) == 320


@pytest.fixture(scope="module")
def reference_state() -> dict[str, torch.Tensor]:
    """Our ResNet-50's state dict in float64, filled by the reference rule (the same for both strides)."""
    state = _empty().double().state_dict()
    maker.fill_reference_weights(state, [k for k, _, _ in REFERENCE["keys"]])
    return state


@pytest.mark.parametrize("last_stride", [2, 1])
def test_outputs_match_torchvision(last_stride: int, reference_state: dict[str, torch.Tensor]) -> None:
    model = _empty(last_stride).double().eval()
    model.load_state_dict(reference_state, strict=True)
    with torch.no_grad():
        x = maker.reference_input()
        stages = model.stages(x)
        stages["logits"] = model.classify(x)
    ref = REFERENCE["outputs"][str(last_stride)]
    assert list(stages) == list(ref)
    for name, t in stages.items():
        got = maker.summary(t)
        assert got["shape"] == ref[name]["shape"], name
        for field in ("sum", "sum_sq"):
            assert got[field] == pytest.approx(ref[name][field], rel=1e-9), (name, field)
        torch.testing.assert_close(
            torch.tensor(got["first"]), torch.tensor(ref[name]["first"]), rtol=1e-9, atol=1e-9, msg=name
        )


def test_the_reference_tells_the_two_strides_apart() -> None:
    """The check above could fail: stride 1 changes layer4's map and every number after it."""
    ref = REFERENCE["outputs"]
    assert ref["1"]["layer4"]["shape"] == [2, 2048, 4, 2] and ref["2"]["layer4"]["shape"] == [2, 2048, 2, 1]
    assert ref["1"]["logits"]["sum"] != pytest.approx(ref["2"]["logits"]["sum"], rel=1e-3)
    assert ref["1"]["layer3"] == ref["2"]["layer3"]


def test_last_stride_1_gives_a_16x8_map_for_256x128() -> None:
    model = ResNet50(last_stride=1, num_classes=None).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 256, 128))
    assert tuple(out.shape) == (1, 2048, 16, 8)  # 8 x 4 with torchvision's stride 2 (the reference)


def test_weights_load_strictly_and_errors_name_the_file(tmp_path: Path) -> None:
    source = resnet50(classifier=True, generator=torch.Generator().manual_seed(3))
    path = tmp_path / "resnet50-imagenet.pth"
    torch.save(source.state_dict(), path)
    loaded = resnet50(weights=path)
    assert loaded.fc is None  # the ImageNet classifier is dropped after loading
    for k, t in loaded.state_dict().items():  # not the seed-0 weights resnet50() starts from
        assert torch.equal(t, source.state_dict()[k]), k


def test_bad_weights_files_are_errors_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.pth: weights file not found"):
        resnet50(weights=tmp_path / "missing.pth")
    toy = toy_backbone()
    partial = {k: v for k, v in toy.state_dict().items() if k != "features.3.weight"}
    torch.save(partial, tmp_path / "partial.pth")
    with pytest.raises(ValueError, match=r"(?s)partial.pth does not fit ToyBackbone.*features.3.weight"):
        load_weights(toy, tmp_path / "partial.pth")
    (tmp_path / "junk.pth").write_text("not a checkpoint")
    with pytest.raises(ValueError, match=r"junk\.pth: not a PyTorch state dict"):
        load_weights(toy, tmp_path / "junk.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(ValueError, match=r"list\.pth: expected a state dict"):
        load_weights(toy, tmp_path / "list.pth")


def test_initialisation_is_seeded_and_leaves_the_global_generator_alone() -> None:
    before = torch.random.get_rng_state()
    a = toy_backbone(generator=torch.Generator().manual_seed(0))
    b = toy_backbone(generator=torch.Generator().manual_seed(0))
    c = toy_backbone(generator=torch.Generator().manual_seed(1))
    r = resnet50(generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.random.get_rng_state(), before)
    for k, t in a.state_dict().items():
        assert torch.equal(t, b.state_dict()[k]), k
    assert not torch.equal(a.features[0].weight, c.features[0].weight)
    # torchvision's rule: Kaiming normal on fan-out for convolutions, batch norm 1 and 0
    w = r.layer3[0].conv2.weight  # (256, 256, 3, 3): fan-out 256 * 9
    assert w.std().item() == pytest.approx((2 / (256 * 9)) ** 0.5, rel=0.02)
    assert torch.equal(r.bn1.weight, torch.ones(64)) and torch.equal(r.bn1.running_var, torch.ones(64))
    with pytest.raises(TypeError, match="generator"):
        init_weights_(a, 0)


def test_toy_backbone_shapes_and_errors() -> None:
    x = torch.rand(3, 3, 64, 32)
    assert tuple(toy_backbone()(x).shape) == (3, 64, 4, 2)
    assert tuple(toy_backbone(last_stride=1)(x).shape) == (3, 64, 8, 4)
    assert build_backbone("toy", size=(32, 16)).out_channels == 64
    with pytest.raises(ValueError, match=r"expected images \(N, 3, 64, 32\)"):
        toy_backbone()(torch.rand(1, 3, 32, 32))
    with pytest.raises(ValueError, match="multiples of 16"):
        ToyBackbone(60, 32)
    with pytest.raises(ValueError, match="last_stride must be 1 or 2"):
        ResNet50(last_stride=3)
    with pytest.raises(ValueError, match="backbone must be one of"):
        build_backbone("vgg16")
    with pytest.raises(ValueError, match="no pretrained weights"):
        build_backbone("toy", weights="x.pth")
    with pytest.raises(ValueError, match="no fc layer"):
        resnet50().classify(torch.rand(1, 3, 64, 32))
