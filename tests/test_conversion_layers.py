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
