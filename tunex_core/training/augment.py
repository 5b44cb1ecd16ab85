"""Training-time augmentation of face batches: flips, affine moves, light, erasing, and webcam degradations.

``augment_batch`` applies a run's ``augment`` settings (``TrainConfig.augment``) to a batch;
``WEBCAM_AUGMENT`` is what ``train --webcam-augment`` adds to them.
"""

from __future__ import annotations

import math

import tensorflow as tf

# What ``--webcam-augment`` adds to the default augmentation: what live frames do to a face.
WEBCAM_AUGMENT = {
    "rotation_degrees": 20.0,  # in-plane head tilt (the default is 10)
    "blur_probability": 0.3,  # downscale to 30-75% of the side, then back up (small, soft webcam faces)
    "jpeg_probability": 0.3,  # JPEG at quality 10-50 (video compression blocks)
    "low_light_probability": 0.3,  # gain 0.35-0.9, gamma 1-2.2 and sensor noise (dim rooms)
    "occlusion_probability": 0.2,  # a flat grey rectangle (hand, microphone, glasses frame)
}


def augment_batch(images: tf.Tensor, settings: dict) -> tf.Tensor:
    """Random flip, affine (rotation/zoom/shift), brightness/contrast and erasing on a batch."""
    batch = tf.shape(images)[0]
    size = tf.cast(tf.shape(images)[1], tf.float32)
    if settings.get("flip"):
        images, _ = random_mirror(images)
    angle = tf.random.uniform([batch], -1.0, 1.0) * settings["rotation_degrees"] * math.pi / 180.0
    scale = 1.0 + tf.random.uniform([batch], -1.0, 1.0) * settings["zoom"]
    shift_x = tf.random.uniform([batch], -1.0, 1.0) * settings["shift"] * size
    shift_y = tf.random.uniform([batch], -1.0, 1.0) * settings["shift"] * size
    centre = (size - 1.0) / 2.0
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    # Output pixel (x, y) samples input (a0 x + a1 y + a2, b0 x + b1 y + b2).
    a2 = centre - cos * centre + sin * centre - shift_x
    b2 = centre - sin * centre - cos * centre - shift_y
    zeros = tf.zeros_like(cos)
    transforms = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="REFLECT")
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    contrast = 1.0 + tf.random.uniform([batch, 1, 1, 1], -1.0, 1.0) * settings["contrast"]
    brightness = tf.random.uniform([batch, 1, 1, 1], -1.0, 1.0) * settings["brightness"] * 255.0
    images = tf.clip_by_value((images - mean) * contrast + mean + brightness, 0.0, 255.0)
    images = _webcam_degradations(images, settings)
    probability = settings.get("erasing_probability", 0.0)
    if probability > 0:
        inside = _random_rectangles(batch, tf.shape(images)[1], (0.1, 0.4), (0.1, 0.4))
        apply = tf.random.uniform([batch, 1, 1, 1]) < probability
        noise = tf.random.uniform(tf.shape(images), 0.0, 255.0)
        images = tf.where(inside & apply, noise, images)
    return images


def _random_rectangles(batch: tf.Tensor, side: tf.Tensor, height_share: tuple[float, float],
                       width_share: tuple[float, float]) -> tf.Tensor:
    """One random rectangle per face, as a (batch, side, side, 1) mask: its height and width drawn as shares
    of the side from the given ranges, its corner drawn so that it lies inside the face."""
    size = tf.cast(side, tf.float32)
    height = tf.random.uniform([batch, 1, 1, 1], *height_share) * size
    width = tf.random.uniform([batch, 1, 1, 1], *width_share) * size
    top = tf.random.uniform([batch, 1, 1, 1]) * (size - height)
    left = tf.random.uniform([batch, 1, 1, 1]) * (size - width)
    rows = tf.cast(tf.reshape(tf.range(side), [1, -1, 1, 1]), tf.float32)
    cols = tf.cast(tf.reshape(tf.range(side), [1, 1, -1, 1]), tf.float32)
    return (rows >= top) & (rows < top + height) & (cols >= left) & (cols < left + width)


def _sample_mask(batch: tf.Tensor, probability: float) -> tf.Tensor:
    return tf.random.uniform([batch, 1, 1, 1]) < probability


def _webcam_degradations(images: tf.Tensor, settings: dict) -> tf.Tensor:
    """Low light, blur, JPEG and occlusion, each applied to a random share of the faces (0..255 floats)."""
    batch = tf.shape(images)[0]
    side = tf.shape(images)[1]
    size = tf.cast(side, tf.float32)
    probability = settings.get("low_light_probability", 0.0)
    if probability > 0:
        gain = tf.random.uniform([batch, 1, 1, 1], 0.35, 0.9)
        gamma = tf.exp(tf.random.uniform([batch, 1, 1, 1], 0.0, math.log(2.2)))
        noise = tf.random.normal(tf.shape(images)) * tf.random.uniform([batch, 1, 1, 1], 0.0, 6.0)
        dark = tf.clip_by_value(255.0 * gain * tf.pow(images / 255.0, gamma) + noise, 0.0, 255.0)
        images = tf.where(_sample_mask(batch, probability), dark, images)
    probability = settings.get("blur_probability", 0.0)
    if probability > 0:
        small = tf.cast(tf.round(size * tf.random.uniform([], 0.3, 0.75)), tf.int32)
        blurred = tf.clip_by_value(tf.image.resize(tf.image.resize(images, [small, small], method="area"),
                                                   [side, side], method="bilinear"), 0.0, 255.0)
        images = tf.where(_sample_mask(batch, probability), blurred, images)
    probability = settings.get("jpeg_probability", 0.0)
    if probability > 0:
        qualities = tf.random.uniform([batch], 10, 51, dtype=tf.int32)
        as_bytes = tf.cast(tf.clip_by_value(tf.round(images), 0.0, 255.0), tf.uint8)
        compressed = tf.map_fn(lambda pair: tf.image.adjust_jpeg_quality(pair[0], pair[1]), (as_bytes, qualities),
                               fn_output_signature=tf.uint8)
        compressed = tf.ensure_shape(tf.cast(compressed, tf.float32), images.shape)
        images = tf.where(_sample_mask(batch, probability), compressed, images)
    probability = settings.get("occlusion_probability", 0.0)
    if probability > 0:
        inside = _random_rectangles(batch, side, (0.15, 0.35), (0.3, 0.7))
        grey = tf.random.uniform([batch, 1, 1, 1], 0.0, 255.0) * tf.ones_like(images)
        images = tf.where(inside & _sample_mask(batch, probability), grey, images)
    return images


def random_mirror(images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Mirror a random half of the batch left-right; returns the images and which were mirrored (B,) bool."""
    mirrored = tf.random.uniform([tf.shape(images)[0]]) < 0.5
    return tf.where(mirrored[:, None, None, None], tf.reverse(images, axis=[2]), images), mirrored
