"""Helpers for the chapter notebooks themselves: numbers into the prose, claims checked, seeds.

* :func:`glue` hands a number computed in a cell to the prose around it
  (``{glue:text}`name``` in MyST), so no figure in the text is typed from memory.
* :func:`claim` checks, in a hidden cell, that a sentence of the prose is still true of the
  numbers the chapter computed: "L1 beats L2 on every seed" becomes
  ``claim("l1-beats-l2", (l1 > l2).all(), "L1's SSIM above L2's on every seed",
  values={"L1": l1, "L2": l2})``. The sentence carries the same name in a MyST comment
  (``% claim: l1-beats-l2``); README's *Writing a chapter* describes the convention and
  ``tests/test_claims.py`` enforces it.
* :func:`seeds` gives a chapter its training seeds, so that the robustness command
  (``make robustness``) can run the whole book again on other seeds.

What happens when a claim does not hold depends on where the chapter runs:

* **in a book build** (``REIDLAB_BOOK_BUILD=1``, set by ``make``) the failure is glued to the page
  as ``claim-not-held:<name>``; the book's Sphinx extension (``_ext/claims.py``) turns it into a
  visible note at the claim's paragraph, or, in a strict build (``make test``, CI), an error;
* **elsewhere** (Jupyter, Binder, Colab) it warns, so a reader who changed a seed can go on;
  with ``REIDLAB_STRICT_CLAIMS=1`` or ``CI`` set it raises :class:`ClaimError`.

A chaotic training run on another CPU, thread count or kernel path follows another trajectory:
to such a run another machine is another seed. A claim must hold on all of them, so it is
written about what is stable (a mean with its spread, "on most seeds"), and the values it
depends on are passed as ``values`` so a reader can see them whenever it fails.

``REIDLAB_CLAIMS_LOG=<file>`` appends every claim and glued value as a line of JSON (used by
``benchmarks/robustness.py``).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping

#: The glue key prefix of a claim that did not hold; ``_ext/claims.py`` looks for it.
NOT_HELD = "claim-not-held:"


class ClaimError(AssertionError):
    """A sentence of a chapter says something its own results no longer show."""


class ClaimWarning(UserWarning):
    """As :class:`ClaimError`, outside a strict run: the reader's changes changed a result."""


def strict() -> bool:
    """Whether a claim that does not hold must fail the run: ``REIDLAB_STRICT_CLAIMS=1`` or a CI
    machine (``CI`` set to anything but ``0``/``false``/empty), unless
    ``REIDLAB_STRICT_CLAIMS=0`` says otherwise."""
    flag = os.environ.get("REIDLAB_STRICT_CLAIMS", "")
    if flag in ("0", "1"):
        return flag == "1"
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def seeds(n: int) -> range:
    """The ``n`` training seeds of a chapter: ``0 .. n-1``, shifted by ``REIDLAB_SEED_OFFSET``
    (the robustness command's "other seeds" machine)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    offset = int(os.environ.get("REIDLAB_SEED_OFFSET", "0"))
    return range(offset, offset + n)


def _plain(value: object) -> object:
    """A JSON-friendly copy of a number, a tensor or array (as nested lists), or a string."""
    if hasattr(value, "tolist"):  # torch.Tensor, np.ndarray, numpy scalars
        value = value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def _short(value: object) -> str:
    """``value`` as a reader would write it: 3 significant digits, lists in brackets."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    return str(value)


def describe(values: Mapping[str, object]) -> str:
    """The values a claim rests on, in one line: ``a = 0.5; b = [0.1, 0.2]``."""
    return "; ".join(f"{k} = {_short(_plain(v))}" for k, v in values.items())


def _log(record: dict[str, object]) -> None:
    path = os.environ.get("REIDLAB_CLAIMS_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


def _myst_glue(name: str, value: object) -> None:
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab or bare Jupyter: the text shows no numbers to fill in
        return
    myst_glue(name, value, display=False)


def glue(name: str, value: object) -> None:
    """Make ``value`` available to the chapter's text as ``name`` (hidden in the cell output).
    Outside the book build (Colab, plain Jupyter) myst-nb may be missing; then it does nothing."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()  # a NumPy scalar or 0-d tensor: myst-nb formats only plain numbers
    _log({"kind": "glue", "name": name, "value": _plain(value)})
    _myst_glue(name, value)


def claim(name: str, holds: object, what: str, *, values: Mapping[str, object]) -> None:
    """Check that the claim ``name`` of the prose holds: ``holds`` must be true.

    Args:
        name: the claim's name, as in the ``% claim: name`` comment above its sentence.
        holds: the check, on the values the chapter computed (a bool, or a one-element tensor).
        what: what is checked, in words (shown in the note and the error).
        values: the numbers the check looks at, by name (numbers, tensors, arrays, lists);
            shown with the failure, so a reader sees why it failed on their machine.
    """
    if not isinstance(values, Mapping) or not values:
        raise TypeError(f"values must be a non-empty mapping of name -> number, got {values!r}")
    ok = bool(holds)
    _log({"kind": "claim", "name": name, "holds": ok, "what": what, "values": _plain(dict(values))})
    if ok:
        return
    shown = describe(values)
    message = f"claim {name!r} does not hold: {what}. This run: {shown}"
    if os.environ.get("REIDLAB_BOOK_BUILD") == "1":  # the build shows it at the sentence
        _myst_glue(NOT_HELD + name, json.dumps({"what": what, "values": shown}))
        return
    if strict():
        raise ClaimError(message)
    warnings.warn(
        message + ". The text says so; its results here do not show it.", ClaimWarning, stacklevel=2
    )
