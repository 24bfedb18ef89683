"""The MobileNetV1-based family: ReActNet-A and the models built on it (BCDNet-A/B, DyBCNN,
Rep-ReActNet-A, ES-ReActNet-A), all from one graph with the papers' knobs."""

import dataclasses

from larq_bcd._utils import choice, positive_int
from larq_bcd.zoo import _common
from larq_bcd.zoo.blocks import BinaryOptions, binary_mlp_block, point_block, react_block

#: ReActNet-A's stem (liuzechun/ReActNet, mobilenet/reactnet.py) as (width, stride at
#: 224x224, stride at 32x32), then its 13 blocks likewise. The CIFAR layout keeps the stem
#: and the 256->512 block at stride 1: the 512 blocks run at 8x8 and the 1024 ones at 4x4,
#: the ratio of ImageNet's 14x14 / 7x7 (so BCDNet's equal-BOPs swap holds there too).
REACTNET_A_STEM = (32, 2, 1)
REACTNET_A_BLOCKS = (
    (64, 1, 1),
    (128, 2, 2),
    (128, 1, 1),
    (256, 2, 2),
    (256, 1, 1),
    (512, 2, 1),
    *((512, 1, 1),) * 5,
    (1024, 2, 2),
    (1024, 1, 1),
)
#: The MLP-block counts of BCDNet's conv/MLP trade-off (M/N = 14/0 ... 9/15).
MLP_BLOCK_CHOICES = (0, 3, 6, 9, 12, 15)


def bcdnet_blocks(mlp_blocks):
    """ReActNet-A's conv blocks that remain when ``mlp_blocks`` binary MLP blocks replace some.

    Each group of 3 MLP blocks (+ 1 point block) at 1024 channels, 7x7, costs 10 C^2 HW
    binary MACs: the same as one ReActNet block at 1024 (the last one, removed first) or at
    512, 14x14 (removed next). 9 MLP blocks give the released BCDNet-A (a_3.py): widths
    64, 128, 128, 256, 256, 512 x 4, 1024.
    """
    groups = choice("mlp_blocks", mlp_blocks, set(MLP_BLOCK_CHOICES)) // 3
    if groups == 0:
        return REACTNET_A_BLOCKS
    return REACTNET_A_BLOCKS[: 12 - groups] + REACTNET_A_BLOCKS[-2:-1]


def react_mobilenet(
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
    beta=1,
    tau=1,
    mlp_blocks=0,
    shift_padding="wrap",
    dual_head=False,
    official=False,
    name="reactnet_a",
):
    r"""ReActNet-A's graph with BCDNet's MLP stage, DySign/CDE thresholds, RepTran and ES.

    Args (keyword-only, larq-zoo conventions):
        input_shape: ``(size, size, 3)``; default 224. Below 128 the CIFAR layout is used
            (``REACTNET_A_BLOCKS``' third column; 8x8 where ImageNet has 14x14, 4x4 where it
            has 7x7, at 32x32); ``size`` must be a multiple of 8 there and of 32 above.
        input_tensor: a Keras tensor to build on instead of a new ``Input``.
        num_classes: classifier outputs (1000).
        include_top: add global pooling and the classifier.
        weights: None (random), the path of weights saved with ``save_weights``, or an
            official PyTorch checkpoint (ReActNet-A, BCDNet-A; implies ``official``).
        width_multiplier: scales every width (rounded to multiples of 8) for small budgets.
        include_preprocessing: the model takes raw 0-255 RGB and normalises it inside.
        classifier_activation: applied to the logits ("softmax"; None for logits).
        quantization: "binary"; "activations" (binary activations, real weights: step 1
            of two-step training); "float" (the float twin, no sign at all).
        threshold: \(t\) of every \(\mathrm{sign}(x - t)\) in the conv blocks: "bias"
            (ReActNet), "dysign" (DyBCNN) or "cde" (BCDNet-B).
        reduction: bottleneck ratio of the dynamic threshold (default: 16 for DySign, 4 for
            the CDE; ``blocks.REDUCTION``).
        beta: RepBNN's replication \(\beta\) (Rep-ReActNet-A: 2); the classifier reads all
            \(\beta \cdot 1024\) features.
        tau: ES-BNN's expansion \(\tau\) (ES-ReActNet-A: 2): as in the paper's code,
            tensors are \(\tau\) times wider from the stem on and each binary conv is
            expanded-shrunk (\(\tau c_{in} \to c_{out}/\tau\), replicated \(\tau^2\): a
            ``RepConv``); the head keeps the first 1024 channels (ReActNet-A's classifier).
        mlp_blocks: BCDNet's binary MLP blocks (0, 3, ..., 15; BCDNet-A: 9), replacing conv
            blocks at equal binary MACs (``bcdnet_blocks``).
        shift_padding: "wrap" (official) or "zero" for the MLP blocks' shifts.
        dual_head: BCDNet's two classifiers ``fc`` and ``fc_dist`` as two logit outputs
            for distillation; ``fold_dual_head`` makes the inference model.
        official: False (LCE's fastest padding: the binarised input is padded with +1 and
            stride 2 uses Keras "same") or True (the official PyTorch function: zero padding
            of binarised inputs and PyTorch's stride-2 grid, still bit-packed).
        name: the model's name.
    """
    beta, tau = positive_int("beta", beta), positive_int("tau", tau)
    if beta > 1 and tau > 1:
        raise ValueError(f"{name}: RepTran (`beta`) and expand-shrink (`tau`) are alternatives; set one.")
    weights, official = _common.official_weights(name, weights, official)
    inputs, size = _common.image_input(name, input_shape, input_tensor)
    small = _common.downsampling(size) == 8
    options = BinaryOptions(
        threshold=threshold,
        beta=max(beta, tau),
        reduction=reduction,
        quantization=quantization,
        official=official,
    )
    # BCDNet's MLP blocks keep the official static threshold (``move0``): the CDE of
    # BCDNet-B and DySign are for the conv blocks.
    mlp_options = dataclasses.replace(options, threshold="bias")
    stem_width, stem_stride, stem_stride_small = REACTNET_A_STEM
    x = _common.preprocess(inputs, include_preprocessing)
    x = _common.stem(
        x,
        _common.scaled(stem_width, width_multiplier),
        strides=stem_stride_small if small else stem_stride,
        beta=options.beta,
        official=official,
    )
    blocks = bcdnet_blocks(mlp_blocks)
    for i, (width, stride, stride_small) in enumerate(blocks, start=1):
        width = _common.scaled(width, width_multiplier)
        x = react_block(x, width, stride_small if small else stride, options, name=f"block{i}")
    for g in range(1, mlp_blocks // 3 + 1):
        for j in range(1, 4):
            x = binary_mlp_block(x, mlp_options, padding=shift_padding, name=f"mlp{g}_shift{j}")
        x = point_block(x, mlp_options, name=f"mlp{g}_point")

    if include_top:
        x = _common.head(
            x,
            num_classes=num_classes,
            classifier_activation=classifier_activation,
            dual_head=dual_head,
            keep_channels=_common.scaled(blocks[-1][0], width_multiplier) if tau > 1 else None,
        )
    return _common.finish(inputs, x, name, weights, input_tensor)
