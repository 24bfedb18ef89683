import dataclasses

from larq_bcd import layers
from larq_bcd.quantizers import DySign
from larq_bcd.zoo.blocks import REDUCTION, BinaryOptions

import numpy as np
import pytest
import tensorflow as tf
from helpers import randomize
from small_models import SMALL_MODELS, build

LAYERS = [
    layers.LearnableBias(),
    layers.RPReLU(alpha_initializer=0.1),
    layers.ShiftSampling("long", "zero"),
    layers.BinaryConv2D(16, 3, strides=2, kernel_quantizer=None),
    layers.BinaryConv2D(16, 3, input_quantizer=DySign(reduction=2)),
    layers.TokenWiseBinaryMLP(24),
    layers.RepConv(16, 3, beta=4),
    layers.ExpandShrink(16, 1, tau=2),
    layers.ChannelReplicate(3),
    layers.ContextualDynamicEmbedding(12, reduction=8),
]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: type(layer).__name__)
def test_layer_config_round_trip(layer):
    config = layer.get_config()
    restored = type(layer).from_config(config)
    assert restored.get_config() == config
    # Also through Keras' registry, by the registered name alone.
    again = tf.keras.layers.deserialize(tf.keras.layers.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == config


OPTIONS = [
    BinaryOptions(threshold="cde", beta=2, reduction=8),
    BinaryOptions(threshold="dysign", quantization="activations"),
    BinaryOptions(quantization="float", official=True),
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda options: options.threshold)
def test_block_options_round_trip(options):
    assert BinaryOptions(**dataclasses.asdict(options)) == options


def test_block_options_default_the_reduction_of_their_threshold():
    assert BinaryOptions(threshold="dysign").reduction == REDUCTION["dysign"] == 16
    assert BinaryOptions(threshold="cde").reduction == REDUCTION["cde"] == 4


@pytest.mark.parametrize("fmt", ["keras", "h5", "savedmodel"])
@pytest.mark.parametrize("name", sorted(SMALL_MODELS))
def test_model_survives_save_and_load_without_custom_objects(name, fmt, tmp_path):
    model = randomize(build(name))
    x = np.random.default_rng(1).normal(0, 1, (2, *model.input_shape[1:])).astype(np.float32)
    expected = model(x, training=False).numpy()
    path = str(tmp_path / ("model" if fmt == "savedmodel" else f"model.{fmt}"))
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    np.testing.assert_array_equal(loaded(x, training=False).numpy(), expected)
    assert [type(l) for l in loaded.layers] == [type(l) for l in model.layers]
