r"""Common machinery of the building blocks: a block is a serializable recipe that adds
named Keras layers to a functional graph (larq-zoo's ``residual_block`` style).

Blocks are not composite layers on purpose: every binary convolution stays a top-level
layer of the model, so ``lq.models.summary`` counts its binary MACs, LCE sees a flat graph,
and ``model.save`` stores only plain, registered layers.
"""

import tensorflow as tf

from larq_bcd._utils import choice, positive_int
from larq_bcd.layers.activations import LearnableBias
from larq_bcd.layers.binary_conv import BinaryConv2D, TorchPaddingBinaryConv2D
from larq_bcd.layers.dynamic_embedding import ContextualDynamicEmbedding
from larq_bcd.layers.rep import RepConv
from larq_bcd.layers.token_mlp import TokenWiseBinaryMLP
from larq_bcd.quantizers import DySign

#: How a block binarizes: "binary" (both, step 2 / inference), "activations" (binary
#: activations, real weights: step 1 of two-step training), "float" (the float twin).
QUANTIZATION = {"binary", "activations", "float"}
#: Where the sign threshold comes from: ReActNet's static bias, DySign, or BCDNet-B's CDE.
THRESHOLDS = {"bias", "dysign", "cde"}


def batch_norm(name):
    """BN with PyTorch's defaults (momentum 0.1 there is 0.9 here, epsilon 1e-5)."""
    return tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)


class Block:
    """Base class: holds the configuration, names the layers, round-trips ``get_config``."""

    prefix = "block"

    def __init__(
        self,
        *,
        threshold="bias",
        beta=1,
        reduction=4,
        quantization="binary",
        official=False,
        name=None,
    ):
        self.threshold = choice("threshold", threshold, THRESHOLDS)
        self.official = bool(official)
        if self.official and (beta != 1 or threshold == "dysign"):
            raise ValueError(
                "`official=True` (PyTorch's padding) is for the models with official code: "
                "it needs beta=1 and a bias or CDE threshold."
            )
        self.beta = positive_int("beta", beta)
        self.reduction = positive_int("reduction", reduction)
        self.quantization = choice("quantization", quantization, QUANTIZATION)
        self.name = name or f"{self.prefix}_{tf.keras.backend.get_uid(self.prefix)}"

    def get_config(self):
        return {
            "threshold": self.threshold,
            "beta": self.beta,
            "reduction": self.reduction,
            "quantization": self.quantization,
            "official": self.official,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def sign_input(self, x, out_channels, tag):
        r"""The threshold \(t\) of \(\mathrm{sign}(x - t)\), applied once per block stage.

        Returns ``(a, input_quantizer, dynamic_bias)``: the tensor to binarize, the
        quantizer the conv applies to it, and the CDE's \(\beta\) (or None) to add after
        the conv. ``out_channels`` is the logical width of the conv output.
        """
        name = f"{self.name}_{tag}"
        quantizer = None if self.quantization == "float" else "approx_sign"
        if self.threshold == "bias":
            return LearnableBias(name=f"{name}_sign_bias")(x), quantizer, None
        if self.threshold == "dysign":
            # The float twin has no sign, so no threshold: DySign is left out.
            return x, ("dysign" if quantizer else None), None
        alpha, dynamic_bias = ContextualDynamicEmbedding(
            out_channels * self.beta, self.reduction, name=f"{name}_cde"
        )(x)
        a = tf.keras.layers.Subtract(name=f"{name}_sign_threshold")([x, alpha])
        return a, quantizer, dynamic_bias

    def conv(self, a, input_quantizer, filters, kernel_size, strides, tag):
        """A binary conv (``RepConv`` when ``beta > 1``) of logical width ``filters``."""
        name = f"{self.name}_{tag}"
        if input_quantizer == "dysign":
            input_quantizer = DySign(self.reduction, name=f"{name}_dysign")
        conv_args = {
            "strides": strides,
            "input_quantizer": input_quantizer,
            "name": f"{name}_conv",
        }
        if self.quantization != "binary":
            conv_args["kernel_quantizer"] = None
        if self.beta > 1:
            return RepConv(filters, kernel_size, beta=self.beta, **conv_args)(a)
        if kernel_size == 1 and strides == 1:
            del conv_args["strides"]
            return TokenWiseBinaryMLP(filters, **conv_args)(a)
        if self.official and strides > 1:
            return TorchPaddingBinaryConv2D(filters, kernel_size, **conv_args)(a)
        if self.official:
            conv_args["pad_values"] = 0.0  # PyTorch's zero padding ("same" at stride 1)
        return BinaryConv2D(filters, kernel_size, **conv_args)(a)

    def binary_conv(self, x, filters, kernel_size, strides, tag):
        r"""\(\mathrm{BinConv}(\mathrm{sign}(x - t))\) (+ the CDE's \(\beta\)), before BN."""
        a, quantizer, dynamic_bias = self.sign_input(x, filters, tag)
        y = self.conv(a, quantizer, filters, kernel_size, strides, tag)
        if dynamic_bias is not None:
            y = tf.keras.layers.Add(name=f"{self.name}_{tag}_cde_bias")([y, dynamic_bias])
        return y
