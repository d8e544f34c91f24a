"""Loss functions, one module per family; each module names the chapter that teaches it.

* :mod:`reidlab.losses.classification`: margin losses, their training weights, cross-entropy.
"""
