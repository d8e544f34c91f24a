r"""InfoGAN (Chen et al., 2016) on toy shapes, small enough to train in seconds on one CPU thread.

Taught in the chapter *InfoGAN* (``chapters/infogan.md``); the losses are in
:mod:`reidlab.losses.adversarial`.

**Data.** Bright shapes of three kinds (circle, square, triangle), 16 x 16 pixels, with two
continuous true factors, scale and rotation (:func:`make_shapes`).

**Model.** The generator :math:`G(z, c)` takes a little noise :math:`z`, a one-hot categorical
code and two continuous codes uniform in :math:`[-1, 1]`. The discriminator has a shared body, a
real-or-fake head, and a **Q head** that reads the codes back from an image: categorical logits,
and a Gaussian mean and log standard deviation per continuous code. Trained on generated images,
Q makes :math:`-\text{info\_loss}` a lower bound of the mutual information between the codes and
the image; G and Q both minimise ``info_weight`` times the info loss, on top of the usual GAN
losses. With ``info_weight=0`` the same networks train as a plain GAN, and the codes are just
more noise.

**Measures.** They never trust Q alone: an independent :class:`Reader` (a small CNN trained on
real labelled images) reads the kind, scale and rotation of *generated* images, so a network
trained with ``info_weight=0`` is judged the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from scipy.stats import spearmanr
from torch import nn

from reidlab.losses.adversarial import discriminator_loss, generator_loss, info_loss
from reidlab.train import initial_weights, train
from reidlab.worlds.shapes import CIRCLE, FACTORS, KINDS, Shapes


class Generator(nn.Module):
    """:math:`G(z, c)`: noise ``(N, n_noise)``, categorical codes ``(N,)``, continuous codes
    ``(N, n_cont)`` -> images ``(N, 1, size, size)`` in [0, 1]. An MLP with batch norm."""

    def __init__(self, n_noise: int = 8, n_cat: int = 3, n_cont: int = 2, size: int = 16) -> None:
        super().__init__()
        self.n_noise, self.n_cat, self.n_cont, self.size = n_noise, n_cat, n_cont, size
        self.net = nn.Sequential(
            nn.Linear(n_noise + n_cat + n_cont, 128),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, size * size),
        )

    def forward(self, z: torch.Tensor, cat: torch.Tensor, cont: torch.Tensor) -> torch.Tensor:
        x = self.net(torch.cat([z, F.one_hot(cat, self.n_cat).float(), cont], dim=1))
        return torch.sigmoid(x).view(-1, 1, self.size, self.size)  # (B, S S) -> (B, 1, S, S)

    def codes(
        self, n: int, generator: torch.Generator, cat: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Random inputs for ``n`` images: noise ``(n, n_noise)``, categorical codes ``(n,)``
        (uniform unless given) and continuous codes ``(n, n_cont)`` uniform in [-1, 1]."""
        z = torch.randn(n, self.n_noise, generator=generator)
        if cat is None:
            cat = torch.randint(self.n_cat, (n,), generator=generator)
        return z, cat, 2 * torch.rand(n, self.n_cont, generator=generator) - 1


@dataclass
class DQ:
    """What :class:`DiscriminatorQ` returns for a batch of ``N`` images."""

    logit: torch.Tensor  # (N,) real-or-fake logit
    cat_logits: torch.Tensor  # (N, n_cat): Q's categorical code
    mean: torch.Tensor  # (N, n_cont): Q's Gaussian mean for each continuous code
    log_std: torch.Tensor  # (N, n_cont): and its log standard deviation, in [-3, 1]


