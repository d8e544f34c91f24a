"""``python -m reidlab.baseline`` end to end on a generated Market-1501 folder: metrics, checkpoints,
resume (bit for bit the uninterrupted run), the trick switches, and clear errors for bad input.

The folder is the toy world written by ``reidlab.datasets.write_market1501`` (16 training and 8
test people, 3 cameras), trained with the toy backbone for 2 epochs of 3 steps (a 2-epoch warm-up,
so the learning rate changes between them, and the centre loss on: a resumed run must restore the
scheduler and both optimisers).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from reidlab.backbones import toy_backbone
from reidlab.baseline import Config, Tricks, run
from reidlab.baseline.__main__ import config_from, main, parser
from reidlab.baseline.augment import Augment
from reidlab.baseline.data import Images
from reidlab.baseline.evaluate import evaluate
from reidlab.baseline.model import BaselineNet
from reidlab.datasets import write_dukemtmc, write_market1501
from reidlab.worlds.pedestrians import toy_reid

WORLD = {"n_train_ids": 16, "n_test_ids": 8, "n_cameras": 3, "per_camera": 3, "seed": 0}
TRAIN = ["--backbone", "toy", "--p", "4", "--k", "4", "--steps-per-epoch", "3", "--warmup-epochs", "2"]
TRAIN += ["--lr", "1e-3", "--center-loss", "--quiet"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("market")
    write_market1501(toy_reid(**WORLD), root)
    return root


@pytest.fixture(scope="module")
def finished(data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 2-epoch run of the command in its own process; its folder and its standard output."""
    out = tmp_path_factory.mktemp("run") / "uninterrupted"
    cmd = [sys.executable, "-m", "reidlab.baseline", "--data", str(data), "--out", str(out), "--epochs", "2"]
    done = subprocess.run([*cmd, *TRAIN, "--rerank"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_command_writes_metrics_history_and_a_checkpoint(finished: tuple[Path, str]) -> None:
    out, stdout = finished
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["world_size"] == 1
    for kind in ("plain", "reranked"):
        assert set(metrics[kind]) == {"rank1", "rank5", "rank10", "mAP"}
        scores = metrics[kind]
        assert 0 <= scores["rank1"] <= scores["rank5"] <= scores["rank10"] <= 1 and 0 < scores["mAP"] <= 1
    assert json.loads(stdout.strip().splitlines()[-1]) == {k: metrics[k] for k in ("plain", "reranked")}
    history = json.loads((out / "history.json").read_text())
    assert [(h["epoch"], h["step"]) for h in history] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert [h["lr"] for h in history] == pytest.approx([5e-4] * 3 + [1e-3] * 3)  # warm-up over 2 epochs
    assert all("center" in h for h in history)
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 2 and state["history"] == history
    assert {"optimizer", "scheduler", "centers", "center_optimizer", "rng"} <= set(state)
    g = torch.Generator()
    model = BaselineNet(toy_backbone(generator=g), 16, generator=g)
    model.load_state_dict(state["model"], strict=True)  # no DDP prefix, nothing missing


def test_resumed_run_equals_the_uninterrupted_one(
    finished: tuple[Path, str], data: Path, tmp_path: Path
) -> None:
    whole, _ = finished
    out = tmp_path / "interrupted"
    args = ["--data", str(data), "--out", str(out), *TRAIN, "--rerank"]
    assert main([*args, "--epochs", "1"]) == 0
    assert json.loads((out / "history.json").read_text()) != json.loads((whole / "history.json").read_text())
    assert main([*args, "--epochs", "2", "--resume"]) == 0
    for name in ("history.json", "metrics.json"):
        assert json.loads((out / name).read_text()) == json.loads((whole / name).read_text()), name
    a, b = (torch.load(d / "checkpoint.pt", weights_only=True) for d in (whole, out))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert torch.equal(a["centers"]["centers"], b["centers"]["centers"])


def test_switches_turn_tricks_on_and_off() -> None:
    def tricks(*flags: str) -> Tricks:
        return config_from(parser().parse_args(["--data", "d", "--out", "o", *flags])).tricks

    assert tricks() == Tricks() and tricks().center_loss is False
    assert tricks("--standard") == Tricks(False, False, False, False, False, False)
    assert tricks("--standard", "--warmup", "--last-stride", "1") == Tricks(
        warmup=True, random_erasing=False, label_smoothing=False, last_stride_1=True, bnneck=False
    )
    assert tricks("--no-bnneck", "--center-loss") == Tricks(bnneck=False, center_loss=True)
    assert tricks("--last-stride", "2").last_stride_1 is False
    config = config_from(
        parser().parse_args(["--data", "d", "--out", "o", "--size", "128x64", "--milestones", "5,9"])
    )
    assert config.size == (128, 64) and config.milestones == (5, 9) and config.verify is True
    unchecked = config_from(parser().parse_args(["--data", "d", "--out", "o", "--no-verify"]))
    assert unchecked.verify is False


def test_run_in_memory_without_files() -> None:
    world = toy_reid(n_train_ids=8, n_test_ids=6, n_cameras=2, per_camera=3, seed=1)
    config = Config(backbone="toy", epochs=1, p=4, k=2, steps_per_epoch=2, progress=False)
    result = run(config, splits=world)
    assert len(result.history) == 2 and set(result.metrics) == {"plain"}
    assert result.history[0]["lr"] == pytest.approx(3.5e-5)  # the first warm-up epoch
    query, gallery = Images(world.query, (64, 32)), Images(world.gallery, (64, 32))
    assert evaluate(result.model, query, gallery, Augment()) == result.metrics
    other = run(replace(config, seed=1), splits=world)
    assert other.history != result.history


def test_dukemtmc_folders_train_too(tmp_path: Path) -> None:
    world = toy_reid(n_train_ids=6, n_test_ids=4, n_cameras=2, per_camera=2, seed=2)
    write_dukemtmc(world, tmp_path)
    config = Config(data=str(tmp_path), dataset="dukemtmc", backbone="toy", epochs=1, p=4, k=2)
    config = replace(config, steps_per_epoch=1, progress=False)
    result = run(config)
    assert len(result.history) == 1 and 0 < result.metrics["plain"]["mAP"] <= 1
    assert run(config).history == result.history  # seeded


def _error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 2
    return capsys.readouterr().err


def test_bad_arguments_are_errors_that_name_the_problem(
    data: Path, finished: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ["--out", str(tmp_path / "new")]
    missing = tmp_path / "no-such-folder"
    assert str(missing) in _error(["--data", str(missing), *out, *TRAIN], capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert str(empty) in _error(["--data", str(empty), *out, *TRAIN], capsys)
    good = ["--data", str(data), *TRAIN]
    assert "p must be an int >= 2" in _error([*good, *out, "--p", "1"], capsys)
    assert "nowhere.pth: weights file not found" in _error(
        [*good, *out, "--backbone", "resnet50", "--weights", str(tmp_path / "nowhere.pth")], capsys
    )
    assert "no checkpoint to resume from" in _error([*good, *out, "--resume"], capsys)
    assert (
        "sees no CUDA GPU" in _error([*good, *out, "--device", "cuda"], capsys) or torch.cuda.is_available()
    )
    broken = Path(shutil.copytree(data, tmp_path / "broken"))
    victim = sorted((broken / "Market-1501-v15.09.15" / "bounding_box_train").iterdir())[-1]
    victim.write_bytes(victim.read_bytes()[:100])  # cut short, as an interrupted copy leaves it
    said = _error(["--data", str(broken), *out, *TRAIN], capsys)
    assert f"{victim}: not a readable JPEG image" in said and not (tmp_path / "new").exists()
    whole = ["--out", str(finished[0]), "--epochs", "2"]
    assert "exists: pass --resume" in _error([*good, *whole], capsys)
    changed = _error([*good, *whole, "--resume", "--margin", "0.5"], capsys)
    assert "cannot resume with other training settings (margin: 0.3 in the checkpoint, 0.5 now)" in changed
    for flags, message in (
        (["--size", "256by128"], "expected HEIGHTxWIDTH"),
        (["--dataset", "mars"], "invalid choice"),
    ):
        with pytest.raises(SystemExit, match="2"):
            main([*good, *out, *flags])
        assert message in capsys.readouterr().err
