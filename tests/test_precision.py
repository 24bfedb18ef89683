"""Mixed precision for the binary convolutions only (``training.precision``)."""

import larq_bcd  # noqa: F401
from larq_bcd import zoo
from larq_bcd.layers import BinaryConv2D
from larq_bcd.training import throughput
from larq_bcd.training.precision import bfloat16_binary_convs, is_binary_conv
from larq_bcd.training.recipe import Recipe, train

import numpy as np
import pytest
import tensorflow as tf


def test_only_the_binary_convs_compute_in_bfloat16_with_the_same_weights():
    # DyBCNN: its DySign input quantizers have weights, which must keep their place
    model = zoo.get(
        "dybcnn_reactnet_a", width_multiplier=0.125, input_shape=(32, 32, 3), num_classes=10, classifier_activation=None
    )
    copy = bfloat16_binary_convs(model)
    binary = [layer for layer in copy.layers if is_binary_conv(layer)]
    assert len(binary) >= 13
    assert all(layer.compute_dtype == "bfloat16" for layer in binary)
    # the sign and its gradient run in float32; the quantizer's output is cast to bfloat16
    assert all(layer.input_quantizer.quantizer.compute_dtype == "float32" for layer in binary)
    x = tf.random.normal((2, 4, 4, 8))
    assert binary[0].input_quantizer.quantizer(x).dtype == tf.float32
    others = [layer for layer in copy.layers if not is_binary_conv(layer)]
    assert all(
        layer.compute_dtype == "float32" for layer in others if not isinstance(layer, tf.keras.layers.InputLayer)
    )
    assert any(isinstance(layer, tf.keras.layers.Conv2D) for layer in others)  # the real-valued stem stays float32
    assert all(v.dtype == tf.float32 for v in copy.weights)  # variables stay float32
    assert [w.shape for w in copy.weights] == [w.shape for w in model.weights]
    assert len(copy.trainable_weights) == len(model.trainable_weights)
    for a, b in zip(model.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(a, b)
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    assert copy(images).dtype == tf.float32


def test_a_binary_conv_in_bfloat16_is_its_float32_output_to_bfloat16_precision():
    """sign(x) is exact in bfloat16; alpha, the kernel and the output lose bits past the
    8th (a few 2**-8 of the output's scale). Through a whole untrained network such
    errors flip signs downstream, so the function is compared on one layer."""
    inputs = tf.keras.Input((8, 8, 16))
    outputs = BinaryConv2D(32)(inputs)
    model = tf.keras.Model(inputs, tf.keras.layers.BatchNormalization()(outputs))
    copy = bfloat16_binary_convs(model)
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 16)).astype(np.float32)
    expected, got = model(x).numpy(), copy(x).numpy()
    assert got.dtype == np.float32 and not np.array_equal(expected, got)
    assert np.abs(got - expected).max() <= 4 * 2**-8 * np.abs(expected).max()


def test_a_subclassed_model_is_refused_by_name():
    class Subclassed(tf.keras.Model):
        def call(self, x):
            return x

    with pytest.raises(TypeError, match="functional or Sequential Keras model, got Subclassed"):
        bfloat16_binary_convs(Subclassed())


def test_recipe_takes_binary_convs_and_refuses_other_values():
    assert Recipe(model="resnet20", mixed_precision="binary_convs").mixed_precision == "binary_convs"
    with pytest.raises(
        ValueError, match="`mixed_precision`: 'bf16' is not allowed; expected true, false or binary_convs"
    ):
        Recipe(model="resnet20", mixed_precision="bf16")
    with pytest.raises(ValueError, match="`mixed_precision`: 1 is not allowed"):
        Recipe(model="resnet20", mixed_precision=1)


def test_training_with_bfloat16_binary_convs_exports_a_float32_model(tmp_path):
    recipe = Recipe(
        model="resnet20",
        dataset="sample",
        output=str(tmp_path / "run"),
        epochs=1,
        batch_size=16,
        train_limit=32,
        test_limit=32,
        mixed_precision="binary_convs",
    )
    final, results = train(recipe, command="test", log=lambda *_: None)
    assert 0 <= results["top1"] <= 1 and results["recipe"]["mixed_precision"] == "binary_convs"
    assert all(
        layer.compute_dtype == "float32" for layer in final.layers if not isinstance(layer, tf.keras.layers.InputLayer)
    )
    assert tf.keras.mixed_precision.global_policy().name == "float32"


def test_throughput_measures_the_bf16conv_mode():
    assert throughput.parse_model("reactnet_a@bf16conv") == ("reactnet_a", "binary", "bf16conv")
    results = throughput.measure(["resnet20", "resnet20@bf16conv"], batch_size=4, steps=1, rounds=1, warmup=1)
    assert [r["mode"] for r in results] == ["plain", "bf16conv"]
    assert all(r["images_per_second"] > 0 for r in results)
