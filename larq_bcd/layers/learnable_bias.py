r"""ReActNet's RSign threshold: a learnable per-channel bias before the sign."""

from larq_bcd._utils import register, static_channels

import tensorflow as tf


@register
class LearnableBias(tf.keras.layers.Layer):
    r"""Adds a learnable per-channel bias: \(y = x + b\), \(b\) initialised to 0.

    Before a sign it is ReActNet's RSign threshold, \(\mathrm{sign}(x + b)\); LCE folds it
    into the preceding op or a ``SUB`` before ``LceQuantize``.

    Reference: Liu et al., "ReActNet", ECCV 2020.
    """

    def __init__(self, bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.bias_initializer = tf.keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        channels = static_channels(self, input_shape)
        self.bias = self.add_weight(name="bias", shape=(channels,), initializer=self.bias_initializer)
        super().build(input_shape)

    def call(self, inputs):
        return inputs + tf.cast(self.bias, inputs.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "bias_initializer": tf.keras.initializers.serialize(self.bias_initializer),
        }
