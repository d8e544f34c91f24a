"""The synthetic worlds the chapters run on, each generated from a seed (nothing is downloaded).
A world imports building blocks at most, never an experiment.

* :mod:`~reidlab.worlds.vectors`: feature vectors and points;
* :mod:`~reidlab.worlds.images`: grey test images and shapes;
* :mod:`~reidlab.worlds.captions`: captioned images of coloured shapes;
* :mod:`~reidlab.worlds.shapes`: labelled shapes with true factors (scale, rotation);
* :mod:`~reidlab.worlds.pedestrians`: cartoon pedestrians seen by several cameras;
* :mod:`~reidlab.worlds.walking`: the pedestrians on the move, as clips.
"""
