r"""The parameter-free downsampling shortcut of CIFAR ResNets ("option A", He et al. 2016)."""

from larq_bcd._utils import positive_int, register, static_channels

import tensorflow as tf


@register
class ZeroPadChannels(tf.keras.layers.Layer):
    r"""Pads the channels with zeros on both sides up to ``filters``:
    \(y = [0_p, x, 0_p]\), \(p = (\text{filters} - C)/2\).

    With a 2x2 average pool before it, this is the option-A shortcut of the 1w1a ResNet-20
    (ReCU's ``F.pad(x, (0, 0, 0, 0, planes // 4, planes // 4))`` when ``filters = 2C``).

    Args:
        filters: output channels; ``filters - C`` must be even and non-negative.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int("filters", filters)

    def build(self, input_shape):
        channels = static_channels(self, input_shape)
        extra = self.filters - channels
        if extra < 0 or extra % 2:
            raise ValueError(
                f"ZeroPadChannels '{self.name}': cannot pad {channels} channels evenly to `filters`={self.filters}."
            )
        self.pad = extra // 2
        super().build(input_shape)

    def call(self, inputs):
        return tf.pad(inputs, [[0, 0], [0, 0], [0, 0], [self.pad, self.pad]])

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)[:-1].concatenate([self.filters])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}