class DiscriminatorQ(nn.Module):
    """A shared MLP body with two heads: the discriminator's logit and Q (InfoGAN's auxiliary
    distribution). Sharing the body makes Q almost free (Chen et al., 2016)."""

    def __init__(self, n_cat: int = 3, n_cont: int = 2, size: int = 16) -> None:
        super().__init__()
        self.n_cat, self.n_cont = n_cat, n_cont
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Linear(size * size, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 128),
            nn.LeakyReLU(0.2),
        )
        self.d_head = nn.Linear(128, 1)
        self.q_head = nn.Sequential(nn.Linear(128, 64), nn.LeakyReLU(0.2), nn.Linear(64, n_cat + 2 * n_cont))

    def forward(self, x: torch.Tensor) -> DQ:
        h = self.body(x)
        q = self.q_head(h)
        k, m = self.n_cat, self.n_cont
        return DQ(self.d_head(h).squeeze(1), q[:, :k], q[:, k : k + m], q[:, k + m :].clamp(-3.0, 1.0))


@dataclass
class InfoGAN:
    """A trained pair: the generator and the discriminator with its Q head."""

    generator: Generator
    discriminator: DiscriminatorQ


def _info(out: DQ, cat: torch.Tensor, cont: torch.Tensor, cont_weight: float) -> torch.Tensor:
    return info_loss(out.cat_logits, cat, out.mean, cont, cont_std=out.log_std.exp(), cont_weight=cont_weight)


def train_infogan(
    images: torch.Tensor,
    *,
    info_weight: float = 1.0,
    cont_weight: float = 0.1,
    n_cat: int = len(KINDS),
    n_cont: int = 2,
    n_noise: int = 8,
    steps: int = 1500,
    batch: int = 64,
    d_lr: float = 2e-4,
    g_lr: float = 1e-3,
    seed: int = 0,
) -> InfoGAN:
    r"""Train an InfoGAN on ``images`` ``(N, 1, S, S)``.

    Each step: the discriminator and Q (one network) take a step on
    :math:`L_D + \lambda\, \text{info}` (real and generated images, the generator's output
    detached); then the generator on the non-saturating loss :math:`+ \lambda\, \text{info}`, where
    :math:`\lambda` is ``info_weight`` and info is
    :func:`~reidlab.losses.adversarial.info_loss` with the continuous part weighted by
    ``cont_weight`` (0.1, a smaller weight for the continuous codes as in the paper). Adam with
    :math:`\beta_1 = 0.5`, learning rates 2e-4 (D) and 1e-3 (G), as in the paper's MNIST set-up;
    fused (one kernel for all weights), which makes a step of these small networks about a fifth
    faster than the per-weight loop.
    """
    images = images if isinstance(images, torch.Tensor) else torch.as_tensor(images)
    if images.ndim != 4 or images.shape[1] != 1 or images.shape[-1] != images.shape[-2]:
        raise ValueError(f"images must have shape (N, 1, S, S), got {tuple(images.shape)}")
    if len(images) < 1 or steps < 1 or batch < 2:
        raise ValueError("images must be non-empty, steps positive and batch at least 2 (batch norm)")
    if info_weight < 0 or cont_weight < 0:
        raise ValueError("info_weight and cont_weight must be non-negative")
    size = images.shape[-1]
    g = torch.Generator().manual_seed(seed)  # batches and codes
    with initial_weights(seed):
        gen, disc = Generator(n_noise, n_cat, n_cont, size), DiscriminatorQ(n_cat, n_cont, size)
    opt_g = torch.optim.Adam(gen.parameters(), lr=g_lr, betas=(0.5, 0.999), fused=True)
    opt_d = torch.optim.Adam(disc.parameters(), lr=d_lr, betas=(0.5, 0.999), fused=True)
    for _ in range(steps):
        real = images[torch.randint(len(images), (batch,), generator=g)]
        z, cat, cont = gen.codes(batch, g)
        fake = gen(z, cat, cont)
        out = disc(torch.cat([real, fake.detach()]))  # one pass over real and generated
        on_fake = DQ(*(t[batch:] for t in (out.logit, out.cat_logits, out.mean, out.log_std)))
        loss_d = discriminator_loss(out.logit[:batch], on_fake.logit)
        if info_weight > 0:
            loss_d = loss_d + info_weight * _info(on_fake, cat, cont, cont_weight)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        out = disc(fake)  # the generator: fool D, and make the codes readable by Q
        loss_g = generator_loss(out.logit, "non-saturating")
        if info_weight > 0:
            loss_g = loss_g + info_weight * _info(out, cat, cont, cont_weight)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
    return InfoGAN(gen.eval(), disc.eval())


