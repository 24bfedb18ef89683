"""The ResNet-18-based family: ReAct-ResNet-18 and BCDNet-A/B, DyBCNN on it."""

import tensorflow as tf

from larq_bcd.layers import BinaryMLPBlock, ResNetBlock, TorchMaxPool2D
from larq_bcd.layers.block import batch_norm
from larq_bcd.zoo import _common
from larq_bcd.zoo.mobilenet import _COMMON_DOC

STAGE_WIDTHS = (64, 128, 256, 512)
BLOCKS_PER_STAGE = 4  # ResNet-18's 16 3x3 convs, one binary conv per block (Bi-Real style)


def react_resnet18(
    name,
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
    mlp_stage=False,
    shift_padding="wrap",
    reduction=4,
    official=False,
):
    """ReAct-ResNet-18's graph; ``mlp_stage`` swaps the last stage's 3 stride-1 conv blocks
    for 3 x 3 binary MLP blocks (the same binary MACs: 9 C^2 HW each way). ``official``
    pads as the official PyTorch code (liuzechun/ReActNet ``resnet/``) does."""
    weights, official = _common.official_weights(name, weights, official)
    inputs, size = _common.image_input(name, input_shape, input_tensor)
    small = _common.downsampling(size) == 8
    widths = [_common.scaled(w, width_multiplier) for w in STAGE_WIDTHS]
    common = {"quantization": quantization, "reduction": reduction, "official": official}

    x = _common.preprocess(inputs, include_preprocessing)
    if small:
        x = tf.keras.layers.Conv2D(widths[0], 3, padding="same", use_bias=False, name="stem_conv")(x)
        x = batch_norm("stem_bn")(x)
    elif official:  # conv 7x7/2 pad 3, BN, max-pool 3/2 pad 1, every side (PyTorch's grid)
        x = _common.torch_padded_conv(x, widths[0], 7, 2, "stem")
        x = batch_norm("stem_bn")(x)
        x = TorchMaxPool2D(3, 2, padding=1, name="stem_pool")(x)
    else:
        x = tf.keras.layers.Conv2D(
            widths[0], 7, strides=2, padding="same", use_bias=False, name="stem_conv"
        )(x)
        x = batch_norm("stem_bn")(x)
        x = tf.keras.layers.MaxPool2D(3, 2, padding="same", name="stem_pool")(x)
    for stage, width in enumerate(widths, start=1):
        for block in range(1, BLOCKS_PER_STAGE + 1):
            strides = 2 if stage > 1 and block == 1 else 1
            block_name = f"stage{stage}_block{block}"
            if mlp_stage and stage == len(widths) and block > 1:
                for j in range(1, 4):
                    x = BinaryMLPBlock(
                        padding=shift_padding, name=f"{block_name}_shift{j}", **common
                    )(x)
            else:
                x = ResNetBlock(width, strides, threshold=threshold, name=block_name, **common)(x)
    if include_top:
        x = _common.head(x, num_classes=num_classes, classifier_activation=classifier_activation)
    return _common.finish(inputs, x, name, weights, input_tensor)


def ReActNetResNet18(*, name="reactnet_resnet18", **kwargs):
    """ReAct-ResNet-18 (Liu et al., ECCV 2020): Bi-Real ResNet-18 with RSign and RPReLU.

    16 binary 3x3 convs, each with its own shortcut (real-valued AvgPool + 1x1 conv + BN
    when downsampling); 65.5% ImageNet (BCDNet's table). ``official=True`` (or a PyTorch
    checkpoint as ``weights``) computes the official function of liuzechun/ReActNet's
    ``resnet/`` BiRealNet-18 (PyTorch's padding of the stem, the max-pool and the binary
    convs); the default uses LCE's fastest padding.
    """
    return react_resnet18(name, **kwargs)


def BCDNetAResNet18(*, shift_padding="wrap", name="bcdnet_a_resnet18", **kwargs):
    """BCDNet-A on ResNet-18 (66.9% ImageNet in the paper).

    The paper gives no code for it. Our design, at ReAct-ResNet-18's binary MACs: the last
    stage keeps its downsampling conv block; each of its three other conv blocks (9 C^2 HW
    binary MACs) becomes three binary MLP blocks (3 x 3 C^2 HW) at 7x7 (4x4 at 32x32).
    """
    return react_resnet18(name, mlp_stage=True, shift_padding=shift_padding, **kwargs)


def BCDNetBResNet18(*, reduction=4, name="bcdnet_b_resnet18", **kwargs):
    """BCDNet-B on ResNet-18 (67.9% ImageNet): ``BCDNetAResNet18`` with the contextual
    dynamic embedding in every binary conv block."""
    return BCDNetAResNet18(name=name, threshold="cde", reduction=reduction, **kwargs)


def DyBCNNResNet18(*, reduction=16, name="dybcnn_resnet18", **kwargs):
    """DyBCNN on ReAct-ResNet-18 (67.4% ImageNet): every RSign replaced by ``DySign``."""
    return react_resnet18(name, threshold="dysign", reduction=reduction, **kwargs)


for _builder in (ReActNetResNet18, BCDNetAResNet18, BCDNetBResNet18, DyBCNNResNet18):
    _builder.__doc__ += _COMMON_DOC
