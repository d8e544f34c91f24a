"""reidlab.experiments.image_losses.linefit: IRLS reaches the true minimiser of each loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from reidlab.experiments.image_losses.linefit import fit_line
from reidlab.losses.regression import huber_loss
from reidlab.worlds.vectors import line_with_outliers


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_l2_is_least_squares(seed: int) -> None:
    x, y, _ = line_with_outliers(n_outliers=2, offset=7.0, seed=seed)
    a, b = fit_line(x, y, "L2")
    design = torch.stack([x, torch.ones_like(x)], dim=1)
    ref = torch.linalg.lstsq(design, y[:, None]).solution.flatten()
    assert (a, b) == pytest.approx(ref.tolist(), abs=1e-10)


@pytest.mark.parametrize("loss", ["L1", "Huber"])
@pytest.mark.parametrize("seed", [0, 1])
def test_robust_fits_minimise_their_loss(loss: str, seed: int) -> None:
    """Compare with a direct minimisation of the same objective (Nelder-Mead, float64)."""
    x, y, _ = line_with_outliers(n_outliers=3, offset=10.0, seed=seed)
    xn, yn = x.numpy(), y.numpy()

    def objective(p: np.ndarray) -> float:
        pred = torch.from_numpy(p[0] * xn + p[1])
        if loss == "L1":
            return float(np.abs(yn - p[0] * xn - p[1]).sum())
        return huber_loss(pred, y, delta=1.0, reduction="sum").item()

    ref = minimize(
        objective,
        [0.0, 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    ours = np.array(fit_line(x, y, loss))
    assert objective(ours) <= ref.fun + 1e-7
    assert ours == pytest.approx(ref.x, abs=1e-4)


def test_robust_fits_resist_outliers_and_l2_does_not() -> None:
    x, y, _ = line_with_outliers(n_outliers=3, offset=12.0)
    assert abs(fit_line(x, y, "L1")[0] - 0.5) < 0.15
    assert abs(fit_line(x, y, "Huber")[0] - 0.5) < 0.15
    assert fit_line(x, y, "L2")[0] > 0.9


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        fit_line(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="slope is undefined"):
        fit_line(torch.ones(3), torch.arange(3.0))
    with pytest.raises(ValueError, match="loss must be"):
        fit_line(torch.arange(3.0), torch.arange(3.0), loss="l0")


def test_descend_to_constant_settles_on_the_mean_under_l2_and_chatters_under_l1() -> None:
    from reidlab.experiments.image_losses.linefit import descend_to_constant

    y = torch.tensor([0.0, 1.0, 5.0], dtype=torch.float64)
    l2 = descend_to_constant(y, "L2", lr=0.1, steps=200)
    assert l2[-1].item() == pytest.approx(2.0, abs=1e-9) and l2.shape == (200,)
    l1 = descend_to_constant(y, "L1", lr=0.1, steps=200)
    assert abs(l1[-1].item() - 1.0) <= 0.1 and l1[-20:].std() > 0  # near the median, never still
    with pytest.raises(ValueError, match="'L1' or 'L2'"):
        descend_to_constant(y, "Huber")
