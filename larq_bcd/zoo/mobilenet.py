"""The MobileNetV1-based family: ReActNet-A and the models built on it (BCDNet-A/B, DyBCNN,
Rep-ReActNet-A, ES-ReActNet-A), all from one graph with the papers' knobs."""

from larq_bcd._utils import choice
from larq_bcd.layers import BinaryMLPBlock, PointBlock, ReActBlock
from larq_bcd.zoo import _common

#: ReActNet-A's block widths (liuzechun/ReActNet, mobilenet/reactnet.py): 13 blocks.
REACTNET_A_WIDTHS = (32, 64, 128, 128, 256, 256) + (512,) * 6 + (1024,) * 2
#: The MLP-block counts of BCDNet's conv/MLP trade-off (M/N = 14/0 ... 9/15).
MLP_BLOCK_CHOICES = (0, 3, 6, 9, 12, 15)


def bcdnet_widths(mlp_blocks):
    """Conv-block widths when ``mlp_blocks`` binary MLP blocks replace conv blocks.

    Each group of 3 MLP blocks (+ 1 point block) at 1024 channels, 7x7, costs 10 C^2 HW
    binary MACs: the same as one ReActNet block at 1024 (the last one, removed first) or at
    512, 14x14 (removed next). 9 MLP blocks give the released BCDNet-A (a_3.py): widths
    32, 64, 128, 128, 256, 256, 512 x 4, 1024.
    """
    choice("mlp_blocks", mlp_blocks, set(MLP_BLOCK_CHOICES))
    groups = mlp_blocks // 3
    if groups == 0:
        return REACTNET_A_WIDTHS
    return (32, 64, 128, 128, 256, 256) + (512,) * (7 - groups) + (1024,)


