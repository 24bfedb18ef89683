"""The ResNet-18-based family: ReAct-ResNet-18, and BCDNet-A/B and DyBCNN on it."""

import dataclasses

from larq_bcd.layers import TorchMaxPool2D
from larq_bcd.zoo import _common
from larq_bcd.zoo.blocks import BinaryOptions, batch_norm, binary_mlp_block, resnet_block

import tensorflow as tf

#: ResNet-18's stages as (width, blocks); the first block of stages 2-4 has stride 2. One
#: binary 3x3 conv per block (Bi-Real style): ResNet-18's 16 convs are 16 blocks.
RESNET18_STAGES = ((64, 4), (128, 4), (256, 4), (512, 4))


def react_resnet18(
    *,
    input_shape=None,
    input_tensor=None,
    num_classes=1000,
    include_top=True,
    weights=None,
    width_multiplier=1.0,
    include_preprocessing=True,
    classifier_activation="softmax",
    quantization="binary",
    threshold="bias",
    reduction=None,
    mlp_stage=False,
    shift_padding="wrap",
    official=False,
    name="reactnet_resnet18",
):
    """ReAct-ResNet-18's graph, with DySign/CDE thresholds and BCDNet's MLP stage.

    Args (keyword-only): those of ``react_mobilenet`` (``input_shape``, ``num_classes``,
    ``weights``, ``width_multiplier``, ``quantization``, ``threshold``, ``reduction``,
    ``shift_padding``, ``official``, ...), and
        mlp_stage: swap the last stage's 3 stride-1 conv blocks for 3 x 3 binary MLP blocks
            (the same binary MACs: 9 C^2 HW each way; BCDNet-A/B-ResNet-18, our design).
    ``official`` (or an official checkpoint as ``weights``) pads as liuzechun/ReActNet's
    ``resnet/`` BiRealNet-18: the 7x7 stem, the max-pool and the binary convs.
    """
    weights, official = _common.official_weights(name, weights, official)
    inputs, size = _common.image_input(name, input_shape, input_tensor)
    small = _common.downsampling(size) == 8
    options = BinaryOptions(
        threshold=threshold,
        reduction=reduction,
        quantization=quantization,
        official=official,
    )
    # BCDNet's MLP blocks keep the official static threshold (``move0``): the CDE of
    # BCDNet-B and DySign are for the conv blocks.
    mlp_options = dataclasses.replace(options, threshold="bias")
    widths = [_common.scaled(w, width_multiplier) for w, _ in RESNET18_STAGES]

    x = _common.preprocess(inputs, include_preprocessing)
    if small:
        x = tf.keras.layers.Conv2D(widths[0], 3, padding="same", use_bias=False, name="stem_conv")(x)
        x = batch_norm("stem_bn")(x)
    elif official:  # conv 7x7/2 pad 3, BN, max-pool 3/2 pad 1, every side (PyTorch's grid)
        x = _common.torch_padded_conv(x, widths[0], 7, 2, "stem")
        x = batch_norm("stem_bn")(x)
        x = TorchMaxPool2D(3, 2, padding=1, name="stem_pool")(x)
    else:
        x = tf.keras.layers.Conv2D(widths[0], 7, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
        x = batch_norm("stem_bn")(x)
        x = tf.keras.layers.MaxPool2D(3, 2, padding="same", name="stem_pool")(x)
    for stage, (width, (_, blocks)) in enumerate(zip(widths, RESNET18_STAGES), start=1):
        for block in range(1, blocks + 1):
            strides = 2 if stage > 1 and block == 1 else 1
            name_ = f"stage{stage}_block{block}"
            if mlp_stage and stage == len(widths) and block > 1:
                for j in range(1, 4):
                    x = binary_mlp_block(x, mlp_options, padding=shift_padding, name=f"{name_}_shift{j}")
            else:
                x = resnet_block(x, width, strides, options, name=name_)
    if include_top:
        x = _common.head(x, num_classes=num_classes, classifier_activation=classifier_activation)
    return _common.finish(inputs, x, name, weights, input_tensor)
