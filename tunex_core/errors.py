"""Exceptions shared across TuneX that must be importable without TensorFlow."""


class ModelFileError(FileNotFoundError):
    """The model file is missing or cannot be loaded."""
