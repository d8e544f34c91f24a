"""Loss functions, one module per family; each module names the chapter that teaches it.

* :mod:`reidlab.losses.classification`: margin losses, their training weights, cross-entropy.
* :mod:`reidlab.losses.regression`: L1, L2 and Huber, and their reweighting weights.
* :mod:`reidlab.losses.ssim`: SSIM and MS-SSIM.
* :mod:`reidlab.losses.metric`: losses on distances between embeddings (contrastive, triplet,
  quadruplet).
* :mod:`reidlab.losses.adversarial`: the discriminator and generator losses of a GAN, and
  InfoGAN's mutual-information term.
"""
