r"""The real-valued activations of the BNNs: ReActNet's ``RPReLU`` and the 1w1a CIFAR models'
``HardTanh`` (RSign's threshold, ``LearnableBias``, has its own file)."""

from larq_bcd._utils import register, static_channels

import tensorflow as tf


@register
class RPReLU(tf.keras.layers.Layer):
    r"""ReActNet's RPReLU: \(y = \mathrm{PReLU}_\beta(x + \gamma) + \zeta\), per channel.

    \(\mathrm{PReLU}_\beta(z) = \max(z, 0) - \beta \max(-z, 0)\), with the slope \(\beta\)
    initialised to 0.25 (PyTorch's ``nn.PReLU``; Keras' default would be 0) and the two
    shifts \(\gamma, \zeta\) to 0. It is computed as Keras' ``PReLU`` computes it, so TFLite
    gets a ``PRELU`` op.

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
        z = inputs + tf.cast(self.shift_in, inputs.dtype)
        # Keras' PReLU expression with a (1, 1, C) slope: the TFLite converter fuses it into
        # one PRELU op (with a (C,) slope it leaves RELU, NEG, MUL, RELU, ADD).
        alpha = tf.reshape(tf.cast(self.alpha, inputs.dtype), [1, 1, -1])
        negative = -alpha * tf.nn.relu(-z)
        return tf.nn.relu(z) + negative + tf.cast(self.shift_out, inputs.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": tf.keras.initializers.serialize(self.alpha_initializer),
        }


@register
class HardTanh(tf.keras.layers.Layer):
    r"""\(y = \mathrm{clip}(x, -1, 1)\) (PyTorch's ``F.hardtanh``), the activation of the
    1w1a CIFAR ResNets and VGG-Small (ReCU, IR-Net). TFLite gets ``RELU_N1_TO_1``.

    Its gradient, \(dy \cdot \mathbb{1}_{|x| \le 1}\), is one select, compiled by XLA into one
    loop: ``tf.clip_by_value``'s own also reduces gradients for its two scalar bounds, work the
    training step discards."""

    def call(self, inputs):
        return _hardtanh(inputs)


@tf.custom_gradient
def _hardtanh(x):
    def grad(dy):
        return _hardtanh_grad(x, dy)

    return tf.clip_by_value(x, -1.0, 1.0), grad


@tf.function(jit_compile=True, reduce_retracing=True)
def _hardtanh_grad(x, dy):
    r"""\(dy \cdot \mathbb{1}_{|x| \le 1}\) as one XLA loop (abs, compare, select fused)."""
    return tf.where(tf.abs(x) <= 1.0, dy, tf.zeros_like(dy))
