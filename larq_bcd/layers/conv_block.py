r"""ReActNet's binary conv blocks (MobileNetV1-like and ResNet-18-like), with DySign, CDE
and RepConv as options."""

import tensorflow as tf

from larq_bcd._utils import positive_int
from larq_bcd.layers.activations import RPReLU
from larq_bcd.layers.block import Block, batch_norm


class _ConvBlock(Block):
    """A block with an output width and a stride (1, or 2 to halve the feature map)."""

    def __init__(self, filters, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int("filters", filters)
        self.strides = positive_int("strides", strides)
        if self.strides not in (1, 2):
            raise ValueError(f"`strides` must be 1 or 2, got {strides!r}.")

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides}


class ReActBlock(_ConvBlock):
    r"""ReActNet-A's basic block: a binary 3x3 conv and a binary 1x1 conv, each with a shortcut.

    \[
    o_1 = \mathrm{RPReLU}\big(\mathrm{BN}(\mathrm{BinConv}_{3\times3,s}(\mathrm{sign}(x - t_1)))
          + \mathrm{AvgPool}_s(x)\big)
    \]
    \[
    o_2 = \mathrm{RPReLU}\big(\mathrm{BN}(\mathrm{BinConv}_{1\times1}(\mathrm{sign}(o_1 - t_2)))
          + o_1\big)
    \]
    When ``filters == 2 C_in`` the 1x1 part is two \(C_{in} \to C_{in}\) convs, each with its
    own BN and shortcut \(o_1\), concatenated (ReActNet's ``binary_pw_down1/2``).

    ``threshold`` selects \(t\): ReActNet's learnable bias (``"bias"``), ``DySign``
    (``"dysign"``, DyBCNN) or the contextual dynamic embedding (``"cde"``, BCDNet-B, which
    also adds its \(\beta\) to the conv output). ``beta > 1`` makes every conv a ``RepConv``
    on \(\beta\)-wide tensors (Rep-ReActNet-A).

    Args:
        filters: output channels (``C_in`` or ``2 C_in``).
        strides: 1 or 2 (2 average-pools the shortcut).

    Reference: Liu et al., ReActNet, ECCV 2020 (code: liuzechun/ReActNet).
    """

    prefix = "react_block"

    def __call__(self, x):
        width = x.shape[-1]
        in_channels = width // self.beta
        if self.filters not in (in_channels, 2 * in_channels):
            raise ValueError(
                f"{self.name}: `filters` must equal the input channels or twice them "
                f"({in_channels}), got {self.filters}."
            )
        y = self.binary_conv(x, in_channels, 3, self.strides, "3x3")
        y = batch_norm(f"{self.name}_3x3_bn")(y)
        shortcut = x
        if self.strides == 2:
            shortcut = tf.keras.layers.AveragePooling2D(2, name=f"{self.name}_pool")(x)
        o1 = tf.keras.layers.Add(name=f"{self.name}_3x3_add")([y, shortcut])
        o1 = RPReLU(name=f"{self.name}_3x3_rprelu")(o1)

        # One threshold (the official move21) feeds the 1x1 conv, or both halves when
        # downsampling; DySign, being the conv's own quantizer, stays one per conv.
        a, quantizer, dynamic_bias = self.sign_input(o1, in_channels, "1x1")
        tags = ["1x1"] if self.filters == in_channels else ["1x1_a", "1x1_b"]
        outputs = []
        for tag in tags:
            y = self.conv(a, quantizer, in_channels, 1, 1, tag)
            if dynamic_bias is not None:
                y = tf.keras.layers.Add(name=f"{self.name}_{tag}_cde_bias")([y, dynamic_bias])
            y = batch_norm(f"{self.name}_{tag}_bn")(y)
            outputs.append(tf.keras.layers.Add(name=f"{self.name}_{tag}_add")([y, o1]))
        if len(outputs) > 1:
            o2 = tf.keras.layers.Concatenate(name=f"{self.name}_concat")(outputs)
        else:
            o2 = outputs[0]
        return RPReLU(name=f"{self.name}_1x1_rprelu")(o2)


class ResNetBlock(_ConvBlock):
    r"""ReAct-ResNet-18's block: one binary 3x3 conv with its own shortcut (Bi-Real style).

    \[
    y = \mathrm{RPReLU}\big(\mathrm{BN}(\mathrm{BinConv}_{3\times3,s}(\mathrm{sign}(x - t)))
        + \mathrm{sc}(x)\big)
    \]
    where the shortcut is the identity, or, when the stride is 2 or the width changes,
    \(\mathrm{BN}(\mathrm{Conv}_{1\times1}(\mathrm{AvgPool}_s(x)))\) in real values.
    ResNet-18's 16 convs are 16 of these blocks.

    Reference: Liu et al., ReActNet, ECCV 2020 (code: liuzechun/ReActNet, resnet/).
    """

    prefix = "resnet_block"

    def __init__(self, filters, strides=1, **kwargs):
        super().__init__(filters, strides, **kwargs)
        if self.beta != 1:
            raise ValueError("ResNetBlock has no RepConv variant: `beta` must be 1.")

    def __call__(self, x):
        y = self.binary_conv(x, self.filters, 3, self.strides, "3x3")
        y = batch_norm(f"{self.name}_bn")(y)
        shortcut = x
        if self.strides == 2:
            shortcut = tf.keras.layers.AveragePooling2D(2, name=f"{self.name}_pool")(shortcut)
        if self.strides == 2 or x.shape[-1] != self.filters:
            shortcut = tf.keras.layers.Conv2D(
                self.filters, 1, use_bias=False, name=f"{self.name}_downsample"
            )(shortcut)
            shortcut = batch_norm(f"{self.name}_downsample_bn")(shortcut)
        y = tf.keras.layers.Add(name=f"{self.name}_add")([y, shortcut])
        return RPReLU(name=f"{self.name}_rprelu")(y)
