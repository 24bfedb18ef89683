r"""PyTorch's padded max pooling on Keras' grid (ReAct-ResNet-18's official stem)."""

from larq_bcd._utils import positive_int, register

import tensorflow as tf


@register
class TorchMaxPool2D(tf.keras.layers.Layer):
    r"""``nn.MaxPool2d(pool_size, strides, padding)``: max pooling with ``padding`` rows and
    columns of \(-\infty\) on every side.

    Keras "same" pads bottom/right only (a grid one pixel off at stride 2). Here the input
    is padded by mirroring its edge (``SYMMETRIC``), then pooled "valid": a mirrored value is
    a copy of a value already in the same window whenever \(2p \le k\) (PyTorch's own limit),
    so the maximum equals PyTorch's over the real values. TFLite gets ``MIRROR_PAD`` and
    ``MAX_POOL_2D``.
    """

    def __init__(self, pool_size=3, strides=2, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = positive_int("pool_size", pool_size)
        self.strides = positive_int("strides", strides)
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0 or 2 * padding > self.pool_size:
            raise ValueError(f"`padding` must be an integer in [0, pool_size / 2], got {padding!r}.")
        self.padding = padding
        self.pool = tf.keras.layers.MaxPool2D(self.pool_size, self.strides, padding="valid")

    def call(self, inputs):
        p = self.padding
        if p:
            inputs = tf.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="SYMMETRIC")
        return self.pool(inputs)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides, "padding": self.padding}
