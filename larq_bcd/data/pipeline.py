"""``load``: one call from a dataset name or folder to batched, augmented ``tf.data``."""

import dataclasses
import os

from larq_bcd._utils import choice
from larq_bcd.data import augment, sources

import tensorflow as tf

TFDS_NAMES = ("cifar10", "cifar100", "imagenet2012")


@dataclasses.dataclass
class Dataset:
    """A batched ``tf.data.Dataset`` of (float32 0-255 images, one-hot labels) and its facts."""

    data: tf.data.Dataset
    num_examples: int
    class_names: list
    image_size: int

    @property
    def num_classes(self):
        return len(self.class_names)

    def steps(self, batch_size):
        return -(-self.num_examples // batch_size)


def _decode(image):
    if image.dtype == tf.string:
        image = tf.io.decode_image(image, channels=3, expand_animations=False)
    return tf.cast(image, tf.float32)


@dataclasses.dataclass
class Decoded:
    """The decoded examples of one split (cached in memory when asked), before any batching:
    ``batches`` makes each epoch's pipeline from it without decoding again."""

    data: tf.data.Dataset
    num_examples: int
    class_names: list


def decoded(source, split="train", *, limit=None, cache=True, data_dir=None, manual_dir=None):
    """The examples of ``split`` of ``source`` (see ``load``) as float32 0-255 images."""
    if source == "sample":
        ds, count, classes = sources.embedded_sample(split)
    elif source in TFDS_NAMES:
        if source == "imagenet2012" and split == "test":
            split = "validation"  # ImageNet's labelled held-out split
        ds, count, classes = sources.tfds_dataset(source, split, data_dir, manual_dir)
    elif os.path.isdir(source):
        ds, count, classes = sources.image_folder(source, split)
    else:
        raise FileNotFoundError(f"dataset {source!r} is neither 'sample', a tfds name {TFDS_NAMES}, nor a folder.")
    if limit:
        ds, count = ds.take(limit), min(count, limit)
    ds = ds.map(lambda image, label: (_decode(image), label), num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        ds = ds.cache()
    return Decoded(ds, count, list(classes))


def load(
    source,
    split="train",
    *,
    image_size=32,
    batch_size=128,
    training=None,
    augmentation="crop_flip",
    limit=None,
    cache=True,
    data_dir=None,
    manual_dir=None,
    seed=None,
    epoch=None,
):
    """Load ``source`` for training or evaluation.

    Args:
        source: ``"sample"`` (the embedded CIFAR-10 sample), a tfds name (``cifar10``,
            ``cifar100``, ``imagenet2012`` with ``manual_dir``), or an image folder holding
            ``<split>/<class>/<image>.jpg`` (e.g. the unpacked CIFAR-10 JPEG archive).
        split: ``"train"`` or ``"test"`` (``"test"`` reads ImageNet's ``"validation"``).
        image_size: the square size the model takes.
        training: shuffle and augment; default ``split == "train"``.
        augmentation: one of ``none``, ``crop_flip`` (random crop + flip, or random resized
            crop for >= 128 px), ``randaugment``, ``mixup``, ``cutmix`` (keras-cv, after
            crop_flip).
        limit: use only the first ``limit`` examples (quick runs).
        cache: cache decoded images in memory (small datasets; not ImageNet).
        data_dir, manual_dir: tfds' folders.
        seed: shuffling seed.
        epoch: with ``seed``, the training data of epoch ``epoch`` only, shuffled and
            augmented from ``(seed, epoch)`` alone: a run resumed at an epoch sees the data
            an uninterrupted run would (batch-level augmentations excepted).
    """
    examples = decoded(source, split, limit=limit, cache=cache, data_dir=data_dir, manual_dir=manual_dir)
    training = split == "train" if training is None else training
    return batches(
        examples,
        image_size=image_size,
        batch_size=batch_size,
        training=training,
        augmentation=augmentation,
        seed=seed,
        epoch=epoch,
    )


def batches(
    examples, *, image_size=32, batch_size=128, training=False, augmentation="crop_flip", seed=None, epoch=None
):
    """The batched pipeline of ``Decoded`` examples (the arguments of ``load``)."""
    choice("augmentation", augmentation, set(augment.AUGMENTATIONS))
    ds, count, classes = examples.data, examples.num_examples, examples.class_names
    num_classes = len(classes)
    transform = augment.cifar_train if image_size < 128 else augment.imagenet_train
    if training and epoch is not None:
        if seed is None:
            raise ValueError("`epoch` needs a `seed`.")
        epoch_seed = int(seed) * 1_000_003 + int(epoch)
        ds = ds.shuffle(min(count, 20000), seed=epoch_seed, reshuffle_each_iteration=False)
        if augmentation != "none":
            ds = ds.enumerate().map(
                lambda i, xy: (transform(xy[0], image_size, tf.stack([tf.constant(epoch_seed, tf.int64), i])), xy[1]),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        else:
            ds = ds.map(lambda x, y: (augment.evaluation(x, image_size), y))
    elif training:
        ds = ds.shuffle(min(count, 20000), seed=seed, reshuffle_each_iteration=True)
        if augmentation != "none":
            ds = ds.map(lambda x, y: (transform(x, image_size), y), num_parallel_calls=tf.data.AUTOTUNE)
        else:
            ds = ds.map(lambda x, y: (augment.evaluation(x, image_size), y))
    else:
        ds = ds.map(lambda x, y: (augment.evaluation(x, image_size), y), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(lambda x, y: (tf.ensure_shape(x, [image_size, image_size, 3]), tf.one_hot(y, num_classes)))
    ds = ds.batch(batch_size, drop_remainder=False)
    batch_fn = augment.batch_augmentation(augmentation, num_classes) if training else None
    if batch_fn is not None:
        ds = ds.map(batch_fn, num_parallel_calls=tf.data.AUTOTUNE)
    return Dataset(ds.prefetch(tf.data.AUTOTUNE), count, list(classes), image_size)
