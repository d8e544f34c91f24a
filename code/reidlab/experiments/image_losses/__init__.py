"""The experiments of the chapter *L1, L2, Huber and SSIM*: robust line fits
(:mod:`.linefit`), distortions of equal MSE (:mod:`.distortions`) and small image models trained
under each loss (:mod:`.restore`)."""
