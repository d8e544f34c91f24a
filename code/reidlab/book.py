"""Helpers for the chapter notebooks themselves: numbers into the prose, and claims checked.

* :func:`glue` hands a number computed in a cell to the prose around it
  (``{glue:text}`name``` in MyST), so no figure in the text is typed from memory.
* :func:`claim` checks, in a hidden cell, that a sentence of the prose is still true of the
  numbers the chapter computed: "L1 beats L2 on every seed" becomes
  ``claim("l1-beats-l2", all(...), "L1's SSIM above L2's on every seed")``. The sentence carries
  the same name in a MyST comment (``% claim: l1-beats-l2``); README's *Writing a chapter*
  describes the convention and ``tests/test_build.py`` enforces it.

When the book is built (``make``, which sets ``REIDLAB_STRICT_CLAIMS=1``) a claim that no longer
holds raises :class:`ClaimError` and the build fails, naming the claim. A reader who runs a
chapter on Colab or in Jupyter and changes a seed gets a warning instead, and can go on.
"""

from __future__ import annotations

import os
import warnings


class ClaimError(AssertionError):
    """A sentence of a chapter says something its own results no longer show."""


class ClaimWarning(UserWarning):
    """As :class:`ClaimError`, outside the book build: the reader's changes changed a result."""


def glue(name: str, value: object) -> None:
    """Make ``value`` available to the chapter's text as ``name`` (hidden in the cell output).
    Outside the book build (Colab, plain Jupyter) myst-nb may be missing; then it does nothing."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab or bare Jupyter: the text shows no numbers to fill in
        return
    myst_glue(name, value, display=False)


def claim(name: str, holds: object, what: str) -> None:
    """Check that the claim ``name`` of the prose holds: ``holds`` must be true.

    Args:
        name: the claim's name, as in the ``% claim: name`` comment above its sentence.
        holds: the check, on the values the chapter computed (a bool, or a one-element tensor).
        what: what is checked, in words, for the error message.
    """
    if bool(holds):
        return
    message = (
        f"claim {name!r} no longer holds: {what}. The chapter's text says so, but its results "
        "do not show it any more; change the text or find out what changed."
    )
    if os.environ.get("REIDLAB_STRICT_CLAIMS") == "1":
        raise ClaimError(message)
    warnings.warn(message, ClaimWarning, stacklevel=2)
