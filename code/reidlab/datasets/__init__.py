"""Readers for the real ReID data sets, and writers that put the toy world on disk in their layouts.

For the capstone chapter, *From the toy world to Market-1501*: the chapters train and score on the
toy world (:mod:`reidlab.worlds.pedestrians`, :mod:`reidlab.worlds.walking`); these readers give the same
``pids`` and ``camids`` for the data sets the field reports on, so that
:func:`reidlab.evaluation.evaluate_rank` and the training code run on them unchanged.

* :mod:`~reidlab.datasets.market1501`: Market-1501 (Zheng et al., ICCV 2015);
* :mod:`~reidlab.datasets.dukemtmc`: DukeMTMC-reID (Zheng et al., ICCV 2017; Ristani et al., 2016);
* :mod:`~reidlab.datasets.mars`: MARS, video tracklets (Zheng et al., ECCV 2016);
* :mod:`~reidlab.datasets.records`: what they return.

**What a reader returns.** A :class:`~reidlab.datasets.records.Splits` of ``train``, ``query`` and
``gallery`` records: file paths (for MARS, a list of frame files per tracklet) with ``pids`` and
``camids`` as ``(N,)`` int64 tensors. Pixels are loaded on demand, in batches shaped like the toy
world's tensors (``records.load(indices, size)``), through a ``torch.utils.data.Dataset``
(``records.dataset(size)``), or all at once as a toy-world ``ReidSet`` / ``ClipSet``
(``records.to_reidset(size)``, or ``splits.to_reidsets(size)`` for all three, for small sets). Why
not tensors, as the toy world has: Market-1501's 32,668 images of 128 x 64 would take 3 GB as
float32, and MARS's 1,191,003 frames over 100 GB even at that size.

**The protocol** is the one torchreid (``torchreid/data/datasets/image/market1501.py``,
``dukemtmcreid.py``, ``video/mars.py``) and fast-reid (``fastreid/data/datasets/market1501.py``,
``dukemtmcreid.py``) follow, checked against the counts published with each data set: junk
(person -1) dropped, distractors (person 0) kept in the gallery, cameras 0-based, training ids
relabelled to 0..N-1 (in increasing order of the original id: torchreid numbers them in the order
of a Python set, fast-reid in the order of sorted strings; which images share a label is the same),
query and gallery ids left as they are. This is our own code, written from reading theirs; each
module says where it follows them and where it is stricter:

* files in a split folder that do not end in ``.jpg`` or ``.jpeg`` (any case) are not images
  (a folder copied from Windows or macOS can carry ``Thumbs.db`` or ``.DS_Store``): ignored, as
  torchreid's ``*.jpg`` glob ignores them, and listed in ``Splits.ignored``;
* a ``.jpg`` whose name does not parse, or names a camera the data set does not have, is a
  ``ValueError`` naming the file and the expected pattern (torchreid asserts on the camera and
  searches the whole path with a looser pattern);
* a missing root, split folder or info file is a ``FileNotFoundError`` naming the path; an empty
  split (or one with only junk) is a ``ValueError``;
* a file that cannot be decoded is a ``ValueError`` naming it when it is loaded; ``verify=True``
  decodes every file while reading, to find them all up front.

A reader returns only when every split has read cleanly: nothing is ever half-loaded.

**Writers.** :func:`write_market1501`, :func:`write_dukemtmc` and :func:`write_mars` put the toy
world (:func:`~reidlab.worlds.pedestrians.toy_reid`, :func:`~reidlab.worlds.walking.toy_video`) on disk as
JPEGs with real-pattern names, optionally with junk and distractors, so the readers are tested on
exactly the real layouts, and the chapter can read the toy pedestrians back as if they were
Market-1501. Nothing is downloaded.

Left out: other data sets (CUHK03, MSMT17), Market-1501's 500,000 extra distractors, random frame
sampling for training on tracklets (``TrackletRecords.load`` takes evenly spaced frames; a
training sampler can pick its own from ``paths(i)``), and any preprocessing beyond a resize.
"""

from reidlab.datasets.dukemtmc import read_dukemtmc, write_dukemtmc
from reidlab.datasets.market1501 import read_market1501, write_market1501
from reidlab.datasets.mars import read_mars, write_mars
from reidlab.datasets.records import ImageRecords, Splits, TrackletRecords, load_image

__all__ = [
    "ImageRecords",
    "Splits",
    "TrackletRecords",
    "load_image",
    "read_dukemtmc",
    "read_market1501",
    "read_mars",
    "write_dukemtmc",
    "write_market1501",
    "write_mars",
]
