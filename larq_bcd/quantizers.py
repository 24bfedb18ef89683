r"""Binary quantizers of ReActNet, BCDNet and DySign, as Larq quantizers with ``precision=1``.

All of them convert with Larq Compute Engine: the activation quantizers lower to
``LceQuantize`` (a threshold before the sign becomes ``SUB`` + ``LceQuantize``) and the
weight quantizer produces a \(\pm\)scale kernel that LCE bit-packs into ``LceBconv2d``.
"""

import larq as lq
import tensorflow as tf

from larq_bcd._utils import build_sublayer, positive_int, register, register_alias, static_channels

#: BCDNet's \(Q_b\) (Bi-Real Net's ApproxSign), re-exported from larq where it is the same:
#: forward \(\mathrm{sign}(x)\); backward \(2 + 2x\) on \([-1, 0)\), \(2 - 2x\) on \([0, 1)\),
#: 0 elsewhere. String alias ``"approx_sign"``.
ApproxSign = lq.quantizers.ApproxSign


@register
@register_alias("react_weight_sign")
class ReActWeightSign(lq.quantizers.Quantizer):
    r"""The weight binarizer of ReActNet's and BCDNet's ``HardBinaryConv``.

    \[
    q(W) = \alpha \cdot \mathrm{sign}(W),\qquad
    \alpha_o = \tfrac{1}{|W_o|}\textstyle\sum |W_o| \ \text{(per output channel, no gradient)}
    \]
    \[
    \frac{\partial q}{\partial W} = \mathbb{1}_{|W| \le 1}
    \quad\text{(the gradient of } \mathrm{clip}(W, -1, 1)\text{, without } \alpha\text{)}
    \]

    It differs from ``lq.quantizers.MagnitudeAwareSign`` only in the backward pass: larq
    multiplies the gradient by \(\alpha\), ReActNet does not. The kernel is \(\pm\alpha\) per
    output channel, so LCE converts it to a bit-packed ``LceBconv2d`` with \(\alpha\) folded
    into the output multiplier. String alias ``"react_weight_sign"``.

    References: Liu et al., "ReActNet", ECCV 2020; Xing et al., "BCDNet", ECCV 2022.
    """

    precision = 1

    def call(self, inputs):
        reduce_axes = list(range(inputs.shape.rank - 1))
        scale = tf.stop_gradient(tf.reduce_mean(tf.abs(inputs), axis=reduce_axes))
        clipped = tf.clip_by_value(inputs, -1.0, 1.0)
        return clipped + tf.stop_gradient(scale * lq.math.sign(inputs) - clipped)


@register
@register_alias("dy_sign")
class DySign(lq.quantizers.Quantizer):
    r"""Sign with dynamic per-sample, per-channel thresholds (DySign, Zhang et al. 2022).

    \[
    \alpha(x) = W_2\,\mathrm{ReLU}\big(W_1\,\mathrm{GAP}(x) + b_1\big) + b_2,
    \qquad q(x) = \mathrm{sign}\big(x - \alpha(x)\big)
    \]

    with ApproxSign's gradient. \(\alpha\) has one value per sample and channel, computed
    from the channel statistics of the input (global average pooling) by a bottleneck of two
    real-valued dense layers, \(C \to \max(C/r, 8) \to C\).

    No code of the paper is public; these choices follow its abstract ("statistics of
    channel information ... into explicit thresholds") and the DyReLU hyper-function it
    names: GAP, a ReLU bottleneck with reduction ratio ``reduction``, no output
    normalisation, so \(\alpha\) is an unbounded threshold like ReActNet's learnable bias.
    ``reduction=16`` (SE's default): at r=4 the float hyper-networks of DyBCNN-ReActNet-A
    weighed 6 MB beside 7.7 MB of binary model, and its .tflite was only 8.5x smaller than
    the float twin's; at r=16 they weigh a quarter of that.
    \(W_2\) and \(b_2\) start at zero, so at initialisation DySign is the plain sign and
    \(b_2\) plays the role of ReActNet's static RSign bias.

    It has weights, so it is a layer; use it as a ``QuantConv2D`` ``input_quantizer``. LCE
    converts it to ``MEAN`` + two ``FULLY_CONNECTED`` (float, \(2C^2/r\) MACs) + ``SUB`` +
    ``LceQuantize``.

    Args:
        reduction: reduction ratio \(r\) of the bottleneck (a positive integer, 16).
    """

    precision = 1

    def __init__(self, reduction=16, **kwargs):
        self.reduction = positive_int("reduction", reduction)
        super().__init__(**kwargs)

    def build(self, input_shape):
        channels = static_channels(self, input_shape)
        hidden = max(channels // self.reduction, 8)
        self.squeeze = tf.keras.layers.Dense(hidden, activation="relu", name="squeeze")
        self.threshold = tf.keras.layers.Dense(
            channels, kernel_initializer="zeros", name="threshold"
        )
        build_sublayer(self.squeeze, (None, channels))
        build_sublayer(self.threshold, (None, hidden))
        super().build(input_shape)

    def call(self, inputs):
        context = tf.reduce_mean(inputs, axis=[1, 2])
        alpha = self.threshold(self.squeeze(context))[:, tf.newaxis, tf.newaxis, :]
        return lq.quantizers.approx_sign(inputs - alpha)

    def get_config(self):
        return {**super().get_config(), "reduction": self.reduction}
