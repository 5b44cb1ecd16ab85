"""Training recipe choices that the command line offers; importable without TensorFlow."""

from __future__ import annotations

DISTILL_MODES = {
    # the teachers see each augmented batch (one forward pass per teacher per step)
    "online": "their predictions on each augmented batch",
    # computed once on the clean training faces: each face's target is the mean of the readings of the
    # face and of its mirror image, whichever the student is shown
    "offline": "their flip-averaged predictions on the clean faces, computed once",
    # computed once on the clean faces and on their mirror images, kept apart: a face shown mirrored is
    # trained on the teachers' reading of the mirror image (to test whether flip-averaged targets are what cost
    # distilled students flip TTA's gain)
    "offline-per-view": "their predictions on the clean face or its mirror image, whichever the student sees, "
                        "computed once",
}
