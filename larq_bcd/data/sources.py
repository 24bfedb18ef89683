"""Where images come from: an image folder, a tfds dataset, or the embedded CIFAR-10 sample.

Each returns ``(tf.data.Dataset of (encoded-or-decoded image, int label), num_examples,
class_names)``; the pipeline decodes, augments and batches.
"""

import os

import numpy as np
import tensorflow as tf

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
SAMPLE_PATH = os.path.join(os.path.dirname(__file__), "cifar10_sample.npz")
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def _mixed(items, labels):
    """A fixed permutation (seed 0) so classes are mixed for ``limit`` and shuffle buffers."""
    order = np.random.default_rng(0).permutation(len(labels))
    return [items[i] for i in order], np.asarray(labels, np.int32)[order]


def class_folders(root):
    """The sorted class sub-folders of ``root``; hidden ones (".ipynb_checkpoints") are not classes."""
    return sorted(d for d in os.listdir(root) if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))


def image_files(folder):
    """The sorted image file names of ``folder``; hidden files (macOS "._0001.jpg") are skipped."""
    return sorted(f for f in os.listdir(folder) if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS))


def image_folder(directory, split):
    """``directory/<split>/<class>/<image>`` (or ``directory/<class>/<image>``): sorted classes."""
    root = os.path.join(directory, split) if split else directory
    if not os.path.isdir(root):
        raise FileNotFoundError(f"no image folder at {root}: expected {directory}/{split}/<class>/<image>.jpg")
    classes = class_folders(root)
    if not classes:
        raise ValueError(f"{root} has no class sub-folders (expected <class>/<image>.jpg).")
    paths, labels = [], []
    for label, name in enumerate(classes):
        files = image_files(os.path.join(root, name))
        if not files:
            raise ValueError(f"class folder {os.path.join(root, name)} has no .jpg/.png images.")
        paths += [os.path.join(root, name, f) for f in files]
        labels += [label] * len(files)
    paths, labels = _mixed(paths, labels)
    ds = tf.data.Dataset.from_tensor_slices((paths, labels)).map(lambda path, label: (tf.io.read_file(path), label))
    return ds, len(paths), classes


def embedded_sample(split):
    """The CIFAR-10 sample shipped in the package (JPEG bytes; ``make-sample`` builds it)."""
    if not os.path.exists(SAMPLE_PATH):
        raise FileNotFoundError(f"the embedded CIFAR-10 sample is missing: {SAMPLE_PATH}")
    with np.load(SAMPLE_PATH) as sample:
        keep = sample["split"] == (0 if split == "train" else 1)
        offsets = sample["offsets"]
        blob = sample["jpeg"].tobytes()
        images = [blob[a:b] for a, b in zip(offsets[:-1][keep], offsets[1:][keep])]
        labels = sample["labels"][keep]
    images, labels = _mixed(images, labels)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    return ds, len(images), list(CIFAR10_CLASSES)


def tfds_dataset(name, split, data_dir=None, manual_dir=None, download=True):
    """A tfds dataset (cifar10, cifar100, imagenet2012 with ``manual_dir``)."""
    import tensorflow_datasets as tfds

    config = {}
    if manual_dir:
        config["download_config"] = tfds.download.DownloadConfig(manual_dir=manual_dir)
    try:
        builder = tfds.builder(name, data_dir=data_dir)
        if download:
            builder.download_and_prepare(**config)
        ds = builder.as_dataset(split=split, as_supervised=True, shuffle_files=split == "train")
    except Exception as error:  # noqa: BLE001 - tfds raises many types; say what was asked
        raise RuntimeError(
            f"tfds could not provide {name}[{split}] (data_dir={data_dir}, "
            f"manual_dir={manual_dir}): {str(error).splitlines()[0]}"
        ) from error
    info = builder.info
    classes = info.features["label"].names
    return ds, info.splits[split].num_examples, classes


def unreadable_images(directory, split, limit=1):
    """The first ``limit`` files of an image folder that do not decode as RGB images."""
    root = os.path.join(directory, split) if split else directory
    bad = []
    for name in class_folders(root):
        folder = os.path.join(root, name)
        for file in image_files(folder):
            path = os.path.join(folder, file)
            try:
                tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
            except (tf.errors.InvalidArgumentError, tf.errors.UnknownError):
                bad.append(path)
                if len(bad) >= limit:
                    return bad
    return bad


class naming_bad_images:  # noqa: N801 - used as a context manager, like contextlib's helpers
    """Turn TensorFlow's "could not decode" error (which names no file) into a ValueError
    naming the corrupt file of the image folder ``source``."""

    def __init__(self, source, *splits):
        self.source, self.splits = source, splits or ("train", "test")

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if not isinstance(error, (tf.errors.InvalidArgumentError, tf.errors.UnknownError)):
            return False
        if not (isinstance(self.source, str) and os.path.isdir(self.source)):
            return False
        for split in self.splits:
            bad = unreadable_images(self.source, split)
            if bad:
                raise ValueError(f"{bad[0]}: not a readable image; remove or replace it") from None
        return False
