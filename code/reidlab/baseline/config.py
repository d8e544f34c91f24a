"""The settings of a baseline run: the paper's by default, each trick a switch, checked up front.

:class:`Tricks` are the six refinements of Luo et al. 2019 (*Bag of Tricks*, Table 1), in the order
the paper adds them to the standard baseline; :meth:`Tricks.standard` turns all off (the paper's
"Baseline-S": ResNet-50 with last stride 2, the ID and triplet losses on the pooled feature, no
warm-up, no random erasing, no label smoothing). A chapter can add them one at a time with
``dataclasses.replace(Tricks.standard(), warmup=True)``. :class:`Config` holds everything else, with
the paper's values (Adam, learning rate 3.5e-4, weight decay 5e-4, 120 epochs, P = 16, K = 4,
256 x 128 images for ResNet-50). ``optimizer="sgd"`` (momentum 0.9, as the authors' code offers)
is the alternative; its steps, unlike Adam's, scale with the gradient.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from reidlab.backbones import DEFAULT_SIZE
from reidlab.baseline.data import READERS
from reidlab.baseline.schedule import check_schedule


@dataclass(frozen=True)
class Tricks:
    """The paper's tricks, on (the strong baseline) or off; the centre loss is optional (off)."""

    warmup: bool = True  # learning rate: 10 epochs of linear warm-up before the steps
    random_erasing: bool = True  # p = 0.5, area 0.02-0.4, aspect 0.3-3.3
    label_smoothing: bool = True  # epsilon = 0.1 in the ID loss
    last_stride_1: bool = True  # the backbone's last stage keeps stride 1
    bnneck: bool = True  # a batch norm between the triplet feature and the classifier
    center_loss: bool = False  # weight 0.0005, centres by SGD with learning rate 0.5

    @classmethod
    def standard(cls) -> Tricks:
        """Every trick off: the paper's standard baseline."""
        return cls(*(False for _ in fields(cls)))


#: Settings a resumed run may change: where things are and how the result is scored.
MAY_CHANGE = frozenset(
    {"data", "verify", "out", "epochs", "weights", "device", "workers", "eval_batch", "progress", "resume"}
    | {"metric", "feature", "rerank"}
)


@dataclass(frozen=True)
class Config:
    """Everything a run needs. ``data``: the folder holding the data set (e.g. the one that contains
    ``Market-1501-v15.09.15``); ``out``: where checkpoints and metrics go (``None``: nothing is
    written). ``size``: ``(height, width)``, ``None`` for the backbone's usual size."""

    data: str | None = None
    dataset: str = "market1501"
    verify: bool = True  # decode every image of data before training: a corrupt file stops the run up front
    out: str | None = None
    backbone: str = "resnet50"
    weights: str | None = None
    epochs: int = 120
    p: int = 16
    k: int = 4
    size: tuple[int, int] | None = None
    seed: int = 0
    device: str = "cpu"
    tricks: Tricks = field(default_factory=Tricks)
    optimizer: str = "adam"
    lr: float = 3.5e-4
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_epochs: int = 10
    milestones: tuple[int, ...] = (40, 70)
    gamma: float = 0.1
    margin: float = 0.3
    label_smoothing: float = 0.1
    center_weight: float = 5e-4
    center_lr: float = 0.5
    flip: float = 0.5
    erasing: float = 0.5
    steps_per_epoch: int | None = None
    sync_bn: bool = True
    metric: str = "cosine"
    feature: str = "after"
    rerank: bool = False
    workers: int = 0
    eval_batch: int = 128
    progress: bool = True
    resume: bool = False

    def image_size(self) -> tuple[int, int]:
        """``size``, or the backbone's usual one (256 x 128 for ResNet-50, 64 x 32 for the toy)."""
        return tuple(self.size) if self.size is not None else DEFAULT_SIZE.get(self.backbone, (256, 128))

    def check(self) -> None:
        """A ``ValueError`` naming the first setting that makes no sense (``FileNotFoundError`` for
        a missing weights file)."""
        _one_of("dataset", self.dataset, list(READERS))
        _one_of("backbone", self.backbone, list(DEFAULT_SIZE))
        _one_of("device", self.device, ["cpu", "cuda"])
        _one_of("optimizer", self.optimizer, ["adam", "sgd"])
        _one_of("metric", self.metric, ["cosine", "euclidean"])
        _one_of("feature", self.feature, ["after", "before"])
        for name in ("epochs", "p", "k", "seed", "workers", "eval_batch", "warmup_epochs"):
            value = getattr(self, name)
            least = {"p": 2, "k": 2, "eval_batch": 1}.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        if self.steps_per_epoch is not None and (
            not isinstance(self.steps_per_epoch, int) or self.steps_per_epoch < 1
        ):
            raise ValueError(f"steps_per_epoch must be None or a positive int, got {self.steps_per_epoch!r}")
        size = self.image_size()
        if len(size) != 2 or not all(isinstance(s, int) and s >= 16 for s in size):
            raise ValueError(f"size must be (height, width), ints of at least 16, got {self.size!r}")
        check_schedule(self.warmup_epochs, self.milestones, self.gamma)
        for name in ("lr", "center_lr", "margin"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("weight_decay", "center_weight", "momentum"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {self.label_smoothing}")
        for name in ("flip", "erasing"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must lie in [0, 1] (a probability), got {getattr(self, name)}")
        if self.tricks.center_loss and not self.center_weight > 0:
            raise ValueError("the centre loss is on but center_weight is 0")
        if self.weights is not None and not Path(self.weights).is_file():
            raise FileNotFoundError(f"{self.weights}: weights file not found (it is never downloaded)")
        if self.resume and self.out is None:
            raise ValueError("resume needs out: the folder that holds the checkpoint")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON and checkpoints): tuples become lists."""
        return _plain(asdict(self))


def _one_of(name: str, value: object, options: list[str]) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x


def check_resumable(saved: dict[str, Any], config: Config) -> None:
    """``ValueError`` listing the settings that differ from the checkpoint's, other than
    :data:`MAY_CHANGE` (a resumed run must train as the interrupted one would have)."""
    now = config.to_dict()
    changed = sorted(k for k in now if k not in MAY_CHANGE and saved.get(k) != now[k])
    if changed:
        detail = ", ".join(f"{k}: {saved.get(k)!r} in the checkpoint, {now[k]!r} now" for k in changed)
        raise ValueError(f"cannot resume with other training settings ({detail})")
