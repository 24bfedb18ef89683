r"""BCDNet-B's contextual dynamic embedding (CDE)."""

from larq_bcd._utils import build_sublayer, positive_int, register, static_channels

import tensorflow as tf


@register
class ContextualDynamicEmbedding(tf.keras.layers.Layer):
    r"""Per-sample threshold and bias of a binary conv from the global context (BCDNet-B).

    \[
    e = \mathrm{ReLU}(W_1\,\mathrm{GAP}(A)),\qquad
    \alpha = W_2\,e + b_2,\qquad \beta = W_3\,e + b_3
    \]
    and the binary conv block uses them as
    \(\mathrm{BN}\big(\mathrm{BinConv}(\mathrm{sign}(A - \alpha)) + \beta\big) + A\).

    Returns ``[alpha, beta]`` with shapes ``(batch, 1, 1, C_in)`` and
    ``(batch, 1, 1, out_channels)``, ready to broadcast over H and W.

    BCDNet-B is not in the released code; the poster shows \(W_1, W_2, W_3\) but not the
    nonlinearity nor the width of \(e\). Our choices: a ReLU on \(e\), width
    \(\max(C_{in}/r, 8)\) (``reduction=4`` costs about the poster's extra 0.02e8 FLOPs at
    224x224), and \(W_2, W_3\) initialised to 0 so a block starts as its static version
    (\(b_2\), \(b_3\) are the static RSign bias and conv bias).

    Args:
        out_channels: channels of \(\beta\) (the binary conv's output channels).
        reduction: reduction ratio \(r\) of the embedding (a positive integer).

    Reference: Xing et al., BCDNet, ECCV 2022, Sec. 3.4.
    """

    def __init__(self, out_channels, reduction=4, **kwargs):
        super().__init__(**kwargs)
        self.out_channels = positive_int("out_channels", out_channels)
        self.reduction = positive_int("reduction", reduction)

    def build(self, input_shape):
        channels = static_channels(self, input_shape)
        width = max(channels // self.reduction, 8)
        self.embed = tf.keras.layers.Dense(width, activation="relu", name="embed")
        self.threshold = tf.keras.layers.Dense(channels, kernel_initializer="zeros", name="threshold")
        self.bias = tf.keras.layers.Dense(self.out_channels, kernel_initializer="zeros", name="bias")
        build_sublayer(self.embed, (None, channels))
        build_sublayer(self.threshold, (None, width))
        build_sublayer(self.bias, (None, width))
        super().build(input_shape)

    def call(self, inputs):
        e = self.embed(tf.reduce_mean(inputs, axis=[1, 2]))
        return [
            self.threshold(e)[:, tf.newaxis, tf.newaxis, :],
            self.bias(e)[:, tf.newaxis, tf.newaxis, :],
        ]

    def compute_output_shape(self, input_shape):
        batch, channels = input_shape[0], input_shape[-1]
        return [
            tf.TensorShape([batch, 1, 1, channels]),
            tf.TensorShape([batch, 1, 1, self.out_channels]),
        ]

    def get_config(self):
        return {
            **super().get_config(),
            "out_channels": self.out_channels,
            "reduction": self.reduction,
        }
