"""reidlab: the tested building blocks behind the ReID study book.

One module per idea, each naming the chapter that teaches it. Import modules directly, e.g.
``from reidlab.distances import pairwise_distances``.

Importing the package makes torch compute on one thread (``REIDLAB_THREADS=n`` for more), so a
chapter prints the same numbers on any number of cores, and makes idle worker threads sleep
rather than spin (unless you set ``OMP_WAIT_POLICY`` yourself): see :mod:`reidlab.cpu` for why,
with measurements. The wait policy only takes effect if ``reidlab`` is imported before ``torch``,
as the chapters do.
"""

import os

from reidlab.cpu import WAIT_POLICY, use_book_threads

os.environ.setdefault(*WAIT_POLICY)  # before torch loads its OpenMP runtime, which reads it once
use_book_threads()

__version__ = "0.1.0"
