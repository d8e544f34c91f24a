r"""Mean ± standard deviation over seeds, and the text tables of per-seed results.

Every chapter repeats its experiments on several seeds and reports the mean and the **sample
standard deviation**, the one that divides by :math:`n - 1` (NumPy's ``std(ddof=1)``, PyTorch's
``std()``, :func:`statistics.stdev`):

.. math:: \bar x = \frac{1}{n} \sum_{i=1}^{n} x_i, \qquad
   s = \sqrt{\frac{1}{n - 1} \sum_{i=1}^{n} (x_i - \bar x)^2} \quad (n \ge 2).

The arithmetic is float64 whatever comes in: a float32 tensor is widened first, so its mean or
standard deviation may differ in the last printed digit from one computed in float32.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

#: Between two columns of a table (before the ``mean ± sd`` column after the seeds: one more).
GAP = "  "
Body = list[tuple[str, list[str]]]  # a table's rows: (label, cells)


def _floats(values: object, name: str, ndim: int = 1) -> np.ndarray:
    """``values`` (numbers: a sequence, array or tensor) as a non-empty float64 array, ``ndim``-D."""
    if hasattr(values, "detach"):  # a torch tensor, without importing torch
        values = values.detach().cpu().numpy()
    try:
        a = np.asarray(values)
    except (TypeError, ValueError) as e:  # ragged lists
        raise TypeError(f"{name} must be numbers, got {type(values).__name__}") from e
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numbers, got {type(values).__name__} of {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    return a.astype(np.float64)


def _mean_and_sd(values: object, name: str) -> tuple[float, float]:
    x = _floats(values, name)
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    n = x.size
    if n < 2:
        raise ValueError(f"need at least 2 values for a standard deviation, {name} has {n}")
    mean = x.sum() / n  # x̄ = Σ x_i / n
    if (x == x[0]).all():  # exactly 0, where x̄'s rounding would leave ~1e-17
        return float(mean), 0.0
    d = x - mean
    return float(mean), math.sqrt(float((d * d).sum()) / (n - 1))  # s = √(Σ (x_i − x̄)² / (n − 1))


def _format(x: float, fmt: object, name: str) -> str:
    if not isinstance(fmt, str):
        raise TypeError(f"{name} must be a format string such as '.3f', got {type(fmt).__name__}")
    try:
        return format(x, fmt)
    except ValueError as e:
        raise ValueError(f"{name} {fmt!r} does not format a number: {e}") from e


def _mean_sd(values: object, fmt: str, sd_fmt: str | None, sep: str, name: str) -> str:
    mean, sd = _mean_and_sd(values, name)
    text = _format(mean, fmt, "fmt")
    if sd_fmt is None:  # fmt's precision and type, without its sign or width: "+7.3f" -> ".3f"
        sd_fmt = fmt[fmt.index(".") :] if "." in fmt else fmt.lstrip("+- 0123456789")
    return f"{text}{sep}{_format(sd, sd_fmt, 'sd_fmt')}"


def sample_sd(values: object) -> float:
    """The sample standard deviation :math:`s` of ``values`` (see the module's formula), in float64.
    ``ValueError`` for fewer than 2 values, NaN or infinity; ``TypeError`` for what is not numbers."""
    return _mean_and_sd(values, "values")[1]


def mean_sd(values: object, fmt: str = ".3f", *, sd_fmt: str | None = None, sep: str = " ± ") -> str:
    """``"0.600 ± 0.141"``: the mean of ``values`` formatted by ``fmt``, ``sep``, and their sample
    standard deviation by ``sd_fmt``, by default ``fmt`` without sign or width (``"+.3f"`` ->
    ``".3f"``, ``".0%"`` -> ``".0%"``)."""
    return _mean_sd(values, fmt, sd_fmt, sep, "values")


def seed_table(
    rows: Mapping[str, object] | Iterable[tuple[str, object]],
    seeds: Sequence[int] | None = None,
    *,
    columns: Sequence[str] | None = None,
    summary: bool = False,
    by_seed: bool = False,
    fmt: str | Sequence[str] = ".3f",
    sep: str = " ± ",
    label: str = "",
    label_width: int = 0,
    width: int = 0,
) -> str:
    """Results over seeds as a text table, a row per entry of ``rows`` (a mapping, or ``(label,
    values)`` pairs when labels repeat), in one of three shapes:

    * by default ``values`` holds one number per seed, and the table has a column per seed
      (``seed 0``, ...), all of one width; ``summary`` adds the row's ``mean ± sd`` after them;
    * with ``columns``, ``values`` is ``(seeds, len(columns))`` and each cell the ``mean ± sd``
      of its column (``fmt``: one format, or one per column; ``seeds`` only checks the count);
    * ``by_seed`` turns the first shape around: a row per seed, a column per entry of ``rows``.

    The label column, headed ``label`` (``by_seed``: ``seed``), is left-aligned (``by_seed``:
    right) and at least ``label_width`` wide; number columns are right-aligned, at least ``width``
    wide and as wide as their widest cell or header, two spaces apart. Ints in a list or tuple
    print as ints, other numbers by ``fmt``.
    """
    items = [(str(k), v) for k, v in (rows.items() if isinstance(rows, Mapping) else rows)]
    if not items:
        raise ValueError("rows must name at least one row")
    if columns is not None:
        if summary or by_seed:
            raise ValueError("columns already gives mean ± sd cells: no summary, no by_seed")
        fmts = [fmt] * len(columns) if isinstance(fmt, str) else list(fmt)
        if len(fmts) != len(columns):
            raise ValueError(f"fmt must be one format or {len(columns)}, one per column; got {len(fmts)}")
        body = []
        for name, values in items:
            a = _floats(values, where := f"rows[{name!r}]", ndim=2)
            if a.shape[1] != len(columns) or (seeds is not None and a.shape[0] != len(seeds)):
                n = "seeds" if seeds is None else len(seeds)
                raise ValueError(f"{where} has shape {a.shape}, need ({n}, {len(columns)})")
            body.append((name, [_mean_sd(a[:, j], f, None, sep, where) for j, f in enumerate(fmts)]))
        return _layout(label, list(columns), body, label_width, width)
    if seeds is None or not isinstance(fmt, str) or (summary and by_seed):
        raise ValueError("one value per seed needs seeds, one fmt, and not both summary and by_seed")
    seeds, body = list(seeds), []
    for name, values in items:
        a = _floats(values, f"rows[{name!r}]")
        if len(a) != len(seeds):
            raise ValueError(f"row {name!r} has {len(a)} values for {len(seeds)} seeds: need one per seed")
        kept = values if isinstance(values, (list, tuple)) else a  # a list keeps its ints
        body.append((name, [_cell(x, y, fmt) for x, y in zip(kept, a, strict=True)]))
    if by_seed:
        turned = [(str(s), [cells[i] for _, cells in body]) for i, s in enumerate(seeds)]
        return _layout(label or "seed", [name for name, _ in body], turned, label_width, width, right=True)
    table = _layout(label, [f"seed {s}" for s in seeds], body, label_width, width, shared=True)
    if not summary:
        return table
    sums = ["mean ± sd"] + [_mean_sd(v, fmt, None, sep, f"rows[{name!r}]") for name, v in items]
    return "\n".join(f"{line}{GAP} {s}" for line, s in zip(table.split("\n"), sums, strict=True))


def _cell(given: object, x: float, fmt: str) -> str:
    return f"{given:d}" if isinstance(given, int) else _format(x, fmt, "fmt")


def _layout(
    label: str, heads: list[str], body: Body, lw: int, w: int, shared: bool = False, right: bool = False
) -> str:
    """A header of ``heads`` and a row per ``(label, cells)`` of ``body``: the label column at least
    ``lw`` wide, the others ``w``, all as wide as their widest entry (``shared``: one width)."""
    lw = max(lw, len(label), *(len(name) for name, _ in body))
    widths = [max(w, len(h), *(len(cells[j]) for _, cells in body)) for j, h in enumerate(heads)]
    if shared:
        widths = [max(widths)] * len(widths)
    lines = []
    for name, cells in [(label, heads), *body]:
        first = name.rjust(lw) if right else name.ljust(lw)
        lines.append(first + "".join(GAP + c.rjust(n) for c, n in zip(cells, widths, strict=True)))
    return "\n".join(lines)
