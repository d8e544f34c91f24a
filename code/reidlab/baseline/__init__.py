"""The strong baseline of person ReID (Luo et al. 2019), trick by trick, on one process or several.

For the capstone chapter, *From the toy world to Market-1501*. Hao Luo, Youzhi Gu, Xingyu Liao,
Shenqi Lai and Wei Jiang, *Bag of Tricks and a Strong Baseline for Deep Person Re-identification*
(CVPR Workshops 2019; journal version: *A Strong Baseline and Batch Normalization Neck for Deep
Person Re-identification*, IEEE TMM 2020): a ResNet-50 trained with the ID and triplet losses,
plus six tricks, reaches 94.5 % rank-1 and 85.9 % mAP on Market-1501 with one global feature
(the paper's abstract). Each trick is a small piece here, with the paper's setting in its docstring
and a switch in :class:`~reidlab.baseline.config.Tricks`:

============================  ======================================  ===========================
trick                         paper's setting                         module
============================  ======================================  ===========================
warm-up                       10 epochs, 3.5e-5 -> 3.5e-4; x0.1 at    :mod:`.schedule`
                              epochs 40 and 70
random erasing                p = 0.5, area 0.02-0.4, aspect 0.3-3.3  :mod:`.augment`
label smoothing               epsilon = 0.1                           :mod:`.losses`
last stride 1                 ResNet-50's last stage at stride 1      :mod:`reidlab.backbones`
BNNeck                        BN between f_t and the classifier       :mod:`.model`
centre loss (optional)        weight 0.0005, SGD lr 0.5               :mod:`.losses`
============================  ======================================  ===========================

The rest of the recipe: batch-hard triplet loss with margin 0.3 on P = 16 people x K = 4 images
(:mod:`.sampling`, the book's :mod:`reidlab.miners` and :mod:`reidlab.losses.metric`), Adam with
weight decay 5e-4 for 120 epochs, flips and 10-pixel pad-and-crop, 256 x 128 images, retrieval by
cosine distance on the BNNeck feature, optionally re-ranked (:mod:`.evaluate`).

Modules: :mod:`.model` (network), :mod:`.losses`, :mod:`.schedule`, :mod:`.augment`,
:mod:`.sampling` (batches, and their split over processes), :mod:`.data`, :mod:`.loop` (the training
loop, model-agnostic), :mod:`.distributed` (``torchrun``, DDP, synchronised batch norm),
:mod:`.checkpoint`, :mod:`.evaluate`, :mod:`.config`, :mod:`.training` (a whole run), and
``python -m reidlab.baseline`` (the command, :mod:`.__main__`).

Left out: other backbones than ResNet-50 and the toy CNN, the paper's cross-domain experiments,
and mixed-precision training.
"""

from reidlab.baseline.config import Config, Tricks
from reidlab.baseline.training import Result, run

__all__ = ["Config", "Result", "Tricks", "run"]
