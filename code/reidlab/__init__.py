"""reidlab: the tested building blocks behind the ReID study book.

One module per idea, each naming the chapter that teaches it. Import modules directly, e.g.
``from reidlab.distances import pairwise_distances``.
"""

__version__ = "0.1.0"
