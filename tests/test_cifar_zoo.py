"""ReCU's quantizers and the 1w1a CIFAR-10 models (ResNet-20, VGG-Small, Rep and ES versions)."""

from larq_bcd import zoo
from larq_bcd.quantizers import ReCU, StandardizedApproxSign
from larq_bcd.training.recu import ReCUTauSchedule, recu_quantizers, recu_tau

import larq as lq
import numpy as np
import pytest
import tensorflow as tf


def _approx_sign_integral(z):
    """ReActNet's piecewise-quadratic sign surrogate: its derivative is (2 - 2|z|)+."""
    return tf.where(z < -1, -1.0, tf.where(z < 0, z * z + 2 * z, tf.where(z < 1, -z * z + 2 * z, 1.0)))


def test_standardized_approx_sign_forward_and_gradient():
    x = tf.constant(np.random.default_rng(0).normal(0, 3, (2, 4, 4, 3)), tf.float32)
    x = tf.tensor_scatter_nd_update(x, [[0, 0, 0, 0]], [0.0])
    dy = tf.constant(np.random.default_rng(1).normal(size=x.shape), tf.float32)
    quantizer = StandardizedApproxSign()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = quantizer(x)
    np.testing.assert_array_equal(y.numpy(), np.where(x.numpy() >= 0, 1.0, -1.0))
    grad = tape.gradient(y, x, output_gradients=dy)
    with tf.GradientTape() as tape:  # the official autograd: ApproxSign on x / std(x)
        tape.watch(x)
        std = tf.sqrt(tf.math.reduce_variance(x, axis=[1, 2, 3], keepdims=True) * 48 / 47 + 1e-5)
        reference = _approx_sign_integral(x / std)
    expected = tape.gradient(reference, x, output_gradients=dy)
    np.testing.assert_allclose(grad.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


def test_hardtanh_gradient_is_clip_by_values():
    from larq_bcd.layers import HardTanh

    x = tf.constant([[-3.0, -1.0, -0.5, 0.0, 0.7, 1.0, 2.5]])
    dy = tf.constant([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = HardTanh()(x)
        reference = tf.clip_by_value(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.numpy(), reference.numpy())
    np.testing.assert_array_equal(tape.gradient(y, x, dy).numpy(), tape.gradient(reference, x, dy).numpy())
    np.testing.assert_array_equal(tape.gradient(y, x, dy).numpy(), [[0, 2, 3, 4, 5, 6, 0]])


def test_recu_kernel_is_scaled_sign_of_centred_weights_with_clamped_gradient():
    quantizer = ReCU(tau=0.85)
    w = np.random.default_rng(0).normal(0, 1, (3, 3, 4, 2)).astype(np.float32)
    w[0, 0, 0, 0] = 40.0  # far beyond Q(tau): a "dead" weight, no gradient through the clamp
    w = tf.Variable(w)
    upstream = np.random.default_rng(1).normal(size=w.shape).astype(np.float32)
    with tf.GradientTape() as tape:
        q = quantizer(w)
        loss = tf.reduce_sum(q * upstream)
    alpha = quantizer.alpha.numpy()
    centred = w.numpy() - w.numpy().mean(axis=(0, 1, 2))
    np.testing.assert_allclose(q.numpy(), alpha * np.sign(centred), rtol=1e-6)
    grad_w, grad_alpha = tape.gradient(loss, [w, quantizer.alpha])
    np.testing.assert_allclose(grad_alpha.numpy(), (np.sign(centred) * upstream).sum(axis=(0, 1, 2)), rtol=1e-5)
    # The dead weight gets no straight-through gradient, only its share through the mean and
    # variance (as in the official autograd); the others get the full one.
    alive = np.abs(grad_w.numpy()[..., 0]).ravel()[1:]
    assert abs(grad_w.numpy()[0, 0, 0, 0]) < 0.2 * np.median(alive)
    assert quantizer.tau.trainable is False and float(quantizer.tau) == pytest.approx(0.85)
    assert ReCU.from_config(quantizer.get_config()).get_config() == quantizer.get_config()
    with pytest.raises(ValueError, match="tau"):
        ReCU(tau=1.0)


def test_recu_tau_schedule_goes_from_min_to_max():
    assert recu_tau(0, 600) == pytest.approx(0.85)
    assert recu_tau(600, 600) == pytest.approx(0.99)
    assert 0.85 < recu_tau(300, 600) < 0.92  # exponential: slow first, fast last
    model = zoo.ResNet20()
    schedule = ReCUTauSchedule(model, epochs=10)
    assert len(schedule.quantizers) == len(recu_quantizers(model)) == 18
    schedule.on_epoch_begin(5)
    assert {round(float(q.tau), 6) for q in schedule.quantizers} == {round(recu_tau(5, 10), 6)}


def _trainable(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_weights)


def _binary_params(model):
    return sum(int(np.prod(l.kernel.shape)) for l in model.layers if isinstance(l, lq.layers.QuantConv2D))


def test_parameter_counts_equal_recus_models_and_rep_keeps_binary_parameters():
    # Counted on z-hXu/ReCU's resnet20_1w1a and vgg_small_1w1a (trainable parameters).
    assert _trainable(zoo.ResNet20()) == 270_522
    assert _trainable(zoo.VGGSmall()) == 4_661_770
    for base, variants in (
        ("resnet20", ("rep_resnet20", "es_resnet20")),
        ("vgg_small", ("rep_vgg_small", "es_vgg_small")),
    ):
        binary = _binary_params(zoo.get(base))
        for name in variants:
            model = zoo.get(name)
            assert _binary_params(model) == binary, name
    rep, es = zoo.RepResNet20(), zoo.ESResNet20()
    assert rep.get_layer("fc").input_shape == (None, 128)  # the beta-wide features
    assert es.get_layer("fc").input_shape == (None, 64)  # ES keeps the first C
    assert rep.get_layer("stage2_block1_pad").output_shape == (None, 16, 16, 64)


def test_cifar_models_train_on_a_batch_and_reject_bad_arguments():
    model = zoo.ResNet20(num_classes=10, classifier_activation=None)
    model.compile(tf.keras.optimizers.SGD(0.1, momentum=0.9), tf.keras.losses.CategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 3)).astype(np.float32)
    y = tf.one_hot(np.arange(8) % 10, 10)
    before = [w.numpy().copy() for w in model.trainable_weights]
    model.fit(x, y, epochs=1, verbose=0)
    assert all(np.isfinite(w.numpy()).all() for w in model.trainable_weights)
    assert sum(not np.allclose(a, w.numpy()) for a, w in zip(before, model.trainable_weights)) > 50
    with pytest.raises(ValueError, match="pad_values"):
        zoo.ResNet20(pad_values=0.5)
    with pytest.raises(ValueError, match="tau"):
        zoo.ESResNet20(tau=0)
    with pytest.raises(ValueError, match="quantization"):
        zoo.VGGSmall(quantization="ternary")
    with pytest.raises(TypeError):
        zoo.ResNet20((32, 32, 3))
