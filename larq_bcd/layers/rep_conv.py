r"""RepBNN's channel replication: ``ChannelReplicate`` (RepTran's widening) and ``RepConv``."""

from larq_bcd._utils import positive_int, register, static_channels
from larq_bcd.layers.binary_conv import BinaryConv2D

import tensorflow as tf


@register
class ChannelReplicate(tf.keras.layers.Layer):
    r"""Tiles the channels ``factor`` times: \([x, x, \dots, x]\) (``torch.repeat`` order).

    RepTran applies it once after the real-valued stem, so that every later tensor is
    ``factor`` times wider with no extra parameters.
    """

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        self.factor = positive_int("factor", factor)

    def call(self, inputs):
        return tf.tile(inputs, [1] * (inputs.shape.rank - 1) + [self.factor])

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        shape[-1] = None if shape[-1] is None else shape[-1] * self.factor
        return tf.TensorShape(shape)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@register
class RepConv(BinaryConv2D):
    r"""RepConv: a binary conv on \(\beta\)-replicated channels with the parameters of the original.

    A binary conv \(c_{in} \to c_{out}\) becomes, on an input already replicated to
    \(\beta c_{in}\) channels,
    \[
    y = \mathrm{tile}_{\beta^2}\big(\mathrm{BinConv}_{\beta c_{in} \to c_{out}/\beta}(x)\big)
    \in \mathbb{R}^{H \times W \times \beta c_{out}},
    \]
    so it holds \(\beta c_{in} \cdot c_{out}/\beta \cdot k^2 = c_{in} c_{out} k^2\) weights and
    as many binary MACs as the original, while the tensors (and the BN, PReLU and biases
    applied to them: RepTran) are \(\beta\) times wider. ``filters`` is the original
    \(c_{out}\); the layer outputs \(\beta\,c_{out}\) channels.

    Args:
        filters: \(c_{out}\) of the original convolution (divisible by ``beta``).
        beta: replication factor \(\beta\) (a positive integer; 1 is a plain binary conv).

    Reference: Shi et al., "RepBNN: towards a precise binary neural network with
    enhanced feature map via repeating", 2022 (code: imfinethanks/Rep_AdamBNN).
    """

    def __init__(self, filters, kernel_size=3, beta=2, **kwargs):
        beta = positive_int("beta", beta)
        filters = positive_int("filters", filters)
        if filters % beta:
            raise ValueError(f"`beta`={beta} must divide `filters`={filters}.")
        self.beta = beta
        super().__init__(filters // beta, kernel_size, **kwargs)

    @property
    def _replicas(self):
        return self.beta**2

    def build(self, input_shape):
        channels = static_channels(self, input_shape)
        if channels % self.beta:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': input channels ({channels}) must be "
                f"divisible by the replication factor {self.beta}."
            )
        super().build(input_shape)

    def call(self, inputs):
        return tf.tile(self._conv(inputs), [1, 1, 1, self._replicas])

    def compute_output_shape(self, input_shape):
        shape = super().compute_output_shape(input_shape)
        return shape[:-1].concatenate([self.filters * self._replicas])

    def get_config(self):
        config = super().get_config()
        config["filters"] = self.filters * self.beta
        config["beta"] = self.beta
        return config
