r"""The building blocks of the zoo, as functions that add named layers to a functional graph
(larq-zoo's ``residual_block`` and keras-cv's ``apply_*`` style).

Blocks are functions, not composite layers, on purpose: every binary convolution stays a
top-level layer of the model, so ``lq.models.summary`` counts its binary MACs, LCE sees a
flat graph, and ``model.save`` stores only plain, registered layers. How each block
binarizes is one ``BinaryOptions`` record (the papers' knobs), shared by a whole model.

- ``react_block``: ReActNet-A's block (Liu et al., ECCV 2020).
- ``resnet_block``: ReAct-ResNet-18's Bi-Real block.
- ``binary_mlp_block`` / ``point_block``: BCDNet's binary MLP blocks (Xing et al., ECCV 2022).
- ``binary_conv``: \(\mathrm{BinConv}(\mathrm{sign}(x - t))\) with the threshold \(t\) of
  ReActNet (static), DySign (Zhang et al. 2022) or BCDNet-B's CDE, on RepBNN's
  \(\beta\)-wide tensors (``RepConv``) when ``beta > 1``.
"""

import dataclasses

from larq_bcd._utils import choice, positive_int
from larq_bcd.layers.activations import RPReLU
from larq_bcd.layers.binary_conv import BinaryConv2D, TorchPaddingBinaryConv2D
from larq_bcd.layers.dynamic_embedding import ContextualDynamicEmbedding
from larq_bcd.layers.learnable_bias import LearnableBias
from larq_bcd.layers.rep_conv import RepConv
from larq_bcd.layers.shift_sampling import ShiftSampling
from larq_bcd.layers.token_mlp import TokenWiseBinaryMLP
from larq_bcd.quantizers import DySign

import tensorflow as tf

#: How a model binarizes: "binary" (both, step 2 / inference), "activations" (binary
#: activations, real weights: step 1 of two-step training), "float" (the float twin).
QUANTIZATIONS = ("binary", "activations", "float")
#: Where the sign threshold comes from: ReActNet's static bias, DySign, or BCDNet-B's CDE.
THRESHOLDS = ("bias", "dysign", "cde")
#: The default bottleneck ratio of each dynamic threshold: DySign's (DyBCNN: 16), the CDE's (4).
REDUCTION = {"bias": 4, "dysign": 16, "cde": 4}


@dataclasses.dataclass(frozen=True)
class BinaryOptions:
    r"""How every binary conv of a model binarizes: the papers' knobs, validated once.

    Attributes:
        threshold: \(t\) of \(\mathrm{sign}(x - t)\): ``"bias"`` (ReActNet's learnable
            bias), ``"dysign"`` (DySign, per sample and channel) or ``"cde"`` (BCDNet-B's
            contextual dynamic embedding, which also adds its \(\beta\) to the conv output).
        beta: RepBNN's channel replication (ES-BNN's \(\tau\) in a \(\tau\)-wide network):
            every binary conv is a ``RepConv`` on \(\beta\)-wide tensors.
        reduction: the bottleneck ratio of the dynamic threshold (DySign's or the CDE's);
            None gives ``REDUCTION[threshold]``.
        quantization: one of ``QUANTIZATIONS``.
        official: pad as the official PyTorch code (zeros around the binarised input,
            PyTorch's stride-2 grid); for the models with official code (beta 1, no DySign).
    """

    threshold: str = "bias"
    beta: int = 1
    reduction: int | None = None
    quantization: str = "binary"
    official: bool = False

    def __post_init__(self):
        choice("threshold", self.threshold, set(THRESHOLDS))
        positive_int("beta", self.beta)
        if self.reduction is None:
            object.__setattr__(self, "reduction", REDUCTION[self.threshold])
        positive_int("reduction", self.reduction)
        choice("quantization", self.quantization, set(QUANTIZATIONS))
        if self.official and (self.beta != 1 or self.threshold == "dysign"):
            raise ValueError(
                "`official=True` (PyTorch's padding) is for the models with official code: "
                "it needs beta=1 and a bias or CDE threshold."
            )


def batch_norm(name):
    """BN with PyTorch's defaults (momentum 0.1 there is 0.9 here, epsilon 1e-5)."""
    return tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)


def block_name(prefix, name=None):
    """``name``, or a unique ``{prefix}_{n}``."""
    return name or f"{prefix}_{tf.keras.backend.get_uid(prefix)}"


def sign_threshold(x, options, out_channels, name):
    r"""Subtract the threshold \(t\) of \(\mathrm{sign}(x - t)\), once per block stage.

    Returns ``(a, dynamic_bias)``: the tensor the convs binarize, and the CDE's \(\beta\)
    (or None) to add to each conv output. DySign's threshold is the conv's own input
    quantizer (``binary_conv``), so ``a`` is ``x`` there; the float twin keeps the other
    thresholds as real-valued layers (the same weights as the binary model). ``out_channels`` is the logical
    width of the conv output.
    """
    if options.threshold == "dysign":
        return x, None
    if options.threshold == "bias":
        return LearnableBias(name=f"{name}_sign_bias")(x), None
    alpha, dynamic_bias = ContextualDynamicEmbedding(
        out_channels * options.beta, options.reduction, name=f"{name}_cde"
    )(x)
    return tf.keras.layers.Subtract(name=f"{name}_sign_threshold")([x, alpha]), dynamic_bias