# --- an independent reader of generated images -----------------------------------------------


class Reader(nn.Module):
    """A small CNN for real shapes: kind logits ``(N, K)``, and scale and rotation ``(N,)`` each
    (standardised)."""

    def __init__(self, n_kinds: int = len(KINDS), size: int = 16) -> None:
        super().__init__()
        self.n_kinds = n_kinds
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * (size // 4) ** 2, 64),
            nn.ReLU(),
            nn.Linear(64, n_kinds + 2),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.net(x)
        return out[:, : self.n_kinds], out[:, self.n_kinds], out[:, self.n_kinds + 1]


def train_reader(data: Shapes, steps: int = 300, batch: int = 64, seed: int = 0) -> Reader:
    """Cross-entropy on the kind plus squared error on scale and (circles excepted) rotation, both
    standardised. Spearman's :math:`\\rho` ignores scaling, so predictions are used as they come."""
    with initial_weights(seed):
        reader = Reader(len(KINDS), data.images.shape[-1])
    scale = (data.scale - data.scale.mean()) / data.scale.std()
    rotation = data.rotation / data.rotation.std()
    has_rotation = (data.kinds != CIRCLE).float()

    def loss_fn(m: Reader, x: torch.Tensor, *truth: torch.Tensor) -> torch.Tensor:
        kind, s_true, r_true, has_r = truth  # (B,) each: one batch's rows of the tensors below
        logits, s, r = m(x)
        rot_err = ((r - r_true) ** 2 * has_r).sum() / has_r.sum().clamp(min=1)
        return F.cross_entropy(logits, kind) + ((s - s_true) ** 2).mean() + rot_err

    train(
        reader,
        loss_fn,
        (data.images, data.kinds, scale, rotation, has_rotation),
        steps=steps,
        optimizer=lambda params: torch.optim.Adam(params, lr=2e-3, fused=True),
        batch_size=batch,
        seed=seed,
    )
    return reader.eval()


def abs_spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    """:math:`|\\rho|`, Spearman's rank correlation, of two samples of one length."""
    if a.shape != b.shape or a.ndim != 1 or len(a) < 3:
        raise ValueError(
            f"a and b must be 1-D of one length (at least 3), got {tuple(a.shape)}, {tuple(b.shape)}"
        )
    return float(abs(spearmanr(a.double().numpy(), b.double().numpy()).statistic))


@torch.no_grad()
def reader_scores(reader: Reader, data: Shapes) -> dict[str, float]:
    """The reader on held-out real images: accuracy, and :math:`|\\rho|` for scale and rotation."""
    logits, s, r = reader(data.images)
    rot = data.kinds != CIRCLE
    return {
        "accuracy": (logits.argmax(1) == data.kinds).float().mean().item(),
        "scale": abs_spearman(s, data.scale),
        "rotation": abs_spearman(r[rot], data.rotation[rot]),
    }


# --- measures --------------------------------------------------------------------------------


def _best_matching(pred: torch.Tensor, truth: torch.Tensor, k: int) -> tuple[np.ndarray, dict[int, int]]:
    """The confusion matrix ``(k, k)`` (rows predicted values, columns true classes) and the best
    one-to-one matching, as ``{true class: predicted value}``."""
    if not isinstance(pred, torch.Tensor) or not isinstance(truth, torch.Tensor):
        raise TypeError("pred and truth must be integer tensors")
    if pred.shape != truth.shape or pred.ndim != 1 or len(pred) == 0:
        shapes = f"{tuple(pred.shape)}, {tuple(truth.shape)}"
        raise ValueError(f"pred and truth must be non-empty and 1-D of one length, got {shapes}")
    if int(pred.min()) < 0 or int(truth.min()) < 0 or int(pred.max()) >= k or int(truth.max()) >= k:
        raise ValueError(f"pred and truth must hold values in 0..{k - 1}")
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (pred.numpy(), truth.numpy()), 1)
    rows, cols = linear_sum_assignment(-confusion)
    return confusion, {int(c): int(r) for r, c in zip(rows, cols, strict=True)}


