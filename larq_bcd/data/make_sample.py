"""Build ``cifar10_sample.npz``: the first images of each class of a CIFAR-10 image folder.

    larq-bcd make-sample CIFAR10_DIR [--train-per-class 400] [--test-per-class 100]

CIFAR10_DIR holds ``train/<class>/NNNN.jpg`` and ``test/<class>/NNNN.jpg`` (the unpacked
``cifar10-jpeg.tar.gz``). The JPEG bytes are stored as they are (about 1 KB per image). With
the defaults, the unpacked ``cifar10-jpeg.tar.gz`` gives the shipped file byte for byte.
"""

import os

from larq_bcd._utils import atomic_output
from larq_bcd.data.sources import CIFAR10_CLASSES, SAMPLE_PATH, image_files

import numpy as np


def build(directory, train_per_class, test_per_class, output=SAMPLE_PATH):
    """Write the first ``train_per_class`` / ``test_per_class`` images (by name, hidden files
    skipped) of each class to ``output``; returns ``(output, images, bytes of JPEG)``. A missing
    class folder or a class with fewer images than asked raises ``FileNotFoundError`` /
    ``ValueError`` before anything is written."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"no such folder: {directory}")
    blobs, labels, splits = [], [], []
    for split_id, (split, count) in enumerate([("train", train_per_class), ("test", test_per_class)]):
        for label, name in enumerate(CIFAR10_CLASSES):
            folder = os.path.join(directory, split, name)
            if not os.path.isdir(folder):
                raise FileNotFoundError(
                    f"{directory}: not a CIFAR-10 image folder (no {split}/{name}/; it needs train/<class>/ and "
                    f"test/<class>/ for {', '.join(CIFAR10_CLASSES)})"
                )
            files = image_files(folder)[:count]
            if len(files) < count:
                raise ValueError(f"{folder}: {len(files)} images, fewer than the {count} asked for per class")
            for file in files:
                with open(os.path.join(folder, file), "rb") as handle:
                    blobs.append(np.frombuffer(handle.read(), np.uint8))
                labels.append(label)
                splits.append(split_id)
    offsets = np.cumsum([0] + [len(b) for b in blobs])
    with atomic_output(output) as handle:
        np.savez(
            handle,
            jpeg=np.concatenate(blobs),
            offsets=offsets,
            labels=np.array(labels, np.uint8),
            split=np.array(splits, np.uint8),
        )
    return output, len(blobs), offsets[-1]


if __name__ == "__main__":
    from larq_bcd.cli import module_main

    module_main("make-sample")
