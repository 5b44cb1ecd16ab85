"""``predict``: faces and emotions in image files.

TensorFlow is imported inside the handler only.
"""

from __future__ import annotations

import argparse
import json
import sys

from tunex_core.commands import add_json_option, fail

# The CLI reads files the user names on purpose, so it allows larger photos than uploads.
PREDICT_MAX_BYTES = 64 * 1024 * 1024
PREDICT_MAX_SIDE = 8192


def register(subparsers) -> None:
    """Add ``predict``."""
    predict_parser = subparsers.add_parser("predict", help="faces and emotions in image files")
    predict_parser.add_argument("images", nargs="+", metavar="IMAGE")
    add_json_option(predict_parser, last_line=True)
    predict_parser.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    predict_parser.add_argument("--baseline", nargs="+", default=None, metavar="RESTING_PHOTO",
                                help="photo(s) of the same person with a relaxed, neutral face: correct every "
                                     "reading for that person's resting-face bias")
    predict_parser.set_defaults(handler=run_predict)


def run_predict(arguments: argparse.Namespace) -> int:
    """Handler of ``predict``: every file is processed; any failure makes the exit status 1."""
    from tunex_core.emotions import EMOTION_NAMES
    from tunex_core.errors import ModelFileError
    from tunex_core.vision.calibration import calibrate_faces
    from tunex_core.vision.images import ImageError, decode_image, read_image_file
    from tunex_core.vision.pipeline import EmotionPipeline

    try:
        pipeline = EmotionPipeline.load(arguments.model)
    except ModelFileError as error:
        return fail(str(error))
    calibration = None
    if arguments.baseline:
        calibration, problem = _resting_face_calibration(pipeline, arguments.baseline)
        if problem:
            return fail(problem)
        print(f"calibrated to {', '.join(arguments.baseline)}: {calibration.describe()}")
        if warning := calibration.expression_warning():
            print(f"warning: {warning}", file=sys.stderr)
    results, failures = [], 0
    for name in arguments.images:
        entry: dict = {"file": name, "faces": [], "error": None}
        try:
            frame = decode_image(read_image_file(name, PREDICT_MAX_BYTES), max_bytes=PREDICT_MAX_BYTES,
                                 max_side=PREDICT_MAX_SIDE)
            faces = calibrate_faces(pipeline.process_photo(frame), calibration)
        except (OSError, ImageError, ValueError) as error:
            failures += 1
            entry["error"] = str(error)
            print(f"{name}: error: {error}", file=sys.stderr)
            results.append(entry)
            continue
        if not faces:
            print(f"{name}: no face found")
        for number, face in enumerate(faces, start=1):
            entry["faces"].append({
                "box": list(face.box), "label": face.label, "confidence": round(face.confidence, 4),
                "probabilities": {label: round(float(p), 4) for label, p in zip(EMOTION_NAMES, face.probabilities, strict=True)},
            })
            print(f"{name}: face {number} at {tuple(face.box)}: {face.label} ({face.confidence:.0%})")
        results.append(entry)
    if arguments.json:
        print(json.dumps({"results": results}))
    return 1 if failures else 0


def _resting_face_calibration(pipeline, photos: list[str]):
    """(calibration, None) from the largest face of each resting photo, or (None, one-line problem)."""
    from tunex_core.vision.calibration import RestingFaceCalibration
    from tunex_core.vision.images import ImageError, decode_image, read_image_file

    readings = []
    for name in photos:
        try:
            frame = decode_image(read_image_file(name, PREDICT_MAX_BYTES), max_bytes=PREDICT_MAX_BYTES,
                                 max_side=PREDICT_MAX_SIDE)
            faces = pipeline.process_photo(frame)
        except (OSError, ImageError, ValueError) as error:
            return None, f"resting photo {name}: {error}"
        if not faces:
            return None, (f"resting photo {name}: no face found; use a well-lit, frontal photo of the same "
                          f"person with a relaxed, neutral face")
        readings.append(faces[0].probabilities)  # the largest face
    return RestingFaceCalibration.fit(readings), None
