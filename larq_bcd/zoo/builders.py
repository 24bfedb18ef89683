r"""The zoo's public builders: one per model, each its registry record built by its family's
graph. Every builder takes the keyword-only arguments of its family function (documented
there: ``mobilenet.react_mobilenet``, ``resnet.react_resnet18``, ``cct.binary_cct``,
``cifar.cifar_model``); an argument given here overrides the record's ``model_args``.

    model = larq_bcd.zoo.BCDNetB()                                   # 224x224, 1000 classes
    model = larq_bcd.zoo.BCDNetB(input_shape=(32, 32, 3), num_classes=10)
"""

import inspect

from larq_bcd.zoo import registry
from larq_bcd.zoo.cct import binary_cct
from larq_bcd.zoo.cifar import cifar_model
from larq_bcd.zoo.mobilenet import react_mobilenet
from larq_bcd.zoo.resnet import react_resnet18

#: The graph of each family (``ModelConfig.family``).
FAMILIES = {
    "reactnet_a": react_mobilenet,
    "resnet18": react_resnet18,
    "cct": binary_cct,
    "cifar": cifar_model,
}


def build(name, **kwargs):
    """Build zoo model ``name``: its family's graph with the record's ``model_args``, then
    ``kwargs`` (which win). Unknown arguments raise a ``TypeError`` naming them."""
    record = registry.config(name)
    builder = FAMILIES[record.family]
    return builder(**{**record.model_args, "name": record.name, **kwargs})


def arguments(name):
    """The keyword arguments zoo model ``name``'s builder takes (its family function's), sorted."""
    parameters = inspect.signature(FAMILIES[registry.config(name).family]).parameters.values()
    return sorted(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)


def ReActNetA(**kwargs):
    """ReActNet-A (Liu et al., ECCV 2020): the 13-block MobileNetV1-based BNN, 69.4% ImageNet.

    Widths 32, 64, 128, 128, 256, 256, 512 x 6, 1024 x 2; every block is two binary
    convolutions (3x3, 1x1) with RSign/RPReLU. 4.82e9 binary MACs at 224x224.
    Arguments: ``react_mobilenet``'s.
    """
    return build("reactnet_a", **kwargs)


def BCDNetA(**kwargs):
    """BCDNet-A (Xing et al., ECCV 2022): ReActNet-A's first blocks, then binary MLP blocks.

    The released model (``mlp_blocks=9``, M/N = 11/9): ReActNet-A's blocks up to three
    512-blocks and the 512->1024 block, then 3 x [MLP, MLP, MLP, point] blocks at 1024
    channels; 71.8% ImageNet at ReActNet-A's 4.82e9 binary MACs. ``mlp_blocks`` (0, 3, ...,
    15) moves along the paper's conv/MLP trade-off at equal binary MACs; ``dual_head=True``
    gives the official two classifiers for distillation. Arguments: ``react_mobilenet``'s.
    """
    return build("bcdnet_a", **kwargs)


def BCDNetB(**kwargs):
    r"""BCDNet-B: BCDNet-A with the contextual dynamic embedding in every binary conv block.

    Each binary conv gets \(\mathrm{sign}(A - \alpha)\) and \(+\beta\) from
    \(e = W_1 \mathrm{GAP}(A)\) (``ContextualDynamicEmbedding``); 72.3% ImageNet.
    ``reduction`` sets the embedding width. Arguments: ``react_mobilenet``'s.
    """
    return build("bcdnet_b", **kwargs)


def DyBCNNReActNetA(**kwargs):
    """DyBCNN on ReActNet-A (Zhang et al. 2022): every RSign replaced by ``DySign``.

    Thresholds come per sample and channel from the block input's statistics (71.2%
    ImageNet in the paper); ``reduction`` (16) is DySign's bottleneck ratio.
    Arguments: ``react_mobilenet``'s.
    """
    return build("dybcnn_reactnet_a", **kwargs)


def RepReActNetA(**kwargs):
    """Rep-ReActNet-A (RepBNN, Shi et al. 2022): ReActNet-A on ``beta``-replicated channels.

    The stem's output is replicated ``beta`` (2) times; every binary conv is a ``RepConv``
    (same parameters and binary MACs), BN/PReLU/biases are ``beta`` times wider, and the
    classifier sees ``beta * 1024`` features. 71.342% ImageNet (with AdamBNN's recipe).
    Arguments: ``react_mobilenet``'s.
    """
    return build("rep_reactnet_a", **kwargs)


def ESReActNetA(**kwargs):
    r"""ReActNet-A with the expanding-and-shrinking operation (ES-BNN, Shi et al. 2025).

    As in the paper's code, tensors are ``tau`` (2) times wider from the stem on and each
    binary conv is expanded-shrunk (\(\tau c_{in} \to c_{out}/\tau\), replicated
    \(\tau^2\)); the head keeps the first 1024 channels, so the classifier is ReActNet-A's.
    Arguments: ``react_mobilenet``'s.
    """
    return build("es_reactnet_a", **kwargs)