def matched_accuracy(pred: torch.Tensor, truth: torch.Tensor, k: int) -> float:
    """Accuracy after the best one-to-one matching of predicted values to true classes (the
    Hungarian algorithm on the confusion matrix, ``scipy.optimize.linear_sum_assignment``).
    Both are ``(N,)`` integer tensors with values in ``0..k-1``."""
    confusion, value_of = _best_matching(pred, truth, k)
    return float(sum(confusion[v, c] for c, v in value_of.items()) / len(pred))


def mixup_share(pred: torch.Tensor, truth: torch.Tensor, k: int, pair: tuple[int, int]) -> float | None:
    """Of the mistakes left after the best one-to-one matching (:func:`matched_accuracy`), the
    share that mix up the two classes of ``pair``: a true ``a`` given ``b``'s value, or the other
    way round. ``None`` when there is no mistake. The chapter *InfoGAN* asks it of Q on real
    shapes, with ``pair`` = (circle, square)."""
    a, b = pair
    if not (0 <= a < k and 0 <= b < k) or a == b:
        raise ValueError(f"pair must be two different classes in 0..{k - 1}, got {pair}")
    confusion, value_of = _best_matching(pred, truth, k)
    mistakes = len(pred) - sum(confusion[v, c] for c, v in value_of.items())
    if mistakes == 0:
        return None
    return float((confusion[value_of[b], a] + confusion[value_of[a], b]) / mistakes)


@torch.no_grad()
def code_class_accuracy(model: InfoGAN, reader: Reader, per_code: int = 200, seed: int = 123) -> float:
    """Generate ``per_code`` images for every categorical code value (random noise and
    continuous codes), read their kind with ``reader``, and score the best one-to-one matching of
    code values to kinds. Near :math:`1/K` if the generator ignores the code."""
    gen = model.generator
    g = torch.Generator().manual_seed(seed)
    z, cat, cont = gen.codes(gen.n_cat * per_code, g, torch.arange(gen.n_cat).repeat_interleave(per_code))
    kinds = reader(gen(z, cat, cont))[0].argmax(1)
    return matched_accuracy(cat, kinds, max(gen.n_cat, reader.n_kinds))


@torch.no_grad()
def q_class_accuracy(model: InfoGAN, data: Shapes) -> float:
    """Q's categorical code on real images, best one-to-one matching (the paper's measure)."""
    pred = model.discriminator(data.images).cat_logits.argmax(1)
    return matched_accuracy(pred, data.kinds, max(model.generator.n_cat, len(KINDS)))


@torch.no_grad()
def factor_correlations(model: InfoGAN, reader: Reader, n: int = 1000, seed: int = 321) -> torch.Tensor:
    """:math:`|\\rho|` of every continuous code with every true factor: ``(n_cont, 2)``, columns
    scale and rotation. Codes are fed to G at random (``n`` images); the reader reads the factors
    of the generated images (rotation only on images it reads as non-circles)."""
    gen = model.generator
    g = torch.Generator().manual_seed(seed)
    z, cat, cont = gen.codes(n, g)
    logits, scale, rotation = reader(gen(z, cat, cont))
    shaped = logits.argmax(1) != CIRCLE
    rho = torch.zeros(gen.n_cont, len(FACTORS))
    for j in range(gen.n_cont):
        rho[j, 0] = abs_spearman(cont[:, j], scale)
        rho[j, 1] = abs_spearman(cont[shaped, j], rotation[shaped])
    return rho


