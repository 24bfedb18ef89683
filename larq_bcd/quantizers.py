r"""Binary quantizers of ReActNet, BCDNet and DySign, as Larq quantizers with ``precision=1``.

All of them convert with Larq Compute Engine: the activation quantizers lower to
``LceQuantize`` (a threshold before the sign becomes ``SUB`` + ``LceQuantize``) and the
weight quantizer produces a \(\pm\)scale kernel that LCE bit-packs into ``LceBconv2d``.
"""

from larq_bcd._utils import build_sublayer, positive_int, register, register_alias, static_channels

import larq as lq
import tensorflow as tf

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
        self.threshold = tf.keras.layers.Dense(channels, kernel_initializer="zeros", name="threshold")
        build_sublayer(self.squeeze, (None, channels))
        build_sublayer(self.threshold, (None, hidden))
        super().build(input_shape)

    def call(self, inputs):
        context = tf.reduce_mean(inputs, axis=[1, 2])
        alpha = self.threshold(self.squeeze(context))[:, tf.newaxis, tf.newaxis, :]
        return lq.quantizers.approx_sign(inputs - alpha)

    def get_config(self):
        return {**super().get_config(), "reduction": self.reduction}


@register
@register_alias("standardized_approx_sign")
class StandardizedApproxSign(lq.quantizers.Quantizer):
    r"""ReCU's activation binarizer: sign, with ApproxSign's gradient on standardised inputs.

    \[
    q(x) = \mathrm{sign}(x),\qquad
    \frac{\partial q}{\partial x} = \frac{\partial}{\partial x}\,
        \mathrm{ApproxSign}\!\Big(\frac{x}{\sqrt{\sigma^2(x) + 10^{-5}}}\Big)
    \]

    where \(\sigma^2(x)\) is the variance of each sample over height, width and channels
    (unbiased, as ``torch.var``) and the gradient also flows through it, as in the official
    ``BinarizeConv2d``. Dividing by a positive number never changes a sign, so the forward
    pass is the plain sign in training and inference alike and LCE converts it to one
    ``LceQuantize``. String alias ``"standardized_approx_sign"``.

    Reference: Xu et al., "ReCU: Reviving the Dead Weights in Binary Neural Networks",
    ICCV 2021 (code: z-hXu/ReCU, ``BinaryQuantize_a``).
    """

    precision = 1

    def call(self, inputs):
        return _standardized_approx_sign(inputs)


@tf.custom_gradient
def _standardized_approx_sign(x):
    r"""``sign(x)``; the gradient of ApproxSign on \(s = x / \sigma\), in closed form:

    \[
    g = dy \cdot \max(0, 2 - 2|s|),\qquad
    \frac{\partial L}{\partial x} = \frac{g}{\sigma}
        - \frac{(x - \bar x) \sum (g \cdot x)}{\sigma^3 (n - 1)}
    \]
    (the second term is the gradient through \(\sigma\); sums over each sample's \(n\) values).
    """

    def grad(dy):
        return _standardized_approx_sign_grad(x, dy)

    return lq.math.sign(x), grad


@tf.function(jit_compile=True, reduce_retracing=True)
def _standardized_approx_sign_grad(x, dy):
    """The gradient above, compiled by XLA: its dozen element-wise passes and four reductions
    over the activation tensor run as a few fused loops (op by op they were about a sixth of
    a ReCU-ResNet-20 training step; ``zoo/benchmarks/train_throughput_xla_grads.md``)."""
    axes = list(range(1, x.shape.rank))
    count = tf.cast(tf.reduce_prod(tf.shape(x)[1:]), x.dtype)
    centred = x - tf.reduce_mean(x, axis=axes, keepdims=True)
    variance = tf.reduce_sum(tf.square(centred), axis=axes, keepdims=True) / (count - 1)
    inverse_std = tf.math.rsqrt(variance + 1e-5)
    g = dy * tf.nn.relu(2.0 - 2.0 * tf.abs(x * inverse_std))
    through_std = tf.reduce_sum(g * x, axis=axes, keepdims=True) * inverse_std**3 / (count - 1)
    return g * inverse_std - centred * through_std


