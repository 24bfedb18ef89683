"""Keyword-only builders of the papers' models (larq-zoo style) and their registry.

model = larq_bcd.zoo.BCDNetB()                        # 224x224, 1000 classes
model = larq_bcd.zoo.get("bcdnet_b", input_shape=(32, 32, 3), num_classes=10)
larq_bcd.zoo.config("bcdnet_b")                       # its record: knobs, paper, heads
"""

from larq_bcd.zoo._common import fold_dual_head
from larq_bcd.zoo.builders import (
    BCDNetA,
    BCDNetAResNet18,
    BCDNetB,
    BCDNetBResNet18,
    DyBCNNReActNetA,
    DyBCNNResNet18,
    DyBinaryCCT,
    ESReActNetA,
    ESResNet20,
    ESVGGSmall,
    ReActNetA,
    ReActNetResNet18,
    RepReActNetA,
    RepResNet20,
    RepVGGSmall,
    ResNet20,
    VGGSmall,
    arguments,
    build,
)
from larq_bcd.zoo.registry import MODELS, ModelConfig, Paper, config

#: Models of the CIFAR-10 papers only (32x32 inputs, 10 classes): no ImageNet layout.
CIFAR_MODELS = tuple(name for name, record in MODELS.items() if record.cifar_only)


def available():
    """The names ``get`` accepts, sorted."""
    return sorted(MODELS)


def imagenet_models():
    """The names of the models with an ImageNet (224x224) layout, sorted."""
    return [name for name in available() if not MODELS[name].cifar_only]


def get(name, **kwargs):
    """Build the zoo model ``name`` (see ``available()``) with the builder's keyword arguments."""
    return build(name, **kwargs)


__all__ = [
    "BCDNetA",
    "BCDNetAResNet18",
    "BCDNetB",
    "BCDNetBResNet18",
    "CIFAR_MODELS",
    "DyBCNNReActNetA",
    "DyBCNNResNet18",
    "DyBinaryCCT",
    "ESReActNetA",
    "ESResNet20",
    "ESVGGSmall",
    "MODELS",
    "ModelConfig",
    "Paper",
    "ReActNetA",
    "ReActNetResNet18",
    "RepReActNetA",
    "RepResNet20",
    "RepVGGSmall",
    "ResNet20",
    "VGGSmall",
    "arguments",
    "available",
    "build",
    "config",
    "fold_dual_head",
    "get",
    "imagenet_models",
]
