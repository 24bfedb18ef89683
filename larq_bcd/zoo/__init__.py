"""Keyword-only builders of the papers' models (larq-zoo style) and a registry.

    model = larq_bcd.zoo.BCDNetB()                        # 224x224, 1000 classes
    model = larq_bcd.zoo.get("bcdnet_b", input_shape=(32, 32, 3), num_classes=10)
"""

from larq_bcd.zoo._common import fold_dual_head
from larq_bcd.zoo.cct import DyBinaryCCT
from larq_bcd.zoo.cifar import ESResNet20, ESVGGSmall, RepResNet20, RepVGGSmall, ResNet20, VGGSmall
from larq_bcd.zoo.mobilenet import (
    BCDNetA,
    BCDNetB,
    DyBCNNReActNetA,
    ESReActNetA,
    ReActNetA,
    RepReActNetA,
)
from larq_bcd.zoo.resnet import BCDNetAResNet18, BCDNetBResNet18, DyBCNNResNet18, ReActNetResNet18

_REGISTRY = {
    "reactnet_a": ReActNetA,
    "bcdnet_a": BCDNetA,
    "bcdnet_b": BCDNetB,
    "dybcnn_reactnet_a": DyBCNNReActNetA,
    "rep_reactnet_a": RepReActNetA,
    "es_reactnet_a": ESReActNetA,
    "reactnet_resnet18": ReActNetResNet18,
    "bcdnet_a_resnet18": BCDNetAResNet18,
    "bcdnet_b_resnet18": BCDNetBResNet18,
    "dybcnn_resnet18": DyBCNNResNet18,
    "dy_binary_cct": DyBinaryCCT,
    "resnet20": ResNet20,
    "rep_resnet20": RepResNet20,
    "es_resnet20": ESResNet20,
    "vgg_small": VGGSmall,
    "rep_vgg_small": RepVGGSmall,
    "es_vgg_small": ESVGGSmall,
}


#: Models of the CIFAR-10 papers only (32x32 inputs, 10 classes): no ImageNet layout.
CIFAR_MODELS = ("resnet20", "rep_resnet20", "es_resnet20", "vgg_small", "rep_vgg_small", "es_vgg_small")


def available():
    """The names ``get`` accepts, sorted."""
    return sorted(_REGISTRY)


def imagenet_models():
    """The names of the models with an ImageNet (224x224) layout, sorted."""
    return [name for name in available() if name not in CIFAR_MODELS]


def get(name, **kwargs):
    """Build the zoo model ``name`` (see ``available()``) with the builder's keyword arguments."""
    key = name.lower().replace("-", "_")
    if key not in _REGISTRY:
        raise ValueError(f"Unknown zoo model {name!r}; available: {', '.join(available())}.")
    return _REGISTRY[key](**kwargs)


__all__ = [
    "ESResNet20",
    "ESVGGSmall",
    "RepResNet20",
    "RepVGGSmall",
    "ResNet20",
    "VGGSmall",
    "BCDNetA",
    "BCDNetAResNet18",
    "BCDNetB",
    "BCDNetBResNet18",
    "DyBCNNReActNetA",
    "DyBCNNResNet18",
    "DyBinaryCCT",
    "ESReActNetA",
    "ReActNetA",
    "ReActNetResNet18",
    "RepReActNetA",
    "CIFAR_MODELS",
    "available",
    "fold_dual_head",
    "imagenet_models",
    "get",
]
