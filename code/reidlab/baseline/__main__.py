"""The command: ``python -m reidlab.baseline --data PATH --dataset market1501 --out DIR [options]``.

On one process, or on several with PyTorch's launcher::

    torchrun --nproc_per_node=4 -m reidlab.baseline --data PATH --out DIR --device cuda

Every setting is :class:`reidlab.baseline.config.Config`'s (``--help`` lists them with the paper's
defaults). Bad arguments or data stop the command before training, with a message naming the
argument, file or folder, and exit status 2. That includes a corrupt image: every image is decoded
once before the first step (each process does it, so all of them stop alike; the 32,217
images Market-1501's protocol keeps take about half a minute on one CPU core), unless ``--no-verify``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from reidlab.baseline.config import Config, Tricks
from reidlab.baseline.distributed import setup, teardown
from reidlab.baseline.training import prepare, train

TRICKS = {  # flag: (Tricks field, help)
    "warmup": ("warmup", "10 epochs of linear learning-rate warm-up"),
    "random-erasing": ("random_erasing", "random erasing, p = --erasing-p"),
    "label-smoothing": ("label_smoothing", "label smoothing of the ID loss, epsilon = --epsilon"),
    "bnneck": ("bnneck", "BNNeck between the triplet feature and the classifier"),
    "center-loss": ("center_loss", "centre loss, weight --center-weight (off by default)"),
}


def _size(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 256x128, got {text!r}") from None
    return h, w


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated epochs such as 40,70, got {text!r}"
        ) from None


def parser() -> argparse.ArgumentParser:
    """The command's arguments; defaults are :class:`Config`'s (the paper's)."""
    d = Config()
    ap = argparse.ArgumentParser(
        prog="python -m reidlab.baseline",
        description="Train and score the strong ReID baseline of Luo et al. (2019); "
        "several processes with torchrun --nproc_per_node=N -m reidlab.baseline ...",
    )
    add = ap.add_argument
    add("--data", required=True, help="the folder holding the data set (e.g. Market-1501-v15.09.15)")
    add("--dataset", default=d.dataset, choices=["market1501", "dukemtmc"], help="default: %(default)s")
    add(
        "--no-verify",
        action="store_true",
        help="skip decoding every image before training (a corrupt file then stops training when drawn)",
    )
    add("--out", required=True, help="the folder for config.json, checkpoint.pt, history.json, metrics.json")
    add("--backbone", default=d.backbone, choices=["resnet50", "toy"], help="default: %(default)s")
    add(
        "--weights",
        default=None,
        help="a local ImageNet checkpoint of torchvision's resnet50 (never downloaded)",
    )
    add("--epochs", type=int, default=d.epochs, help="default: %(default)s")
    add("--p", type=int, default=d.p, help="people per global batch (default: %(default)s)")
    add("--k", type=int, default=d.k, help="images per person (default: %(default)s)")
    add("--size", type=_size, default=None, help="HEIGHTxWIDTH (default: 256x128; toy: 64x32)")
    add("--seed", type=int, default=d.seed, help="default: %(default)s")
    add("--device", default=d.device, choices=["cpu", "cuda"], help="default: %(default)s")
    tricks = ap.add_argument_group("tricks (all on but the centre loss; --standard turns all off first)")
    tricks.add_argument("--standard", action="store_true", help="start from the standard baseline")
    for flag, (_, text) in TRICKS.items():
        tricks.add_argument(f"--{flag}", action=argparse.BooleanOptionalAction, default=None, help=text)
    tricks.add_argument("--last-stride", type=int, choices=(1, 2), default=None, help="1 is the trick")
    opt = ap.add_argument_group("training")
    opt.add_argument("--optimizer", default=d.optimizer, choices=["adam", "sgd"], help="default: %(default)s")
    for flag, kind, value, text in (
        ("--lr", float, d.lr, "base learning rate"),
        ("--momentum", float, d.momentum, "SGD's momentum"),
        ("--weight-decay", float, d.weight_decay, "L2 penalty"),
        ("--warmup-epochs", int, d.warmup_epochs, "epochs of warm-up"),
        ("--gamma", float, d.gamma, "learning-rate factor at each milestone"),
        ("--margin", float, d.margin, "triplet margin"),
        ("--epsilon", float, d.label_smoothing, "label smoothing"),
        ("--center-weight", float, d.center_weight, "weight of the centre loss"),
        ("--center-lr", float, d.center_lr, "SGD learning rate of the centres"),
        ("--flip-p", float, d.flip, "probability of a horizontal flip"),
        ("--erasing-p", float, d.erasing, "probability of random erasing"),
        ("--workers", int, d.workers, "data-loading processes"),
    ):
        opt.add_argument(flag, type=kind, default=value, help=f"{text} (default: %(default)s)")
    opt.add_argument(
        "--milestones", type=_ints, default=d.milestones, help="epochs after which lr *= gamma (40,70)"
    )
    opt.add_argument("--steps-per-epoch", type=int, default=None, help="default: training images // (p k)")
    opt.add_argument("--no-sync-bn", action="store_true", help="several processes: batch norm per process")
    opt.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    opt.add_argument("--quiet", action="store_true", help="no progress bar")
    ev = ap.add_argument_group("evaluation")
    ev.add_argument(
        "--metric", default=d.metric, choices=["cosine", "euclidean"], help="default: %(default)s"
    )
    ev.add_argument("--feature", default=d.feature, choices=["after", "before"], help="BNNeck side (after)")
    ev.add_argument("--rerank", action="store_true", help="also score with k-reciprocal re-ranking")
    ev.add_argument("--eval-batch", type=int, default=d.eval_batch, help="default: %(default)s")
    return ap


def config_from(args: argparse.Namespace) -> Config:
    """The :class:`Config` the parsed arguments describe."""
    tricks = Tricks.standard() if args.standard else Tricks()
    for flag, (name, _) in TRICKS.items():
        value = getattr(args, flag.replace("-", "_"))
        if value is not None:
            tricks = replace(tricks, **{name: value})
    if args.last_stride is not None:
        tricks = replace(tricks, last_stride_1=args.last_stride == 1)
    return Config(
        data=args.data, dataset=args.dataset, verify=not args.no_verify, out=args.out,
        backbone=args.backbone, weights=args.weights,
        epochs=args.epochs, p=args.p, k=args.k, size=args.size, seed=args.seed, device=args.device,
        tricks=tricks, optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
        weight_decay=args.weight_decay, warmup_epochs=args.warmup_epochs,
        milestones=args.milestones, gamma=args.gamma, margin=args.margin, label_smoothing=args.epsilon,
        center_weight=args.center_weight, center_lr=args.center_lr, flip=args.flip_p, erasing=args.erasing_p,
        steps_per_epoch=args.steps_per_epoch, sync_bn=not args.no_sync_bn, metric=args.metric,
        feature=args.feature, rerank=args.rerank, workers=args.workers, eval_batch=args.eval_batch,
        progress=not args.quiet, resume=args.resume,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 on success, 2 (with a message on stderr) for bad arguments or data."""
    config = config_from(parser().parse_args(argv))
    try:
        where = setup(config.device)
        prepared = prepare(config, None, where)
    except (FileNotFoundError, FileExistsError, ValueError, TypeError) as err:
        teardown()
        print(f"python -m reidlab.baseline: error: {err}", file=sys.stderr)
        return 2
    try:
        result = train(prepared)
    finally:
        teardown()
    if where.main:
        print(json.dumps(result.metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
