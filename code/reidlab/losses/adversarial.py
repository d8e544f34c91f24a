r"""GAN losses, written from binary cross-entropy, and InfoGAN's information term.

Taught in the chapters *The discriminator loss* (``chapters/gan.md``) and *InfoGAN*
(``chapters/infogan.md``).

**From BCE to the GAN objective.** The discriminator :math:`D` is a real-or-fake classifier with
output :math:`D(x) = \sigma(s(x))`, the probability that :math:`x` is real (:math:`s` is its logit).
Binary cross-entropy with target :math:`y` is :math:`-[y \log p + (1 - y) \log(1 - p)]`. For a real
image :math:`y = 1` and only the first term is left, :math:`-\log D(x)`; for a generated one,
:math:`G(z)`, :math:`y = 0` and only the second, :math:`-\log(1 - D(G(z)))`. The mean over
real samples plus the mean over generated ones is

.. math::

    L_D = -\mathbb E_x[\log D(x)] - \mathbb E_z[\log(1 - D(G(z)))] = -V(D, G),

so minimising the discriminator's BCE is maximising the value :math:`V`, and the generator plays
the other side: :math:`\min_G \max_D V(D, G)` (Goodfellow et al., 2014).

**Two generator losses.** The *saturating* loss is the game as written,
:math:`L_G = \mathbb E_z[\log(1 - D(G(z)))]`; the *non-saturating* one is BCE with the fake
labelled real, :math:`L_G = -\mathbb E_z[\log D(G(z))]`. Both push :math:`D(G(z))` up; they differ in
how hard, see :func:`generator_logit_gradient`.

Every function takes the discriminator's *logits* (never probabilities), so
:math:`\log \sigma` is computed without overflow, as in ``F.binary_cross_entropy_with_logits``:
:math:`-\log \sigma(s) = \operatorname{softplus}(-s)`, the one term of the package's BCE that is left
for label 1 (and :math:`\operatorname{softplus}(s)` for label 0); the tests check both against
the package's and PyTorch's BCE.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F

from reidlab._checks import check_float_tensor

GeneratorLoss = Literal["saturating", "non-saturating"]
GENERATOR_LOSSES: tuple[GeneratorLoss, ...] = ("saturating", "non-saturating")


def _logits(x: object, name: str) -> torch.Tensor:
    x = check_float_tensor(x, name)
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: a loss needs at least one sample")
    return x


def _bce(logits: torch.Tensor, label: Literal[0, 1]) -> torch.Tensor:
    r"""Binary cross-entropy with every label 1 or every label 0, after one of its two terms has
    vanished: :math:`\operatorname{BCE}(s, 1) = -\log \sigma(s) = \operatorname{softplus}(-s)`,
    :math:`\operatorname{BCE}(s, 0) = -\log(1 - \sigma(s)) = \operatorname{softplus}(s)`, the batch mean.
    Bit for bit :func:`reidlab.losses.classification.binary_cross_entropy_with_logits` with that
    target (tested), without its per-call checks of the target: in the chapters' training loops
    they took a good part of each step."""
    return F.softplus(-logits if label == 1 else logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r""":math:`L_D = \operatorname{BCE}(s(x), 1) + \operatorname{BCE}(s(G(z)), 0) = -V(D, G)`.

    For a real sample only the :math:`y` term of the cross-entropy is left,
    :math:`-\log \sigma(s)`; for a generated one only the :math:`1 - y` term,
    :math:`-\log(1 - \sigma(s))`.

    Args:
        real_logits: :math:`s(x)` on a batch of real samples, any shape.
        fake_logits: :math:`s(G(z))` on a batch of generated samples, any shape (the two batches
            may differ in size: each term is its own mean).
    """
    real = _logits(real_logits, "real_logits")
    fake = _logits(fake_logits, "fake_logits")
    return _bce(real, 1) + _bce(fake, 0)


def value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The game's value on a batch, :math:`V = \mathbb E[\log D(x)] + \mathbb E[\log(1 - D(G(z)))]`."""
    return -discriminator_loss(real_logits, fake_logits)


