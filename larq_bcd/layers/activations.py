r"""The real-valued activations of the BNNs: ReActNet's ``RPReLU`` and the 1w1a CIFAR models'
``HardTanh`` (RSign's threshold, ``LearnableBias``, has its own file)."""

from larq_bcd._utils import register, static_channels
from larq_bcd.fused import hardtanh, rprelu

import tensorflow as tf


@register
class RPReLU(tf.keras.layers.Layer):
    r"""ReActNet's RPReLU: \(y = \mathrm{PReLU}_\beta(x + \gamma) + \zeta\), per channel.

    \(\mathrm{PReLU}_\beta(z) = \max(z, 0) - \beta \max(-z, 0)\), with the slope \(\beta\)
    initialised to 0.25 (PyTorch's ``nn.PReLU``; Keras' default would be 0) and the two
    shifts \(\gamma, \zeta\) to 0. It is computed as Keras' ``PReLU`` computes it, so TFLite
    gets a ``PRELU`` op; its gradient is one XLA computation (``larq_bcd.fused.rprelu``).

    Reference: Liu et al., "ReActNet", ECCV 2020, eq. (4).
    """

    def __init__(self, alpha_initializer=0.25, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha_initializer, (int, float)):
            alpha_initializer = tf.keras.initializers.Constant(float(alpha_initializer))
        self.alpha_initializer = tf.keras.initializers.get(alpha_initializer)

    def build(self, input_shape):
        channels = static_channels(self, input_shape)
        self.shift_in = self.add_weight(name="shift_in", shape=(channels,), initializer="zeros")
        self.alpha = self.add_weight(name="alpha", shape=(channels,), initializer=self.alpha_initializer)
        self.shift_out = self.add_weight(name="shift_out", shape=(channels,), initializer="zeros")
        super().build(input_shape)

    def call(self, inputs):
        weights = (tf.cast(w, inputs.dtype) for w in (self.shift_in, self.alpha, self.shift_out))
        return rprelu(inputs, *weights)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": tf.keras.initializers.serialize(self.alpha_initializer),
        }


@register
class HardTanh(tf.keras.layers.Layer):
    r"""\(y = \mathrm{clip}(x, -1, 1)\) (PyTorch's ``F.hardtanh``), the activation of the
    1w1a CIFAR ResNets and VGG-Small (ReCU, IR-Net). TFLite gets ``RELU_N1_TO_1``.

    Its gradient, \(dy \cdot \mathbb{1}_{|x| \le 1}\), is one XLA loop
    (``larq_bcd.fused.hardtanh``)."""

    def call(self, inputs):
        return hardtanh(inputs)
