"""The XLA-compiled backward passes give the gradients TensorFlow's own ops give."""

from larq_bcd import fused
from larq_bcd.layers import BinaryConv2D, RPReLU
from larq_bcd.quantizers import ApproxSign

import larq as lq
import numpy as np
import tensorflow as tf


def _gradients(fn, *args):
    args = [tf.constant(a, tf.float32) for a in args]
    dy = tf.constant(np.random.default_rng(9).normal(0, 1, fn(*args).shape), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(args)
        y = fn(*args)
    return y.numpy(), [g.numpy() for g in tape.gradient(y, args, output_gradients=dy)]


def _rprelu_reference(x, shift_in, alpha, shift_out):
    z = x + shift_in
    return tf.nn.relu(z) - alpha * tf.nn.relu(-z) + shift_out


def test_rprelu_matches_autodiff_of_its_expression():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (3, 5, 5, 4))
    weights = [rng.normal(0, 0.3, 4) for _ in range(3)]
    y, grads = _gradients(fused.rprelu, x, *weights)
    y_ref, grads_ref = _gradients(_rprelu_reference, x, *weights)
    np.testing.assert_allclose(y, y_ref, rtol=1e-6, atol=1e-6)
    for name, g, g_ref in zip(["x", "shift_in", "alpha", "shift_out"], grads, grads_ref):
        np.testing.assert_allclose(g, g_ref, rtol=1e-5, atol=1e-5, err_msg=name)


def test_rprelu_layer_trains_all_three_weights():
    layer = RPReLU()
    x = tf.constant(np.random.default_rng(1).normal(0, 1, (2, 3, 3, 4)), tf.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(x)))
    grads = tape.gradient(loss, layer.trainable_weights)
    assert len(grads) == 3 and all(g is not None and np.any(g.numpy() != 0) for g in grads)


def test_hardtanh_and_approx_sign_gradients():
    x = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5])
    y, (g,) = _gradients(fused.hardtanh, x)
    np.testing.assert_array_equal(y, np.clip(x, -1, 1))
    dy = np.random.default_rng(9).normal(0, 1, x.shape).astype(np.float32)
    np.testing.assert_allclose(g, dy * (np.abs(x) <= 1), rtol=1e-6)
    y, (g,) = _gradients(fused.approx_sign, x)
    np.testing.assert_array_equal(y, np.where(x >= 0, 1, -1))
    np.testing.assert_allclose(g, dy * np.maximum(0, 2 - 2 * np.abs(x)), rtol=1e-6)


def test_binary_conv_default_input_quantizer_is_ours_and_strings_stay_larqs():
    assert type(BinaryConv2D(4).input_quantizer) is ApproxSign
    explicit = BinaryConv2D(4, input_quantizer=lq.quantizers.ApproxSign())
    assert type(explicit.input_quantizer) is lq.quantizers.ApproxSign