def generator_loss(fake_logits: torch.Tensor, form: GeneratorLoss = "non-saturating") -> torch.Tensor:
    r"""The generator's loss on :math:`s(G(z))`.

    * ``"saturating"``: :math:`\mathbb E[\log(1 - D(G(z)))] = -\operatorname{BCE}(s, 0)`, the
      minimax game as written;
    * ``"non-saturating"``: :math:`-\mathbb E[\log D(G(z))] = \operatorname{BCE}(s, 1)`, the fake
      labelled real, which Goodfellow et al. (2014) recommend in practice.
    """
    if form not in GENERATOR_LOSSES:
        raise ValueError(f"form must be one of {GENERATOR_LOSSES}, got {form!r}")
    fake = _logits(fake_logits, "fake_logits")
    return -_bce(fake, 0) if form == "saturating" else _bce(fake, 1)


def generator_logit_gradient(d_fake: torch.Tensor, form: GeneratorLoss = "non-saturating") -> torch.Tensor:
    r"""How hard one fake sample pulls: :math:`\partial \ell / \partial s` as a function of
    :math:`D = D(G(z)) = \sigma(s)` (per sample, before the batch mean).

    * saturating, :math:`\ell = \log(1 - \sigma(s))`: :math:`\partial \ell / \partial s = -D`, which
      vanishes as :math:`D \to 0`, exactly when the discriminator is winning;
    * non-saturating, :math:`\ell = -\log \sigma(s)`: :math:`\partial \ell / \partial s = -(1 - D)`,
      largest when :math:`D \to 0`.

    The gradient reaching the generator's weights is this times :math:`\partial s / \partial
    \theta_G`. Tested against autograd.
    """
    d = check_float_tensor(d_fake, "d_fake")
    if ((d < 0) | (d > 1)).any():
        raise ValueError("d_fake holds probabilities D(G(z)), which must lie in [0, 1]")
    if form == "saturating":
        return -d
    if form == "non-saturating":
        return -(1 - d)
    raise ValueError(f"form must be one of {GENERATOR_LOSSES}, got {form!r}")


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    r""":math:`D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))`, the best discriminator for a
    fixed generator (Goodfellow et al., 2014, Proposition 1), from the two densities at the same
    points. Where both densities are 0 it is undefined; this returns 1/2 there."""
    p_data = check_float_tensor(p_data, "p_data")
    p_g = check_float_tensor(p_g, "p_g")
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data {tuple(p_data.shape)} and p_g {tuple(p_g.shape)} must have one shape")
    if (p_data < 0).any() or (p_g < 0).any():
        raise ValueError("p_data and p_g are densities and must be non-negative")
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny), 0.5)


def optimal_value(p_data: torch.Tensor, p_g: torch.Tensor, dx: float) -> torch.Tensor:
    r""":math:`V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g)` (Goodfellow et al.,
    2014, Theorem 1), by the Riemann sum
    :math:`\sum_x [p_\text{data} \log D^* + p_g \log(1 - D^*)]\,\Delta x` over densities on a grid of
    spacing ``dx``."""
    d = optimal_discriminator(p_data, p_g)
    if dx <= 0:
        raise ValueError(f"dx must be a positive grid spacing, got {dx}")
    total = (p_data + p_g).clamp_min(torch.finfo(d.dtype).tiny)
    # 1 - D* as p_g / (p_data + p_g), not 1 - d: where p_g << p_data, 1 - d rounds to 0 (log -inf)
    terms = torch.xlogy(p_data, d) + torch.xlogy(p_g, p_g / total)  # 0 log 0 = 0
    return terms.sum() * dx


