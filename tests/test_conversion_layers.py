"""Every binary layer converts with LCE to bit-packed ops and computes what Keras computes."""

import json

from larq_bcd import convert

import pytest
from helpers import randomize
from small_models import SMALL_MODELS, build


@pytest.mark.parametrize("name", sorted(SMALL_MODELS))
def test_small_model_converts_to_bitpacked_ops_with_parity(name):
    _, n_binary, n_float_fc = SMALL_MODELS[name]
    model = randomize(build(name))
    flatbuffer = convert.convert(model)
    report = convert.inspect(flatbuffer)
    assert report.ops.get("LceBconv2d", 0) == n_binary, report.ops
    assert report.ops.get("LceQuantize", 0) >= 1
    # The only float matmuls are the real-valued DySign/CDE hyper-functions; the only float
    # CONV_2D is ResNet's real-valued 1x1 downsample shortcut.
    assert report.ops.get("FULLY_CONNECTED", 0) == n_float_fc, report.ops
    assert report.ops.get("CONV_2D", 0) == (1 if name == "resnet_block_down" else 0)
    assert report.binary_weight_bytes > 0
    if name == "learnable_bias_rprelu":
        assert report.ops.get("PRELU") == 1 and "NEG" not in report.ops  # one fused op
    if name == "recu_conv_hardtanh":  # its custom gradient leaves inference one op
        assert report.ops.get("RELU_N1_TO_1") == 1, report.ops
    json.dumps(report.as_dict())  # plain Python numbers, ready for result files
    parity = convert.verify(model, flatbuffer, samples=3)
    assert parity.relative_diff < 1e-4, parity


def test_batch_norm_after_a_binary_conv_fuses_into_lce_bconv2d():
    from larq_bcd import layers
    from larq_bcd.zoo.blocks import batch_norm

    import tensorflow as tf

    x = tf.keras.Input((8, 8, 32))
    model = randomize(tf.keras.Model(x, batch_norm("bn")(layers.BinaryConv2D(32, 3)(x))))
    flatbuffer = convert.convert(model)
    assert convert.inspect(flatbuffer).ops == {"LceBconv2d": 1, "LceQuantize": 1}  # no MUL/ADD left
    assert convert.verify(model, flatbuffer, samples=2).relative_diff < 1e-4


@pytest.mark.parametrize("name,int8_io", [("react_block_cde", False), ("recu_conv_hardtanh", True)])
def test_convert_is_byte_identical_to_lce_convert_keras_model(name, int8_io):
    """``convert`` exports the inference function alone (faster than Keras' full save)."""
    import tensorflow as tf
    from larq_compute_engine import convert_keras_model

    model = randomize(build(name))
    kwargs = {"inference_input_type": tf.int8, "inference_output_type": tf.int8} if int8_io else {}
    if int8_io:
        kwargs["experimental_default_int8_range"] = (-3.0, 3.0)
    assert convert.convert(model, int8_io=int8_io) == convert_keras_model(model, **kwargs)


def test_convert_a_two_output_model_keeps_the_output_names_and_order():
    from larq_bcd import layers

    import tensorflow as tf
    from larq_compute_engine import convert_keras_model

    x = tf.keras.Input((8, 8, 32), name="image")
    y = tf.keras.layers.GlobalAveragePooling2D()(layers.BinaryConv2D(32, 3)(x))
    model = randomize(tf.keras.Model(x, [tf.keras.layers.Dense(3, name="b")(y), tf.keras.layers.Dense(5, name="a")(y)]))
    flatbuffer = convert.convert(model)
    assert flatbuffer == convert_keras_model(model)
    assert convert.interpreter(flatbuffer).output_shapes == [(1, 3), (1, 5)]
