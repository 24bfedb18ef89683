r"""The 1w1a CIFAR-10 models of ReCU and RepBNN: ResNet-20 and VGG-Small, with ReCU's
quantizers, and their RepTran (\(\beta\)) and expand-shrink (\(\tau\)) versions.

The base models follow the official code of ReCU (z-hXu/ReCU ``cifar/models_cifar/``
``resnet.py`` ``resnet20_1w1a`` and ``vgg.py`` ``vgg_small_1w1a``): every 3x3 conv except the
real-valued first one is a binary conv with ``StandardizedApproxSign`` on its input and the
``ReCU`` kernel (learned per-channel scale), zero padding of the binarised input
(``pad_values=0``), BN with PyTorch's defaults and hardtanh activations. One known
difference: at stride 2, Keras "same" padding pads the bottom/right only where PyTorch pads
every side (the sampling grid is one pixel apart); models trained here learn on either grid.

RepBNN and ES-BNN released no CIFAR code. Our transformation is theirs for ReActNet-A
(imfinethanks/Rep_AdamBNN, imfinethanks/ESBNN) carried over: the real-valued stem's output is
tiled \(\beta\) times, every binary conv becomes a ``RepConv`` (same binary parameters and
MACs), BN and hardtanh act on the \(\beta\)-wide tensors, and the option-A shortcut pads the
wide tensor (its zero channels scale with \(\beta\)). The classifier of the Rep model reads
all \(\beta C\) features (as Rep-ReActNet-A's does); the ES model's reads the first \(C\)
(as ES-ReActNet-A's does), so its float classifier equals the base model's.
"""

from larq_bcd._utils import choice, positive_int
from larq_bcd.layers import BinaryConv2D, ChannelReplicate, HardTanh, RepConv, ZeroPadChannels
from larq_bcd.quantizers import ReCU
from larq_bcd.zoo import _common
from larq_bcd.zoo.blocks import QUANTIZATIONS, batch_norm

import tensorflow as tf

#: ResNet-20's stages (He et al. 2016, CIFAR): three stages of three basic blocks.
RESNET20_STAGES = ((16, 1), (32, 2), (64, 2))
RESNET20_BLOCKS_PER_STAGE = 3
#: VGG-Small's convs (width, max-pool after it), after the real-valued 128-channel conv0.
VGG_SMALL_CONVS = ((128, True), (256, False), (256, True), (512, False), (512, True))


def _binary_conv(x, filters, strides, name, *, beta, quantization, pad_values, tau):
    """A 3x3 1w1a conv of logical width ``filters`` (a ``RepConv`` when ``beta > 1``)."""
    binary_input = quantization != "float"
    args = {
        "strides": strides,
        "pad_values": pad_values if binary_input else 0.0,
        "input_quantizer": "standardized_approx_sign" if binary_input else None,
        "kernel_quantizer": ReCU(tau, name=f"{name}_recu") if quantization == "binary" else None,
        "name": name,
    }
    if beta > 1:
        return RepConv(filters, 3, beta=beta, **args)(x)
    return BinaryConv2D(filters, 3, **args)(x)


def cifar_model(
    *,
    architecture="resnet20",
    input_shape=None,
    input_tensor=None,
    num_classes=10,
    include_top=True,
    weights=None,
    include_preprocessing=True,
    classifier_activation="softmax",
    quantization="binary",
    pad_values=0.0,
    recu_tau=0.85,
    beta=1,
    tau=1,
    name=None,
):
    r"""A 1w1a CIFAR-10 model of ReCU: ResNet-20 or VGG-Small, with RepTran or expand-shrink.

    Args (keyword-only):
        architecture: "resnet20" (``RESNET20_STAGES``) or "vgg_small" (``VGG_SMALL_CONVS``).
        input_shape: (height, width, 3), square; default (32, 32, 3).
        input_tensor: optional Keras tensor to use as the image input.
        num_classes: classes of the classifier (10).
        include_top: add the classifier (True).
        weights: None or the path of weights to load.
        include_preprocessing: normalise raw 0-255 RGB inside the model (True), with the
            ImageNet mean and std that ReCU's CIFAR code uses.
        classifier_activation: activation of the classifier ("softmax"; None gives logits).
        quantization: "binary" (1w1a), "activations" (binary activations, real weights) or
            "float" (the float twin: no sign, real weights).
        pad_values: value the binarised input is padded with: 0.0 (the official code,
            LCE's zero-padding correction) or 1.0 (LCE's fastest padding).
        recu_tau: ReCU's initial \(\tau\) (``ReCUTauSchedule`` moves it in training).
        beta: RepBNN's replication \(\beta\); the classifier reads all \(\beta C\) features.
        tau: ES-BNN's expansion \(\tau\) on \(\tau\)-wide tensors; the classifier reads
            the first \(C\) features (the base model's classifier).
        name: the model's name (default: ``architecture``).
    """
    name = name or architecture
    trunk, head = ARCHITECTURES[choice("architecture", architecture, set(ARCHITECTURES))]
    choice("quantization", quantization, set(QUANTIZATIONS))
    beta, tau = positive_int("beta", beta), positive_int("tau", tau)
    if beta > 1 and tau > 1:
        raise ValueError(f"{name}: RepTran (`beta`) and expand-shrink (`tau`) are alternatives; set one.")
    if pad_values not in (0, 1):
        raise ValueError(f"{name}: `pad_values` must be 0.0 or 1.0, got {pad_values!r}.")
    width = max(beta, tau)
    inputs, _ = _common.image_input(name, input_shape, input_tensor, default_size=32)
    conv = {"beta": width, "quantization": quantization, "pad_values": float(pad_values), "tau": recu_tau}
    x = trunk(_common.preprocess(inputs, include_preprocessing), conv, width)
    if include_top:
        x = _classifier(head(x, es_head=tau > 1), num_classes, classifier_activation)
    return _common.finish(inputs, x, name, weights, input_tensor)