@register
@register_alias("recu")
class ReCU(lq.quantizers.Quantizer):
    r"""ReCU's weight binarizer: a rectified clamp unit on standardised weights, learned scale.

    For each output channel \(o\) of a kernel \(W\):
    \[
    \hat W_o = \frac{W_o - \bar W_o}{\sqrt{\sigma^2(W_o) + 10^{-5}} / (2\sqrt2)},\qquad
    Q(\tau) = -\,\mathbb{E}|\hat W| \cdot \ln(2 - 2\tau),\qquad
    \tilde W = \mathrm{clip}(\hat W, -Q(\tau), Q(\tau))
    \]
    \[
    q(W)_o = \alpha_o \cdot \mathrm{sign}(\tilde W_o),\qquad
    \frac{\partial q}{\partial \tilde W} = \alpha \ \text{(straight-through)}
    \]
    The standardisation (a Laplace fit with scale \(1/(2\sqrt2)\) of the standard deviation)
    and the clamp shape only the gradient: the clamp "revives" dead weights beyond
    \(Q(\tau)\) by pulling them back in, and \(\tau\) grows from ``tau_min`` to ``tau_max``
    during training (``larq_bcd.training.ReCUTauSchedule``). \(Q\) carries no gradient.
    \(\alpha\) (one learnable scale per output channel, initialised uniformly in [0, 1) as in
    the official code) multiplies the \(\pm1\) kernel, exactly as the official code scales
    the conv output, so the kernel is \(\pm|\alpha_o|\) per output channel and LCE bit-packs
    it into ``LceBconv2d``.

    Weights: ``alpha`` (trainable, one per output channel) and ``tau`` (not trainable).

    Args:
        tau: the initial \(\tau\) in (0.5, 1) (ReCU's schedule starts at 0.85).

    Reference: Xu et al., "ReCU: Reviving the Dead Weights in Binary Neural Networks",
    ICCV 2021 (code: z-hXu/ReCU, ``BinarizeConv2d``).
    """

    precision = 1

    def __init__(self, tau=0.85, **kwargs):
        if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not 0.5 < tau < 1:
            raise ValueError(f"`tau` must be a number in (0.5, 1) (Q(tau) > 0), got {tau!r}.")
        self.initial_tau = float(tau)
        super().__init__(**kwargs)

    def build(self, input_shape):
        shape = tf.TensorShape(input_shape)
        if shape.rank is None or shape.rank < 2 or shape[-1] is None:
            raise ValueError(f"ReCU '{self.name}' expects a kernel with a known last axis, got {shape}.")
        self.alpha = self.add_weight(
            name="alpha",
            shape=(int(shape[-1]),),
            initializer=tf.keras.initializers.RandomUniform(0.0, 1.0),
        )
        self.tau = self.add_weight(
            name="tau",
            shape=(),
            trainable=False,
            initializer=tf.keras.initializers.Constant(self.initial_tau),
        )
        super().build(input_shape)

    def call(self, inputs):
        axes = list(range(inputs.shape.rank - 1))
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:-1]), inputs.dtype)
        centred = inputs - tf.reduce_mean(inputs, axis=axes, keepdims=True)
        variance = tf.reduce_sum(tf.square(centred), axis=axes, keepdims=True) / (count - 1)
        standardized = centred / (tf.sqrt(variance + 1e-5) / (2.0 * 2.0**0.5))
        tau = tf.cast(self.tau, inputs.dtype)
        bound = tf.stop_gradient(-tf.reduce_mean(tf.abs(standardized)) * tf.math.log(2.0 - 2.0 * tau))
        clamped = tf.clip_by_value(standardized, -bound, bound)
        binary = clamped + tf.stop_gradient(lq.math.sign(clamped) - clamped)
        return binary * tf.cast(self.alpha, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "tau": self.initial_tau}