def react_mobilenet(
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
    mlp_blocks=0,
    conv_threshold="bias",
    beta=1,
    es_head=False,
    dual_head=False,
    shift_padding="wrap",
    reduction=4,
    official=False,
):
    """ReActNet-A's graph with BCDNet's MLP stage, DySign/CDE thresholds and RepConv."""
    weights, official = _common.official_weights(name, weights, official)
    inputs, size = _common.image_input(name, input_shape, input_tensor)
    small = _common.downsampling(size) == 8
    widths = [_common.scaled(w, width_multiplier) for w in bcdnet_widths(mlp_blocks)]
    common = {"beta": beta, "quantization": quantization, "reduction": reduction, "official": official}

    x = _common.preprocess(inputs, include_preprocessing)
    x = _common.stem(x, widths[0], strides=1 if small else 2, beta=beta, official=official)
    downsamplings = 0
    for i, (c_in, c_out) in enumerate(zip(widths, widths[1:]), start=1):
        strides = 1
        if c_out != c_in and i > 1:  # ReActNet: stride 2 where the width changes, but 32->64
            downsamplings += 1
            # The CIFAR layout keeps the 256->512 block at stride 1: 512 blocks at 8x8, the
            # 1024 stage at 4x4, the ratio of 14x14 / 7x7 (BCDNet's equal-BOPs swap holds).
            strides = 1 if small and downsamplings == 3 else 2
        x = ReActBlock(c_out, strides, threshold=conv_threshold, name=f"block{i}", **common)(x)
    for g in range(mlp_blocks // 3):
        for j in range(3):
            block_name = f"mlp{g + 1}_shift{j + 1}"
            x = BinaryMLPBlock(padding=shift_padding, name=block_name, **common)(x)
        x = PointBlock(name=f"mlp{g + 1}_point", **common)(x)

    if include_top:
        x = _common.head(
            x,
            num_classes=num_classes,
            classifier_activation=classifier_activation,
            dual_head=dual_head,
            keep_channels=widths[-1] if es_head else None,
        )
    return _common.finish(inputs, x, name, weights, input_tensor)


_COMMON_DOC = """
    Args (keyword-only, larq-zoo conventions):
        input_shape: ``(size, size, 3)``; default 224. Below 128 the CIFAR layout is used
            (stride-1 stem and one fewer downsampling: 8x8 where ImageNet has 14x14, 4x4
            where it has 7x7, at 32x32); ``size`` must be a multiple of 8 there and of 32
            above.
        input_tensor: a Keras tensor to build on instead of a new ``Input``.
        num_classes: classifier outputs (1000).
        include_top: add global pooling and the classifier.
        weights: None (random) or the path of weights saved with ``save_weights``.
        width_multiplier: scales every width (rounded to multiples of 8) for small budgets.
        include_preprocessing: the model takes raw 0-255 RGB and normalises it inside.
        classifier_activation: applied to the logits ("softmax"; None for logits).
        quantization: "binary"; "activations" (binary activations, real weights: step 1
            of two-step training); "float" (the float twin, no sign at all).
        official: False (default; LCE's fastest padding: the binarised input is padded
            with +1 and stride 2 uses Keras "same") or True (the official PyTorch function:
            zero padding of binarised inputs and PyTorch's stride-2 grid, still bit-packed;
            ReActNet-A, BCDNet-A/B, ReAct-ResNet-18). A PyTorch checkpoint as ``weights`` implies it.
"""


def ReActNetA(*, name="reactnet_a", **kwargs):
    """ReActNet-A (Liu et al., ECCV 2020): the 13-block MobileNetV1-based BNN, 69.4% ImageNet.

    Widths 32, 64, 128, 128, 256, 256, 512 x 6, 1024 x 2; every block is two binary
    convolutions (3x3, 1x1) with RSign/RPReLU. 4.82e9 binary MACs at 224x224.
    """
    return react_mobilenet(name, **kwargs)


def RepReActNetA(*, beta=2, name="rep_reactnet_a", **kwargs):
    """Rep-ReActNet-A (RepBNN, Shi et al. 2022): ReActNet-A on ``beta``-replicated channels.

    The stem's output is replicated ``beta`` times; every binary conv is a ``RepConv``
    (same parameters and binary MACs), BN/PReLU/biases are ``beta`` times wider, and the
    classifier sees ``beta * 1024`` features. 71.342% ImageNet (with AdamBNN's recipe).
    """
    return react_mobilenet(name, beta=beta, **kwargs)


def ESReActNetA(*, tau=2, name="es_reactnet_a", **kwargs):
    """ReActNet-A with the expanding-and-shrinking operation (ES-BNN, Shi et al. 2025).

    As in the paper's code, tensors are ``tau`` times wider from the stem on and each binary
    conv is expanded-shrunk (\\(\\tau c_{in} \\to c_{out}/\\tau\\), replicated \\(\\tau^2\\));
    the head keeps the first ``1024`` channels, so the classifier is ReActNet-A's.
    """
    return react_mobilenet(name, beta=tau, es_head=True, **kwargs)


def DyBCNNReActNetA(*, reduction=16, name="dybcnn_reactnet_a", **kwargs):
    """DyBCNN on ReActNet-A (Zhang et al. 2022): every RSign replaced by ``DySign``.

    Thresholds come per sample and channel from the block input's statistics (71.2%
    ImageNet in the paper). ``reduction`` is the DySign bottleneck ratio.
    """
    return react_mobilenet(name, conv_threshold="dysign", reduction=reduction, **kwargs)


def BCDNetA(*, mlp_blocks=9, dual_head=False, shift_padding="wrap", beta=1, name="bcdnet_a", **kwargs):
    """BCDNet-A (Xing et al., ECCV 2022): ReActNet-A's first blocks, then binary MLP blocks.

    The released model (``mlp_blocks=9``, M/N = 11/9): ReActNet-A's blocks up to three
    512-blocks and the 512->1024 block, then 3 x [MLP, MLP, MLP, point] blocks at 1024
    channels; 71.8% ImageNet at ReActNet-A's 4.82e9 binary MACs. ``mlp_blocks`` (0, 3, ...,
    15) moves along the paper's conv/MLP trade-off at equal binary MACs.

    ``dual_head=True`` gives the official two classifiers ``fc`` and ``fc_dist`` as two
    logit outputs for distillation training; ``fold_dual_head`` makes the inference model.
    ``shift_padding`` is "wrap" (official) or "zero"; ``beta > 1`` makes it a Rep model.
    """
    return react_mobilenet(
        name,
        mlp_blocks=mlp_blocks,
        dual_head=dual_head,
        shift_padding=shift_padding,
        beta=beta,
        **kwargs,
    )


def BCDNetB(*, reduction=4, name="bcdnet_b", **kwargs):
    """BCDNet-B: BCDNet-A with the contextual dynamic embedding in every binary conv block.

    Each binary conv gets \\(\\mathrm{sign}(A - \\alpha)\\) and \\(+\\beta\\) from
    \\(e = W_1 \\mathrm{GAP}(A)\\) (``ContextualDynamicEmbedding``); 72.3% ImageNet. Same
    knobs as ``BCDNetA``; ``reduction`` sets the embedding width.
    """
    return BCDNetA(name=name, conv_threshold="cde", reduction=reduction, **kwargs)


for _builder in (ReActNetA, RepReActNetA, ESReActNetA, DyBCNNReActNetA, BCDNetA, BCDNetB):
    _builder.__doc__ += _COMMON_DOC