def jensen_shannon(p: torch.Tensor, q: torch.Tensor, dx: float) -> torch.Tensor:
    r"""The Jensen-Shannon divergence
    :math:`\mathrm{JSD}(p \,\|\, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m)`,
    :math:`m = (p + q)/2`, in nats, for densities on a grid of spacing ``dx`` (between 0 and
    :math:`\log 2`)."""
    p = check_float_tensor(p, "p")
    q = check_float_tensor(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p {tuple(p.shape)} and q {tuple(q.shape)} must have one shape")
    m = (p + q) / 2

    def kl(a: torch.Tensor) -> torch.Tensor:  # KL(a || m); 0 log 0 = 0
        return (torch.xlogy(a, a) - torch.xlogy(a, m)).sum() * dx

    return (kl(p) + kl(q)) / 2


# --- InfoGAN ---------------------------------------------------------------------------------


def info_loss(
    cat_logits: torch.Tensor | None,
    cat_codes: torch.Tensor | None,
    cont_mean: torch.Tensor | None = None,
    cont_codes: torch.Tensor | None = None,
    cont_std: float | torch.Tensor = 1.0,
    cont_weight: float = 1.0,
) -> torch.Tensor:
    r"""InfoGAN's information loss: :math:`-\mathbb E[\log Q(c \mid G(z, c))]` for the codes
    :math:`c` the generator was given (Chen et al., 2016).

    The categorical code's term is the cross-entropy of Q's logits against the code; each
    continuous code's term is the negative log-likelihood of a Gaussian with Q's mean and
    standard deviation ``cont_std`` (a number, or a tensor like ``cont_mean`` when Q predicts it):
    :math:`\tfrac12 (c - \mu)^2 / \sigma^2 + \log \sigma + \tfrac12 \log 2\pi`, summed over codes,
    averaged over the batch, times ``cont_weight``. Either part may be ``None``.

    Minimising it maximises the lower bound :math:`L_I = H(c) - \text{info\_loss} \le I(c; G(z, c))`
    (:func:`mutual_information_bound`).
    """
    parts = []
    if (cat_logits is None) != (cat_codes is None):
        raise ValueError("give both cat_logits and cat_codes, or neither")
    if (cont_mean is None) != (cont_codes is None):
        raise ValueError("give both cont_mean and cont_codes, or neither")
    if cat_logits is not None and cat_codes is not None:
        logits = check_float_tensor(cat_logits, "cat_logits", ndim=2)
        if not isinstance(cat_codes, torch.Tensor) or cat_codes.dtype != torch.int64:
            raise TypeError("cat_codes must be an int64 tensor of code values")
        if cat_codes.shape != logits.shape[:1]:
            raise ValueError(f"cat_codes must have shape ({len(logits)},), got {tuple(cat_codes.shape)}")
        log_q = logits.log_softmax(dim=1).gather(1, cat_codes[:, None])[:, 0]
        parts.append(-log_q.mean())
    if cont_mean is not None and cont_codes is not None:
        mean = check_float_tensor(cont_mean, "cont_mean", ndim=2)
        codes = check_float_tensor(cont_codes, "cont_codes", ndim=2)
        if codes.shape != mean.shape:
            raise ValueError(f"cont_codes must have the shape of cont_mean {tuple(mean.shape)}")
        std = torch.as_tensor(cont_std, dtype=mean.dtype)
        if std.shape not in ((), mean.shape) or not bool((std > 0).all()):
            raise ValueError(f"cont_std must be positive, a number or of shape {tuple(mean.shape)}")
        nll = 0.5 * ((codes - mean) / std) ** 2 + torch.log(std) + 0.5 * math.log(2 * math.pi)
        parts.append(cont_weight * nll.sum(dim=1).mean())
    if not parts:
        raise ValueError("info_loss needs a categorical or a continuous code")
    return torch.stack(parts).sum()


def mutual_information_bound(cat_logits: torch.Tensor, cat_codes: torch.Tensor) -> torch.Tensor:
    r"""The variational lower bound for a uniform categorical code of :math:`K` values,
    :math:`L_I = H(c) + \mathbb E[\log Q(c \mid x)] = \log K - \text{cross-entropy} \le I(c; x)`,
    in nats. It reaches :math:`\log K` when Q reads every code back with certainty."""
    return math.log(cat_logits.shape[1]) - info_loss(cat_logits, cat_codes)
