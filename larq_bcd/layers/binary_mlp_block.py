r"""BCDNet's binary MLP blocks: the three-branch shift block and the single-branch point block."""

import tensorflow as tf

from larq_bcd._utils import choice
from larq_bcd.layers.activations import RPReLU
from larq_bcd.layers.block import Block, batch_norm
from larq_bcd.layers.shift_sampling import ShiftSampling


class BinaryMLPBlock(Block):
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
    its own weights (a 1x1 ``RepConv`` when ``beta > 1``). The shifts act on the real-valued input of each
    branch's sign, which equals shifting the binary tokens (a shift is a permutation).

    Args:
        padding: ``"wrap"`` (the official code) or ``"zero"`` for the shifts.

    Reference: Xing et al., BCDNet, ECCV 2022, Sec. 3.2-3.3 (code: Sense-GVT/BCDNet).
    """

    prefix = "mlp_block"
    branches = ("identity", "short", "long")

    def __init__(self, padding="wrap", **kwargs):
        super().__init__(**kwargs)
        self.padding = choice("padding", padding, {"wrap", "zero"})

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}

    def __call__(self, x):
        channels = x.shape[-1] // self.beta
        a, quantizer, dynamic_bias = self.sign_input(x, channels, "mlp")
        outputs = []
        for branch in self.branches:
            shifted = a
            if branch != "identity":
                shift = ShiftSampling(branch, self.padding, name=f"{self.name}_shift_{branch}")
                shifted = shift(a)
            outputs.append(self.conv(shifted, quantizer, channels, 1, 1, f"mlp_{branch}"))
        if dynamic_bias is not None:
            outputs.append(dynamic_bias)
        y = outputs[0]
        if len(outputs) > 1:
            y = tf.keras.layers.Add(name=f"{self.name}_sum")(outputs)
        y = batch_norm(f"{self.name}_bn")(y)
        y = tf.keras.layers.Add(name=f"{self.name}_add")([y, x])
        return RPReLU(name=f"{self.name}_rprelu")(y)


class PointBlock(BinaryMLPBlock):
    r"""BCDNet's point block: the binary MLP block with only the identity branch,
    \(\mathrm{RPReLU}(\mathrm{BN}(\mathrm{MLP}(\mathrm{sign}(x - t))) + x)\)."""

    prefix = "point_block"
    branches = ("identity",)