def binary_conv(a, options, filters, kernel_size, strides, name, *, token_wise=False):
    r"""A binary conv of logical width ``filters`` on ``a`` (already thresholded).

    A ``RepConv`` when ``beta > 1``; a ``TokenWiseBinaryMLP`` when ``token_wise`` (BCDNet's
    MLP blocks); PyTorch's padding when ``official``. Layers: ``{name}_conv`` (and
    ``{name}_dysign``, its DySign quantizer).
    """
    input_quantizer = None
    if options.quantization != "float":
        input_quantizer = "approx_sign"
        if options.threshold == "dysign":
            input_quantizer = DySign(options.reduction, name=f"{name}_dysign")
    args = {"input_quantizer": input_quantizer, "name": f"{name}_conv"}
    if options.quantization != "binary":
        args["kernel_quantizer"] = None
    if options.beta > 1:
        return RepConv(filters, kernel_size, beta=options.beta, strides=strides, **args)(a)
    if token_wise:
        return TokenWiseBinaryMLP(filters, **args)(a)
    if options.official and strides > 1:
        return TorchPaddingBinaryConv2D(filters, kernel_size, strides=strides, **args)(a)
    if options.official:
        args["pad_values"] = 0.0  # PyTorch's zero padding ("same" at stride 1)
    padding = "valid" if kernel_size == 1 else "same"
    return BinaryConv2D(filters, kernel_size, strides=strides, padding=padding, **args)(a)


def thresholded_binary_conv(x, options, filters, kernel_size, strides, name):
    r"""\(\mathrm{BinConv}(\mathrm{sign}(x - t))\) (+ the CDE's \(\beta\)), before BN."""
    a, dynamic_bias = sign_threshold(x, options, filters, name)
    y = binary_conv(a, options, filters, kernel_size, strides, name)
    if dynamic_bias is not None:
        y = tf.keras.layers.Add(name=f"{name}_cde_bias")([y, dynamic_bias])
    return y


def _check_strides(strides):
    if strides not in (1, 2):
        raise ValueError(f"`strides` must be 1 or 2, got {strides!r}.")


def react_block(x, filters, strides=1, options=BinaryOptions(), name=None):
    r"""ReActNet-A's basic block: a binary 3x3 conv and a binary 1x1 conv, each with a shortcut.

    \[
    o_1 = \mathrm{RPReLU}\big(\mathrm{BN}(\mathrm{BinConv}_{3\times3,s}(\mathrm{sign}(x - t_1)))
          + \mathrm{AvgPool}_s(x)\big)
    \]
    \[
    o_2 = \mathrm{RPReLU}\big(\mathrm{BN}(\mathrm{BinConv}_{1\times1}(\mathrm{sign}(o_1 - t_2)))
          + o_1\big)
    \]
    When ``filters == 2 C_in`` the 1x1 part is two \(C_{in} \to C_{in}\) convs sharing one
    threshold (the official ``move21``), each with its own BN and shortcut \(o_1\),
    concatenated (ReActNet's ``binary_pw_down1/2``).

    Args:
        x: the block input, \(C_{in}\) channels (\(\beta C_{in}\) when ``beta > 1``).
        filters: output channels, \(C_{in}\) or \(2 C_{in}\).
        strides: 1 or 2 (2 average-pools the shortcut).
        options: ``BinaryOptions`` (threshold, beta, quantization, ...).
        name: layer-name prefix (``react_block_<n>`` by default).

    Reference: Liu et al., ReActNet, ECCV 2020 (code: liuzechun/ReActNet).
    """
    name = block_name("react_block", name)
    _check_strides(strides)
    in_channels = x.shape[-1] // options.beta
    if filters not in (in_channels, 2 * in_channels):
        raise ValueError(
            f"{name}: `filters` must equal the input channels or twice them ({in_channels}), got {filters}."
        )
    y = thresholded_binary_conv(x, options, in_channels, 3, strides, f"{name}_3x3")
    y = batch_norm(f"{name}_3x3_bn")(y)
    shortcut = x
    if strides == 2:
        shortcut = tf.keras.layers.AveragePooling2D(2, name=f"{name}_pool")(x)
    o1 = tf.keras.layers.Add(name=f"{name}_3x3_add")([y, shortcut])
    o1 = RPReLU(name=f"{name}_3x3_rprelu")(o1)

    a, dynamic_bias = sign_threshold(o1, options, in_channels, f"{name}_1x1")
    tags = ["1x1"] if filters == in_channels else ["1x1_a", "1x1_b"]
    outputs = []
    for tag in tags:
        y = binary_conv(a, options, in_channels, 1, 1, f"{name}_{tag}")
        if dynamic_bias is not None:
            y = tf.keras.layers.Add(name=f"{name}_{tag}_cde_bias")([y, dynamic_bias])
        y = batch_norm(f"{name}_{tag}_bn")(y)
        outputs.append(tf.keras.layers.Add(name=f"{name}_{tag}_add")([y, o1]))
    o2 = outputs[0]
    if len(outputs) > 1:
        o2 = tf.keras.layers.Concatenate(name=f"{name}_concat")(outputs)
    return RPReLU(name=f"{name}_1x1_rprelu")(o2)


