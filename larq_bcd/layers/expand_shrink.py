r"""ES-BNN's expanding-and-shrinking operation on a binary convolution."""

from larq_bcd._utils import positive_int, register, static_channels
from larq_bcd.layers.rep_conv import RepConv

import tensorflow as tf


@register
class ExpandShrink(RepConv):
    r"""The expanding-and-shrinking operation (ES-BNN) on a binary convolution.

    A binary conv \(c_{in} \to c_{out}\) becomes: expand the input \(\tau\) times, shrink the
    conv to \(c_{out}/\tau\) filters, replicate the output \(\tau^2\) times:
    \[
    y = \mathrm{tile}_{\tau^2}\big(\mathrm{BinConv}_{\tau c_{in} \to c_{out}/\tau}
    (\mathrm{tile}_{\tau}(x))\big) \in \mathbb{R}^{H \times W \times \tau c_{out}}
    \]
    with the original's parameter count and binary MACs. It is ``RepConv`` (\(\beta=\tau\))
    preceded by the expansion, so it takes a plain \(c_{in}\)-channel input; in a network
    whose tensors are already \(\tau\)-wide (the paper's code), use ``RepConv``.

    Args:
        filters: \(c_{out}\) of the original convolution (divisible by ``tau``).
        tau: expansion factor \(\tau\) (a positive integer).

    Reference: Shi et al., "Expanding-and-Shrinking Binary Neural Networks", 2025
    (code: imfinethanks/ESBNN).
    """

    def __init__(self, filters, kernel_size=3, tau=2, **kwargs):
        super().__init__(filters, kernel_size, beta=positive_int("tau", tau), **kwargs)

    @property
    def tau(self):
        return self.beta

    def _expanded(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        shape[-1] = None if shape[-1] is None else shape[-1] * self.tau
        return tf.TensorShape(shape)

    def build(self, input_shape):
        channels = static_channels(self, input_shape)
        super().build(self._expanded(input_shape))
        self.input_spec = tf.keras.layers.InputSpec(ndim=4, axes={-1: channels})

    def call(self, inputs):
        return super().call(tf.tile(inputs, [1, 1, 1, self.tau]))

    def get_config(self):
        config = super().get_config()
        config["tau"] = config.pop("beta")
        return config
