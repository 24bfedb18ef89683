"""Input pipelines: image folders, tfds datasets and a small embedded CIFAR-10 sample.

Every source yields ``(image, one_hot_label)`` with images as float32 0-255 RGB (the zoo
models normalise inside), batched, augmented for training and prefetched.
"""

from larq_bcd.data.pipeline import Dataset, Decoded, batches, decoded, load

__all__ = ["Dataset", "Decoded", "batches", "decoded", "load"]
