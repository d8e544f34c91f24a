"""Figures of the book, one module per chapter, each a pure function of its parameters.

Chapters call these (often through :func:`reidlab.explore.explorable`); a teacher can call them
to reuse a figure elsewhere. Each returns a matplotlib ``Figure`` and draws nothing else.
"""
