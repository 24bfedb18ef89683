"""One record per zoo model: everything the library, the tables, the benchmarks, the recipes
and the tests know about it (timm's ``@register_model`` + ``model_args``, as data).

A record names the graph that builds the model (``family``) and the knobs that make this
model of it (``model_args``); the graphs' own layouts (stage widths and strides) are data at
the top of their files: ``mobilenet.REACTNET_A_BLOCKS``, ``resnet.RESNET18_STAGES``,
``cifar.RESNET20_STAGES``, ``cifar.VGG_SMALL_CONVS``, ``cct.CONFIGS``.
"""

import dataclasses
import types


@dataclasses.dataclass(frozen=True)
class Paper:
    """A published result: top-1 (%) on ``dataset``, and the costs the paper reports."""

    top1: float | None
    dataset: str
    source: str
    bops: float | None = None
    flops: float | None = None


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """A zoo model.

    Attributes:
        name: the zoo name (``larq_bcd.zoo.get(name)``).
        family: the graph that builds it: ``"reactnet_a"`` (``mobilenet.react_mobilenet``),
            ``"resnet18"`` (``resnet.react_resnet18``), ``"cct"`` (``cct.binary_cct``) or
            ``"cifar"`` (``cifar.cifar_model``).
        model_args: the family's knobs that make this model (threshold, beta, tau, ...).
        paper: the published result, or None.
        dual_head: has BCDNet's two classifiers (``fc``, ``fc_dist``) for distillation.
        official: the official PyTorch checkpoint format, as (stem conv key, stem width at
            width 1), or None when there is no official code to import from.
        bench: converted and timed beside its float twin by ``larq-bcd bench``.
        min_binary_share: the share of MACs in ``LceBconv2d`` at (32x32, 224x224) that the
            tests require (real-valued stems, shortcuts and attention keep the rest).
        cifar_only: built for 32x32 CIFAR inputs only (no ImageNet layout).
    """

    name: str
    family: str
    model_args: types.MappingProxyType
    paper: Paper | None = None
    dual_head: bool = False
    official: tuple | None = None
    bench: bool = False
    min_binary_share: tuple = (0.95, 0.95)
    cifar_only: bool = False


def _record(name, family, paper=None, **fields):
    model_args = types.MappingProxyType(fields.pop("model_args", {}))
    return ModelConfig(name, family, model_args, paper, **fields)


_IMAGENET = "ImageNet"
_CIFAR10 = "CIFAR-10"
_BCDNET = "Xing et al., BCDNet, ECCV 2022, Table 3"
_RECU = "Xu et al., ReCU, ICCV 2021 (README)"
_RESNET18_SHARE = (0.95, 0.9)  # a float 7x7 stem and 1x1 shortcuts at 224x224

MODELS = {
    record.name: record
    for record in (
        _record(
            "reactnet_a",
            "reactnet_a",
            Paper(69.4, _IMAGENET, _BCDNET, bops=4.82e9, flops=0.31e8),
            official=("feature.0.conv1.weight", 32),
            bench=True,
        ),
        _record(
            "bcdnet_a",
            "reactnet_a",
            Paper(71.8, _IMAGENET, _BCDNET, bops=4.82e9, flops=0.32e8),
            model_args={"mlp_blocks": 9},
            dual_head=True,
            official=("feature.0.conv1.weight", 32),
            bench=True,
        ),
        _record(
            "bcdnet_b",
            "reactnet_a",
            Paper(72.3, _IMAGENET, _BCDNET, bops=4.82e9, flops=0.34e8),
            model_args={"mlp_blocks": 9, "threshold": "cde"},
            dual_head=True,
            bench=True,
        ),
        _record(
            "dybcnn_reactnet_a",
            "reactnet_a",
            Paper(71.2, _IMAGENET, "Zhang et al., DyBCNN, 2022"),
            model_args={"threshold": "dysign"},
            bench=True,
        ),
        _record(
            "rep_reactnet_a",
            "reactnet_a",
            Paper(71.342, _IMAGENET, "Shi et al., RepBNN, 2022 (AdamBNN's recipe)"),
            model_args={"beta": 2},
            bench=True,
        ),
        _record("es_reactnet_a", "reactnet_a", model_args={"tau": 2}),
        _record(
            "reactnet_resnet18",
            "resnet18",
            Paper(65.5, _IMAGENET, _BCDNET),
            official=("conv1.weight", 64),
            min_binary_share=_RESNET18_SHARE,
        ),
        _record(
            "bcdnet_a_resnet18",
            "resnet18",
            Paper(66.9, _IMAGENET, _BCDNET),
            model_args={"mlp_stage": True},
            min_binary_share=_RESNET18_SHARE,
        ),
        _record(
            "bcdnet_b_resnet18",
            "resnet18",
            Paper(67.9, _IMAGENET, _BCDNET),
            model_args={"mlp_stage": True, "threshold": "cde"},
            min_binary_share=_RESNET18_SHARE,
        ),
        _record(
            "dybcnn_resnet18",
            "resnet18",
            Paper(67.4, _IMAGENET, "Zhang et al., DyBCNN, 2022"),
            model_args={"threshold": "dysign"},
            min_binary_share=_RESNET18_SHARE,
        ),
        _record(
            # Attention matmuls and the real-valued tokenizer stay float.
            "dy_binary_cct",
            "cct",
            Paper(56.1, _IMAGENET, "Zhang et al., DyBCNN, 2022"),
            min_binary_share=(0.75, 0.70),
        ),
        _record(
            "resnet20",
            "cifar",
            Paper(87.5, _CIFAR10, _RECU),
            model_args={"architecture": "resnet20"},
            cifar_only=True,
        ),
        _record(
            "rep_resnet20",
            "cifar",
            Paper(88.97, _CIFAR10, "Shi et al., RepBNN, 2022"),
            model_args={"architecture": "resnet20", "beta": 2},
            cifar_only=True,
        ),
        _record("es_resnet20", "cifar", model_args={"architecture": "resnet20", "tau": 2}, cifar_only=True),
        _record(
            "vgg_small",
            "cifar",
            Paper(92.2, _CIFAR10, _RECU),
            model_args={"architecture": "vgg_small"},
            cifar_only=True,
        ),
        _record("rep_vgg_small", "cifar", model_args={"architecture": "vgg_small", "beta": 2}, cifar_only=True),
        _record("es_vgg_small", "cifar", model_args={"architecture": "vgg_small", "tau": 2}, cifar_only=True),
    )
}


def config(name):
    """The record of zoo model ``name`` (dashes or underscores, any case)."""
    key = name.lower().replace("-", "_")
    if key not in MODELS:
        raise ValueError(f"Unknown zoo model {name!r}; available: {', '.join(sorted(MODELS))}.")
    return MODELS[key]


def names(**where):
    """The names of the models whose record fields equal ``where``, in the order above
    (ReActNet-A first: the reference of every ratio), e.g. ``names(bench=True)``."""
    return [n for n, r in MODELS.items() if all(getattr(r, k) == v for k, v in where.items())]


def official_names():
    """The models with an official PyTorch checkpoint format."""
    return [n for n, r in MODELS.items() if r.official is not None]
