"""One small model per layer/quantizer of the package, with what its conversion must hold."""

from larq_bcd import layers
from larq_bcd.quantizers import DySign, ReCU
from larq_bcd.zoo import blocks
from larq_bcd.zoo.blocks import BinaryOptions

import tensorflow as tf

SIZE, CHANNELS = 8, 32


def _model(body, name):
    x = tf.keras.Input((SIZE, SIZE, CHANNELS))
    return tf.keras.Model(x, body(x), name=name)


def _cde(x):
    alpha, beta = layers.ContextualDynamicEmbedding(CHANNELS)(x)
    a = tf.keras.layers.Subtract()([x, alpha])
    return tf.keras.layers.Add()([layers.BinaryConv2D(CHANNELS, 3)(a), beta])


#: name -> (body, binary convolutions, float FULLY_CONNECTED ops expected after conversion)
SMALL_MODELS = {
    "learnable_bias_rprelu": (
        lambda x: layers.RPReLU()(layers.BinaryConv2D(CHANNELS, 3)(layers.LearnableBias()(x))),
        1,
        0,
    ),
    "shift_short_wrap": (
        lambda x: layers.TokenWiseBinaryMLP(CHANNELS)(layers.ShiftSampling("short")(x)),
        1,
        0,
    ),
    "shift_long_zero": (
        lambda x: layers.TokenWiseBinaryMLP(CHANNELS)(layers.ShiftSampling("long", "zero")(x)),
        1,
        0,
    ),
    "dysign": (lambda x: layers.BinaryConv2D(CHANNELS, 3, input_quantizer=DySign())(x), 1, 2),
    "rep_conv": (
        lambda x: layers.RepConv(CHANNELS, 3, beta=2)(layers.ChannelReplicate(2)(x)),
        1,
        0,
    ),
    "expand_shrink": (lambda x: layers.ExpandShrink(CHANNELS, 3, tau=2)(x), 1, 0),
    "cde": (_cde, 1, 3),
    "binary_mlp_block": (lambda x: blocks.binary_mlp_block(x), 3, 0),
    "point_block": (lambda x: blocks.point_block(x), 1, 0),
    "react_block_down": (lambda x: blocks.react_block(x, 2 * CHANNELS, 2), 3, 0),
    "react_block_cde": (lambda x: blocks.react_block(x, CHANNELS, options=BinaryOptions(threshold="cde")), 2, 6),
    "react_block_dysign_rep": (
        lambda x: blocks.react_block(
            layers.ChannelReplicate(2)(x), CHANNELS, options=BinaryOptions(threshold="dysign", beta=2)
        ),
        2,
        4,
    ),
    "resnet_block_down": (lambda x: blocks.resnet_block(x, 2 * CHANNELS, 2), 1, 0),
    "torch_padding_stride2": (lambda x: layers.TorchPaddingBinaryConv2D(CHANNELS, 3, strides=2)(x), 1, 0),
    "torch_max_pool": (lambda x: layers.BinaryConv2D(CHANNELS, 3)(layers.TorchMaxPool2D(3, 2, 1)(x)), 1, 0),
    "recu_conv_hardtanh": (
        lambda x: layers.HardTanh()(
            layers.BinaryConv2D(
                CHANNELS,
                3,
                pad_values=0.0,
                input_quantizer="standardized_approx_sign",
                kernel_quantizer=ReCU(0.9),
            )(x)
        ),
        1,
        0,
    ),
    "option_a_shortcut": (
        lambda x: tf.keras.layers.Add()(
            [
                layers.BinaryConv2D(2 * CHANNELS, 3, strides=2)(x),
                layers.ZeroPadChannels(2 * CHANNELS)(tf.keras.layers.AveragePooling2D(2)(x)),
            ]
        ),
        1,
        0,
    ),
}


def build(name):
    body, _, _ = SMALL_MODELS[name]
    return _model(body, name)
