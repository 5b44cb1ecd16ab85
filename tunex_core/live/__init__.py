"""The live camera session: per-face tracking and smoothing of the pipeline's readings over time."""
