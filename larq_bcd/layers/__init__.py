"""The Keras layers of BCDNet, DySign, RepBNN, ES-BNN and the 1w1a CIFAR models, one paper
concept per file. The blocks that assemble them live in ``larq_bcd.zoo.blocks``."""

from larq_bcd.layers.activations import HardTanh, RPReLU
from larq_bcd.layers.attention import PositionalEmbedding, SequencePooling, TokenAttention
from larq_bcd.layers.binary_conv import BinaryConv2D, TorchPaddingBinaryConv2D
from larq_bcd.layers.dynamic_embedding import ContextualDynamicEmbedding
from larq_bcd.layers.expand_shrink import ExpandShrink
from larq_bcd.layers.learnable_bias import LearnableBias
from larq_bcd.layers.rep_conv import ChannelReplicate, RepConv
from larq_bcd.layers.shift_sampling import ShiftSampling
from larq_bcd.layers.shortcut import ZeroPadChannels
from larq_bcd.layers.token_mlp import TokenWiseBinaryMLP
from larq_bcd.layers.torch_pooling import TorchMaxPool2D

__all__ = [
    "BinaryConv2D",
    "ChannelReplicate",
    "ContextualDynamicEmbedding",
    "ExpandShrink",
    "HardTanh",
    "LearnableBias",
    "PositionalEmbedding",
    "RPReLU",
    "RepConv",
    "SequencePooling",
    "ShiftSampling",
    "TokenAttention",
    "TokenWiseBinaryMLP",
    "TorchMaxPool2D",
    "TorchPaddingBinaryConv2D",
    "ZeroPadChannels",
]
