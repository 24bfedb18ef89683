from larq_bcd.quantizers import ApproxSign, DySign, ReActWeightSign

import larq as lq
import numpy as np
import pytest
import tensorflow as tf


def grad(fn, x):
    x = tf.constant(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return y.numpy(), tape.gradient(y, x).numpy()


def test_approx_sign_is_larqs_and_has_the_papers_gradient():
    assert ApproxSign is lq.quantizers.ApproxSign
    points = [-1.5, -1.0, -0.5, 0.0, 0.25, 0.999, 1.5]
    y, dy = grad(ApproxSign(), points)
    np.testing.assert_array_equal(y, [-1, -1, -1, 1, 1, 1, 1])
    # 2 + 2x on [-1, 0), 2 - 2x on [0, 1), 0 elsewhere.
    np.testing.assert_allclose(dy, [0, 0, 1.0, 2.0, 1.5, 0.002, 0], atol=1e-5)


def test_react_weight_sign_forward_is_per_output_channel_scaled_sign():
    w = np.random.default_rng(0).normal(0, 0.3, (3, 3, 4, 5)).astype(np.float32)
    w[0, 0, 0, 0] = 0.0  # sign(0) is +1, never 0
    y, _ = grad(ReActWeightSign(), w)
    scale = np.abs(w).mean(axis=(0, 1, 2))
    expected = scale * np.where(w >= 0, 1.0, -1.0)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    # Every output channel holds exactly two values, +-scale: what LCE bit-packs.
    for o in range(5):
        np.testing.assert_allclose(np.abs(y[..., o]), scale[o], rtol=1e-6)


def test_react_weight_sign_gradient_is_clip_without_the_scale():
    w = np.array([[-1.5, -0.9, 0.01, 0.5, 1.2]], dtype=np.float32)
    _, dy = grad(ReActWeightSign(), w)
    # d clip(w, -1, 1) / dw: 1 inside, 0 outside; larq's MagnitudeAwareSign would scale it.
    np.testing.assert_array_equal(dy, [[0, 1, 1, 1, 0]])
    _, dy_larq = grad(lq.quantizers.MagnitudeAwareSign(), w)
    assert not np.allclose(dy, dy_larq)


def test_dysign_thresholds_are_per_sample_and_per_channel():
    q = DySign(reduction=2)
    x = np.random.default_rng(1).normal(0, 1, (2, 4, 4, 16)).astype(np.float32)
    x[1] += 3.0  # a second sample with other statistics
    q.build(x.shape)
    rng = np.random.default_rng(2)
    q.set_weights([rng.normal(0, 0.5, w.shape) for w in q.get_weights()])
    w1, b1, w2, b2 = q.get_weights()
    alpha = np.maximum(x.mean(axis=(1, 2)) @ w1 + b1, 0) @ w2 + b2
    expected = np.where(x - alpha[:, None, None, :] >= 0, 1.0, -1.0)
    y, dy = grad(q, x)
    np.testing.assert_array_equal(y, expected)
    assert not np.allclose(alpha[0], alpha[1])  # per sample
    assert np.ptp(alpha[0]) > 0  # per channel
    assert q.precision == 1


def test_dysign_starts_as_the_plain_sign():
    q = DySign()
    x = np.random.default_rng(0).normal(0, 1, (2, 3, 3, 8)).astype(np.float32)
    y, dy = grad(q, x)
    np.testing.assert_array_equal(y, np.where(x >= 0, 1.0, -1.0))
    _, expected_dy = grad(ApproxSign(), x)
    np.testing.assert_allclose(dy, expected_dy, atol=1e-6)


def test_dysign_names_bad_arguments():
    with pytest.raises(ValueError, match="reduction"):
        DySign(reduction=0)
    with pytest.raises(ValueError, match="4-D NHWC"):
        DySign().build((None, 16))


@pytest.mark.parametrize("quantizer", [ReActWeightSign(), DySign(reduction=8)])
def test_quantizer_config_round_trip(quantizer):
    config = tf.keras.utils.serialize_keras_object(quantizer)
    restored = lq.quantizers.get(config)
    assert type(restored) is type(quantizer)
    assert restored.get_config() == quantizer.get_config()


def test_string_aliases():
    assert isinstance(lq.quantizers.get("react_weight_sign"), ReActWeightSign)
    assert isinstance(lq.quantizers.get("dy_sign"), DySign)
