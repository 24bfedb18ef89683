r"""Element-wise functions of the BNNs whose backward pass is compiled by XLA.

Op by op, the gradient of a sign estimator or an activation is a handful of passes over the
activation tensor (abs, compare, multiply, select, and reductions for broadcast weights);
each backward here is one ``tf.function(jit_compile=True)`` that XLA fuses into one or two
loops. The forward passes stay plain TensorFlow ops, so the TFLite/LCE conversion is
unchanged. Measured in ``zoo/benchmarks/train_throughput_xla_grads*.md``.
"""

import larq as lq
import tensorflow as tf


@tf.custom_gradient
def hardtanh(x):
    r"""\(\mathrm{clip}(x, -1, 1)\); gradient \(dy \cdot \mathbb{1}_{|x| \le 1}\).

    ``tf.clip_by_value``'s own gradient also reduces gradients for its two scalar bounds,
    work a training step discards."""

    def grad(dy):
        return _hardtanh_grad(x, dy)

    return tf.clip_by_value(x, -1.0, 1.0), grad


@tf.function(jit_compile=True, reduce_retracing=True)
def _hardtanh_grad(x, dy):
    return tf.where(tf.abs(x) <= 1.0, dy, tf.zeros_like(dy))


@tf.custom_gradient
def approx_sign(x):
    r"""\(\mathrm{sign}(x)\) (+1 at 0); gradient \(dy \cdot \max(0, 2 - 2|x|)\) (ApproxSign)."""

    def grad(dy):
        return _approx_sign_grad(x, dy)

    return lq.math.sign(x), grad


@tf.function(jit_compile=True, reduce_retracing=True)
def _approx_sign_grad(x, dy):
    return dy * tf.nn.relu(2.0 - 2.0 * tf.abs(x))


@tf.custom_gradient
def rprelu(x, shift_in, alpha, shift_out):
    r"""ReActNet's RPReLU, \(y = \mathrm{PReLU}_\alpha(x + \gamma) + \zeta\), per channel.

    The forward pass is Keras' ``PReLU`` expression with a (1, 1, C) slope, which the TFLite
    converter fuses into one ``PRELU`` op. The backward pass gives, with \(z = x + \gamma\),
    \[
    \frac{\partial L}{\partial x} = \frac{\partial L}{\partial \gamma}\Big|_{\text{per element}}
        = dy \cdot (\mathbb{1}_{z > 0} + \alpha\,\mathbb{1}_{z \le 0}),\quad
    \frac{\partial L}{\partial \alpha} = \textstyle\sum dy \cdot \min(z, 0),\quad
    \frac{\partial L}{\partial \zeta} = \textstyle\sum dy
    \]
    (sums over batch, height and width) in one XLA computation, where op by op it was about
    fifteen ops.
    """
    z = x + shift_in
    slope = tf.reshape(alpha, [1, 1, -1])
    y = tf.nn.relu(z) + (-slope * tf.nn.relu(-z)) + shift_out

    def grad(dy):
        return _rprelu_grad(z, alpha, dy)

    return y, grad


@tf.function(jit_compile=True, reduce_retracing=True)
def _rprelu_grad(z, alpha, dy):
    axes = list(range(z.shape.rank - 1))
    dx = tf.where(z > 0, dy, alpha * dy)
    d_alpha = tf.reduce_sum(dy * tf.minimum(z, 0.0), axis=axes)
    return dx, tf.reduce_sum(dx, axis=axes), d_alpha, tf.reduce_sum(dy, axis=axes)
