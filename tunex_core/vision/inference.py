"""Fast batch inference for the emotion CNN.

``model.predict`` costs 50-120 ms per call on a 2-core CPU, far too slow per
video frame. ``EmotionClassifier`` instead calls the network through a
``tf.function`` traced once for a variable batch size (graph mode, no Keras
call overhead), or through a LiteRT (TFLite) interpreter when one is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tunex_core.emotions import NUM_EMOTIONS
from tunex_core.vision.faces import FACE_SIZE
from tunex_core.vision.pool import ObjectPool

# Threads per LiteRT interpreter. Sessions analyse in parallel on their own threads, so one
# thread each avoids oversubscribing the cores (measured with bench/concurrency_bench.py).
LITERT_THREADS = 1
# Interpreters (and Haar cascades) kept for reuse while idle; more are made on demand and dropped
# when returned to a full pool. As many as live sessions are analysed at once by default (4), so
# that they are not made again and again (each costs ~10 ms and ~10 MB).
IDLE_ENGINES = 4


class EmotionClassifier:
    """Classifies batches of 48x48 grayscale faces into the 7 FER emotions."""

    def __init__(self, predict_batch, backend: str, temperature: float = 1.0):
        self._predict_batch = predict_batch
        self.backend = backend
        self.temperature = float(temperature)
        self.engines: ObjectPool | None = None  # the LiteRT interpreters, when there is a pool of them

    @classmethod
    def from_keras_model(cls, model, temperature: float = 1.0) -> EmotionClassifier:
        """Wrap a loaded Keras model in a ``tf.function`` with a fixed input signature."""
        import tensorflow as tf

        @tf.function(input_signature=[tf.TensorSpec([None, FACE_SIZE, FACE_SIZE, 1], tf.float32)],
                     reduce_retracing=True)
        def logits_free_forward(faces):
            return model(faces, training=False)

        def predict_batch(faces: np.ndarray) -> np.ndarray:
            return logits_free_forward(tf.constant(faces)).numpy()

        return cls(predict_batch, backend="tensorflow", temperature=temperature)

    @classmethod
    def from_tflite(cls, path: str | Path, temperature: float = 1.0, threads: int | None = None,
                    max_interpreters: int | None = None) -> EmotionClassifier:
        """Run a ``.tflite`` export through LiteRT interpreters (one face per invocation).

        An interpreter must not be used by two threads at once, so each call borrows one from a
        pool (a new one is made when all are busy, up to ``max_interpreters``; then calls wait).
        ``threads`` is each interpreter's thread count (default ``LITERT_THREADS``).
        """
        from ai_edge_litert.interpreter import Interpreter

        model_bytes, thread_count = Path(path).read_bytes(), threads or LITERT_THREADS

        def new_interpreter():
            # Interpreters made from one bytes object share the model's weights (~10 MB each, not 18).
            interpreter = Interpreter(model_content=model_bytes, num_threads=thread_count)
            interpreter.allocate_tensors()
            return interpreter

        interpreters = ObjectPool(new_interpreter, max_size=max_interpreters, max_idle=IDLE_ENGINES,
                                  first=new_interpreter())
        with interpreters.borrow() as interpreter:
            input_index = interpreter.get_input_details()[0]["index"]
            output_index = interpreter.get_output_details()[0]["index"]

        def predict_batch(faces: np.ndarray) -> np.ndarray:
            outputs = np.empty((faces.shape[0], NUM_EMOTIONS), dtype=np.float32)
            with interpreters.borrow() as interpreter:
                for row in range(faces.shape[0]):
                    interpreter.set_tensor(input_index, faces[row: row + 1])
                    interpreter.invoke()
                    outputs[row] = interpreter.get_tensor(output_index)[0]
            return outputs

        classifier = cls(predict_batch, backend="litert", temperature=temperature)
        classifier.engines = interpreters
        return classifier

    def predict(self, faces: np.ndarray, flip_average: bool = False, tta: str | None = None) -> np.ndarray:
        """Probabilities (N, 7) for faces shaped (N, 48, 48) or (N, 48, 48, 1), uint8 or float 0..255.

        Test-time augmentation averages the predictions of several views of each
        face: ``tta="flip"`` (or ``flip_average=True``) the face and its mirror
        image; ``tta="shift"`` those two, each also shifted by ``SHIFT_PIXELS`` in
        the four directions (10 views).
        """
        batch = np.asarray(faces)
        if batch.ndim == 3:
            batch = batch[..., None]
        if batch.ndim != 4 or batch.shape[1:] != (FACE_SIZE, FACE_SIZE, 1):
            raise ValueError(f"faces must have shape (N, 48, 48[, 1]); got {np.shape(faces)}")
        if batch.shape[0] == 0:
            return np.zeros((0, NUM_EMOTIONS))
        mode = tta or ("flip" if flip_average else None)
        if mode not in TTA_MODES:
            raise ValueError(f"unknown test-time augmentation {tta!r}; choose one of {', '.join(TTA_MODES[1:])}")
        views = test_time_views(np.asarray(batch, dtype=np.float32), mode)
        probabilities = np.mean([self._predict_batch(np.ascontiguousarray(view)).astype(np.float64)
                                 for view in views], axis=0)
        return calibrate(probabilities, self.temperature)

    def predict_in_batches(self, faces: np.ndarray, batch_size: int = 256, flip_average: bool = False,
                           tta: str | None = None) -> np.ndarray:
        """``predict`` over a large array in chunks (for evaluation)."""
        chunks = [self.predict(faces[start: start + batch_size], flip_average=flip_average, tta=tta)
                  for start in range(0, len(faces), batch_size)]
        return np.concatenate(chunks) if chunks else np.zeros((0, NUM_EMOTIONS))


TTA_MODES = (None, "flip", "shift")
SHIFT_PIXELS = 2
# What each test-time augmentation averages, in words (the Model page and the model card).
TTA_VIEWS = {None: "one view of the face", "flip": "the face and its mirror image",
             "shift": f"the face and its mirror image, each also shifted by {SHIFT_PIXELS} px in four directions"
                      " (10 views)"}


def test_time_views(batch: np.ndarray, mode: str | None) -> list[np.ndarray]:
    """The views of a (N, 48, 48, 1) batch that test-time augmentation ``mode`` averages over."""
    if mode is None:
        return [batch]
    views = [batch, batch[:, :, ::-1, :]]
    if mode == "shift":
        padded = [np.pad(view, ((0, 0), (SHIFT_PIXELS,) * 2, (SHIFT_PIXELS,) * 2, (0, 0)), mode="edge")
                  for view in views[:2]]
        size, offset = FACE_SIZE, SHIFT_PIXELS
        for view in padded:
            for top, left in ((0, offset), (2 * offset, offset), (offset, 0), (offset, 2 * offset)):
                views.append(view[:, top: top + size, left: left + size, :])
    return views


def calibrate(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature-scale softmax outputs (T > 1 softens, T < 1 sharpens); rows sum to 1.

    Raises ``ValueError`` for a temperature that is not a finite positive number.
    """
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite positive number, got {temperature!r}")
    probabilities = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0)
    if temperature != 1.0:
        logits = np.log(probabilities) / temperature
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
    return probabilities / probabilities.sum(axis=1, keepdims=True)
