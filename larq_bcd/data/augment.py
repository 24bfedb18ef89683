"""Augmentation and evaluation transforms on float32 0-255 RGB images."""

import tensorflow as tf

AUGMENTATIONS = ("none", "crop_flip", "randaugment", "mixup", "cutmix")


def cifar_train(image, size, seed=None):
    """Pad 4 (reflect), random crop back to ``size``, random horizontal flip.

    With ``seed`` (a shape-[2] integer tensor) the randomness is stateless: the same seed
    gives the same crop and flip in any process (exact resumes)."""
    image = tf.pad(image, [[4, 4], [4, 4], [0, 0]], mode="REFLECT")
    if seed is None:
        image = tf.image.random_crop(image, [size, size, 3])
        return tf.image.random_flip_left_right(image)
    image = tf.image.stateless_random_crop(image, [size, size, 3], seed=seed)
    return tf.image.stateless_random_flip_left_right(image, seed=seed[::-1])


def imagenet_train(image, size, seed=None):
    """Random resized crop (scale 0.08-1, ratio 3/4-4/3), random horizontal flip
    (stateless with ``seed``, as ``cifar_train``)."""
    box = {
        "bounding_boxes": tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
        "area_range": (0.08, 1.0),
        "aspect_ratio_range": (3 / 4, 4 / 3),
        "max_attempts": 10,
        "use_image_if_no_bounding_boxes": True,
    }
    if seed is None:
        begin, crop, _ = tf.image.sample_distorted_bounding_box(tf.shape(image), **box)
    else:
        begin, crop, _ = tf.image.stateless_sample_distorted_bounding_box(tf.shape(image), seed=seed, **box)
    image = tf.slice(image, begin, crop)
    image = tf.image.resize(image, [size, size])
    if seed is None:
        return tf.image.random_flip_left_right(image)
    return tf.image.stateless_random_flip_left_right(image, seed=seed[::-1])


def evaluation(image, size):
    """ImageNet-style: resize the short side to size/0.875, centre-crop ``size``; small
    images (CIFAR) are only resized when their size differs."""
    shape = tf.shape(image)
    if size < 128:
        return tf.image.resize(image, [size, size]) if image.shape[0] != size else image
    short = tf.cast(tf.minimum(shape[0], shape[1]), tf.float32)
    scale = (size / 0.875) / short
    new = tf.cast(tf.round(tf.cast(shape[:2], tf.float32) * scale), tf.int32)
    image = tf.image.resize(image, new)
    return tf.image.resize_with_crop_or_pad(image, size, size)


def batch_augmentation(name, num_classes):
    """keras-cv's RandAugment / MixUp / CutMix as a function on a batch, or None."""
    if name in ("none", "crop_flip"):
        return None
    import keras_cv

    if name == "randaugment":
        layer = keras_cv.layers.RandAugment(value_range=(0, 255), augmentations_per_image=2, magnitude=0.3)
        return lambda images, labels: (layer(images), labels)
    layer = keras_cv.layers.MixUp() if name == "mixup" else keras_cv.layers.CutMix()

    def apply(images, labels):
        out = layer({"images": images, "labels": labels})
        return out["images"], out["labels"]

    return apply
