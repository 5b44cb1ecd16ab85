"""Recognising emotions in frames: face detection, image decoding, the CNN, inference, the pipeline and drawing."""