def ReActNetResNet18(**kwargs):
    """ReAct-ResNet-18 (Liu et al., ECCV 2020): Bi-Real ResNet-18 with RSign and RPReLU.

    16 binary 3x3 convs, each with its own shortcut (real-valued AvgPool + 1x1 conv + BN
    when downsampling); 65.5% ImageNet (BCDNet's table). ``official=True`` (or a PyTorch
    checkpoint as ``weights``) computes liuzechun/ReActNet's ``resnet/`` BiRealNet-18.
    Arguments: ``react_resnet18``'s.
    """
    return build("reactnet_resnet18", **kwargs)


def BCDNetAResNet18(**kwargs):
    """BCDNet-A on ResNet-18 (66.9% ImageNet in the paper).

    The paper gives no code for it. Our design, at ReAct-ResNet-18's binary MACs: the last
    stage keeps its downsampling conv block; each of its three other conv blocks (9 C^2 HW
    binary MACs) becomes three binary MLP blocks (3 x 3 C^2 HW) at 7x7 (4x4 at 32x32).
    Arguments: ``react_resnet18``'s.
    """
    return build("bcdnet_a_resnet18", **kwargs)


def BCDNetBResNet18(**kwargs):
    """BCDNet-B on ResNet-18 (67.9% ImageNet): ``BCDNetAResNet18`` with the contextual
    dynamic embedding in every binary conv block. Arguments: ``react_resnet18``'s."""
    return build("bcdnet_b_resnet18", **kwargs)


def DyBCNNResNet18(**kwargs):
    """DyBCNN on ReAct-ResNet-18 (67.4% ImageNet): every RSign replaced by ``DySign``.
    Arguments: ``react_resnet18``'s."""
    return build("dybcnn_resnet18", **kwargs)


def DyBinaryCCT(**kwargs):
    """DyBinaryCCT (Zhang et al. 2022): a binary Compact Convolutional Transformer with
    DySign thresholds; 56.1% ImageNet in the paper. Arguments: ``binary_cct``'s."""
    return build("dy_binary_cct", **kwargs)


def ResNet20(**kwargs):
    """ReCU's 1w1a ResNet-20 for CIFAR-10 (Xu et al., ICCV 2021): 87.5% (ReCU's README).

    Stem conv 3x3 (16, real) + BN + hardtanh; three stages (16, 32, 64 channels, strides
    1, 2, 2) of three basic blocks, each two binary 3x3 convs with a shortcut around each;
    the downsampling shortcut is 2x2 average pooling plus zero channels (option A); global
    average pooling, BN and a real-valued classifier. 18 binary convs.
    Arguments: ``cifar_model``'s.
    """
    return build("resnet20", **kwargs)


def RepResNet20(**kwargs):
    r"""Rep-ReCU-ResNet-20 (RepBNN, Shi et al. 2022): ResNet-20 on \(\beta\)-replicated
    channels (``beta`` 2), 88.97% on CIFAR-10 in the paper (ReCU's recipe). Binary
    parameters and MACs equal ResNet-20's; BN, hardtanh and the classifier's input are
    \(\beta\) times wider. Arguments: ``cifar_model``'s.
    """
    return build("rep_resnet20", **kwargs)


def ESResNet20(**kwargs):
    r"""ES-ReCU-ResNet-20 (ES-BNN, Shi et al. 2025): expand-shrink (``tau`` 2) on every
    binary conv of ResNet-20 on \(\tau\)-wide tensors; the classifier reads the first 64
    channels. ReCU's clamp parameter is ``recu_tau``. Arguments: ``cifar_model``'s.
    """
    return build("es_resnet20", **kwargs)


def VGGSmall(**kwargs):
    """ReCU's 1w1a VGG-Small for CIFAR-10: 92.2% (ReCU's README).

    conv0 3x3 (128, real) + BN + hardtanh; five binary 3x3 convs (128, 256, 256, 512, 512),
    each followed by [2x2 max-pool after the 1st, 3rd and 5th] BN and hardtanh; a
    real-valued classifier on the flattened 4x4x512 map. Arguments: ``cifar_model``'s.
    """
    return build("vgg_small", **kwargs)


def RepVGGSmall(**kwargs):
    r"""VGG-Small with RepTran (``beta`` 2): same binary parameters, \(\beta\)-wide tensors.
    Arguments: ``cifar_model``'s."""
    return build("rep_vgg_small", **kwargs)


def ESVGGSmall(**kwargs):
    r"""VGG-Small with expand-shrink (``tau`` 2); the classifier reads the first 512 channels.
    Arguments: ``cifar_model``'s."""
    return build("es_vgg_small", **kwargs)