@torch.no_grad()
def traversal(model: InfoGAN, j: int, value: float, n_noise_draws: int = 4, seed: int = 7) -> torch.Tensor:
    """Images ``(K, n_noise_draws, S, S)``: row ``k`` has categorical code ``k`` and continuous code
    ``j`` at ``value`` (the other codes 0), one column per fixed noise draw. Sweeping ``value``
    with the same ``seed`` changes only code ``j``."""
    gen = model.generator
    if not 0 <= j < gen.n_cont:
        raise ValueError(f"j must be a continuous code index in 0..{gen.n_cont - 1}, got {j}")
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n_noise_draws, gen.n_noise, generator=g).repeat(gen.n_cat, 1)
    cat = torch.arange(gen.n_cat).repeat_interleave(n_noise_draws)
    cont = torch.zeros(len(cat), gen.n_cont)
    cont[:, j] = value
    images = gen(z, cat, cont)  # (n_cat n_noise_draws, 1, S, S), code-major
    return images.view(gen.n_cat, n_noise_draws, gen.size, gen.size)  # (n_cat, n_noise_draws, S, S)


@torch.no_grad()
def code_effects(model: InfoGAN, n: int = 300, seed: int = 11) -> dict[str, float]:
    r"""How far each input moves the generated image: the mean absolute change of a pixel, in grey
    levels (0 to 255), when one input changes and the others stay as they were (``n`` random
    inputs, drawn with ``seed``).

    * ``"categorical"``: the categorical code switched to each other value (mean over the
      :math:`K - 1` switches);
    * ``"c1"``, ``"c2"``, ...: continuous code :math:`j` moved from -1 to +1;
    * ``"noise"``: one noise number moved from -1 to +1, mean over the noise numbers: how much an
      input the generator uses as noise moves the image.

    An input the generator ignores scores 0: the plain GAN's codes may come out so, since nothing
    stops it from making :math:`P_G(x \mid c) = P_G(x)` (Chen et al., 2016). Taught in the
    chapter *InfoGAN*.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    gen = model.generator
    g = torch.Generator().manual_seed(seed)
    z, cat, cont = gen.codes(n, g)

    def gap(a: torch.Tensor, b: torch.Tensor) -> float:  # mean |a - b| in grey levels
        return float((a - b).abs().mean() * 255)

    def ends(x: torch.Tensor, j: int) -> tuple[torch.Tensor, torch.Tensor]:  # column j at -1 and +1
        lo, hi = x.clone(), x.clone()
        lo[:, j], hi[:, j] = -1.0, 1.0
        return lo, hi

    base = gen(z, cat, cont)
    shifts = range(1, gen.n_cat)
    out = {"categorical": float(np.mean([gap(gen(z, (cat + k) % gen.n_cat, cont), base) for k in shifts]))}
    for j in range(gen.n_cont):
        lo, hi = ends(cont, j)
        out[f"c{j + 1}"] = gap(gen(z, cat, lo), gen(z, cat, hi))
    noise = []
    for i in range(gen.n_noise):
        lo, hi = ends(z, i)
        noise.append(gap(gen(lo, cat, cont), gen(hi, cat, cont)))
    out["noise"] = float(np.mean(noise))
    return out


@torch.no_grad()
def q_code_accuracy(model: InfoGAN, n: int = 600, seed: int = 5) -> float:
    """How often Q's most likely categorical code is the one the generator was given, on ``n``
    generated images. No matching is needed: Q is trained against these very codes."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    gen = model.generator
    z, cat, cont = gen.codes(n, torch.Generator().manual_seed(seed))
    pred = model.discriminator(gen(z, cat, cont)).cat_logits.argmax(1)
    return float((pred == cat).float().mean())
