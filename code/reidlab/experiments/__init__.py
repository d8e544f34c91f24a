"""What each chapter trains and measures, one module per chapter, named after it:
``chapters/x.md`` -> ``reidlab/experiments/x.py`` -> ``reidlab/figures/x.py``. An experiment
imports building blocks and worlds, and no other chapter's experiment except where its chapter
builds on that one (triplets on siamese, attention on video).
"""