def resnet_block(x, filters, strides=1, options=BinaryOptions(), name=None):
    r"""ReAct-ResNet-18's block: one binary 3x3 conv with its own shortcut (Bi-Real style).

    \[
    y = \mathrm{RPReLU}\big(\mathrm{BN}(\mathrm{BinConv}_{3\times3,s}(\mathrm{sign}(x - t)))
        + \mathrm{sc}(x)\big)
    \]
    where the shortcut is the identity, or, when the stride is 2 or the width changes,
    \(\mathrm{BN}(\mathrm{Conv}_{1\times1}(\mathrm{AvgPool}_s(x)))\) in real values.
    ResNet-18's 16 convs are 16 of these blocks. It has no RepConv variant (``beta`` 1).

    Reference: Liu et al., ReActNet, ECCV 2020 (code: liuzechun/ReActNet, resnet/).
    """
    name = block_name("resnet_block", name)
    _check_strides(strides)
    if options.beta != 1:
        raise ValueError(f"{name}: the ResNet-18 block has no RepConv variant: `beta` must be 1.")
    y = thresholded_binary_conv(x, options, filters, 3, strides, f"{name}_3x3")
    y = batch_norm(f"{name}_bn")(y)
    shortcut = x
    if strides == 2:
        shortcut = tf.keras.layers.AveragePooling2D(2, name=f"{name}_pool")(shortcut)
    if strides == 2 or x.shape[-1] != filters:
        shortcut = tf.keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_downsample")(shortcut)
        shortcut = batch_norm(f"{name}_downsample_bn")(shortcut)
    y = tf.keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return RPReLU(name=f"{name}_rprelu")(y)


def binary_mlp_block(x, options=BinaryOptions(), padding="wrap", name=None, branches=("identity", "short", "long")):
    r"""BCDNet's binary MLP block (the official ``ShiftBlock``): long- and short-range
    context by shifting binary tokens, mixed by token-wise binary MLPs.

    \[
    a = \mathrm{sign}(x - t),\quad
    y = \mathrm{BN}\big(\mathrm{MLP}_1(a) + \mathrm{MLP}_2(S_{short}(a))
        + \mathrm{MLP}_3(S_{long}(a))\big),\quad
    \mathrm{out} = \mathrm{RPReLU}(y + x)
    \]
    The threshold \(t\) (one learnable bias, as the official ``move0``) is applied once,
    before the shifts. Each \(\mathrm{MLP}_i\) is a ``TokenWiseBinaryMLP`` \(C \to C\) with
    its own weights (a 1x1 ``RepConv`` when ``beta > 1``). The shifts act on the real-valued
    input of each branch's sign, which equals shifting the binary tokens (a shift is a
    permutation).

    Args:
        padding: ``"wrap"`` (the official code) or ``"zero"`` for the shifts.
        branches: ``("identity",)`` gives the point block.

    Reference: Xing et al., BCDNet, ECCV 2022, Sec. 3.2-3.3 (code: Sense-GVT/BCDNet).
    """
    name = block_name("mlp_block", name)
    choice("padding", padding, {"wrap", "zero"})
    channels = x.shape[-1] // options.beta
    a, dynamic_bias = sign_threshold(x, options, channels, f"{name}_mlp")
    outputs = []
    for branch in branches:
        shifted = a
        if branch != "identity":
            shifted = ShiftSampling(branch, padding, name=f"{name}_shift_{branch}")(a)
        outputs.append(binary_conv(shifted, options, channels, 1, 1, f"{name}_mlp_{branch}", token_wise=True))
    if dynamic_bias is not None:
        outputs.append(dynamic_bias)
    y = outputs[0]
    if len(outputs) > 1:
        y = tf.keras.layers.Add(name=f"{name}_sum")(outputs)
    y = batch_norm(f"{name}_bn")(y)
    y = tf.keras.layers.Add(name=f"{name}_add")([y, x])
    return RPReLU(name=f"{name}_rprelu")(y)


def point_block(x, options=BinaryOptions(), name=None):
    r"""BCDNet's point block: the binary MLP block with only the identity branch,
    \(\mathrm{RPReLU}(\mathrm{BN}(\mathrm{MLP}(\mathrm{sign}(x - t))) + x)\)."""
    return binary_mlp_block(x, options, name=block_name("point_block", name), branches=("identity",))
