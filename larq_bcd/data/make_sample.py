"""Build ``cifar10_sample.npz``: the first images of each class of a CIFAR-10 image folder.

    larq-bcd make-sample CIFAR10_DIR [--train-per-class 300] [--test-per-class 100]

CIFAR10_DIR holds ``train/<class>/NNNN.jpg`` and ``test/<class>/NNNN.jpg`` (the unpacked
``cifar10-jpeg.tar.gz``). The JPEG bytes are stored as they are (about 1 KB per image).
"""

import os

from larq_bcd.data.sources import CIFAR10_CLASSES, SAMPLE_PATH

import numpy as np


def build(directory, train_per_class, test_per_class, output=SAMPLE_PATH):
    blobs, labels, splits = [], [], []
    for split_id, (split, count) in enumerate([("train", train_per_class), ("test", test_per_class)]):
        for label, name in enumerate(CIFAR10_CLASSES):
            folder = os.path.join(directory, split, name)
            if not os.path.isdir(folder):
                raise SystemExit(f"make_sample: missing class folder {folder}")
            for file in sorted(os.listdir(folder))[:count]:
                with open(os.path.join(folder, file), "rb") as handle:
                    blobs.append(np.frombuffer(handle.read(), np.uint8))
                labels.append(label)
                splits.append(split_id)
    offsets = np.cumsum([0] + [len(b) for b in blobs])
    tmp = output + ".tmp.npz"
    np.savez(
        tmp,
        jpeg=np.concatenate(blobs),
        offsets=offsets,
        labels=np.array(labels, np.uint8),
        split=np.array(splits, np.uint8),
    )
    os.replace(tmp, output)
    return output, len(blobs), offsets[-1]


if __name__ == "__main__":
    from larq_bcd.cli import module_main

    module_main("make-sample")