def _stem(x, filters, beta, conv="stem_conv", bn="stem_bn", activation="stem_hardtanh"):
    """The real-valued first conv + BN + hardtanh; RepTran replicates its output."""
    x = tf.keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=conv)(x)
    x = HardTanh(name=activation)(batch_norm(bn)(x))
    return ChannelReplicate(beta, name="stem_replicate")(x) if beta > 1 else x


def _resnet20_trunk(x, conv, beta):
    x = _stem(x, RESNET20_STAGES[0][0], beta)
    for stage, (width, stage_strides) in enumerate(RESNET20_STAGES, start=1):
        for block in range(1, RESNET20_BLOCKS_PER_STAGE + 1):
            strides = stage_strides if block == 1 else 1
            prefix = f"stage{stage}_block{block}"
            # out = hardtanh(BN(conv1(x)) + shortcut(x)); hardtanh(BN(conv2(out)) + out)
            y = _binary_conv(x, width, strides, f"{prefix}_conv1", **conv)
            y = batch_norm(f"{prefix}_bn1")(y)
            shortcut = x
            if strides != 1 or x.shape[-1] != width * beta:
                shortcut = tf.keras.layers.AveragePooling2D(2, name=f"{prefix}_pool")(x)
                shortcut = ZeroPadChannels(width * beta, name=f"{prefix}_pad")(shortcut)
            x = HardTanh(name=f"{prefix}_hardtanh1")(tf.keras.layers.Add(name=f"{prefix}_add1")([y, shortcut]))
            y = _binary_conv(x, width, 1, f"{prefix}_conv2", **conv)
            y = batch_norm(f"{prefix}_bn2")(y)
            x = HardTanh(name=f"{prefix}_hardtanh2")(tf.keras.layers.Add(name=f"{prefix}_add2")([y, x]))
    return x


def _resnet20_head(x, es_head):
    if es_head:
        x = x[:, :, :, : RESNET20_STAGES[-1][0]]
    x = tf.keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name="pool_bn")(x)


def _vgg_small_trunk(x, conv, beta):
    x = _stem(x, VGG_SMALL_CONVS[0][0], beta, conv="conv0", bn="bn0", activation="hardtanh0")
    for index, (width, pool) in enumerate(VGG_SMALL_CONVS, start=1):
        # conv -> [max-pool] -> BN -> hardtanh, as in the official forward
        x = _binary_conv(x, width, 1, f"conv{index}", **conv)
        if pool:
            x = tf.keras.layers.MaxPool2D(2, name=f"pool{index}")(x)
        x = HardTanh(name=f"hardtanh{index}")(batch_norm(f"bn{index}")(x))
    return x


def _vgg_small_head(x, es_head):
    if es_head:
        x = x[:, :, :, : VGG_SMALL_CONVS[-1][0]]
    # PyTorch flattens NCHW: the order of the fc rows differs, not the function class.
    return tf.keras.layers.Flatten(name="flatten")(x)


def _classifier(x, num_classes, classifier_activation):
    positive_int("num_classes", num_classes)
    x = tf.keras.layers.Dense(num_classes, name="fc")(x)
    if classifier_activation:
        x = tf.keras.layers.Activation(classifier_activation, dtype="float32", name="predictions")(x)
    return x


ARCHITECTURES = {
    "resnet20": (_resnet20_trunk, _resnet20_head),
    "vgg_small": (_vgg_small_trunk, _vgg_small_head),
}
