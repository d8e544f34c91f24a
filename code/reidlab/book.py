"""Helpers for the chapter notebooks themselves.

:func:`glue` hands a number computed in a cell to the prose around it (``{glue:text}`name```
in MyST), so no figure in the text is typed from memory. Outside the book build (Colab, plain
Jupyter) myst-nb may be missing; then it does nothing.
"""

from __future__ import annotations


def glue(name: str, value: object) -> None:
    """Make ``value`` available to the chapter's text as ``name`` (hidden in the cell output)."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab or bare Jupyter: the text shows no numbers to fill in
        return
    myst_glue(name, value, display=False)
