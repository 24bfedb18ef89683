"""Keras layers and building blocks of BCDNet, DySign, RepBNN and ES-BNN (one concept per file)."""

from larq_bcd.layers.activations import HardTanh, LearnableBias, RPReLU
from larq_bcd.layers.binary_conv import BinaryConv2D, TorchPaddingBinaryConv2D
from larq_bcd.layers.binary_mlp_block import BinaryMLPBlock, PointBlock
from larq_bcd.layers.block import Block
from larq_bcd.layers.conv_block import ReActBlock, ResNetBlock
from larq_bcd.layers.dynamic_embedding import ContextualDynamicEmbedding
from larq_bcd.layers.rep import ChannelReplicate, ExpandShrink, RepConv
from larq_bcd.layers.shift_sampling import ShiftSampling
from larq_bcd.layers.shortcut import ZeroPadChannels
from larq_bcd.layers.token_mlp import TokenWiseBinaryMLP
from larq_bcd.layers.torch_pooling import TorchMaxPool2D

__all__ = [
    "BinaryConv2D",
    "BinaryMLPBlock",
    "Block",
    "ChannelReplicate",
    "ContextualDynamicEmbedding",
    "ExpandShrink",
    "HardTanh",
    "LearnableBias",
    "PointBlock",
    "RPReLU",
    "ReActBlock",
    "RepConv",
    "ResNetBlock",
    "ShiftSampling",
    "TokenWiseBinaryMLP",
    "TorchMaxPool2D",
    "TorchPaddingBinaryConv2D",
    "ZeroPadChannels",
]
