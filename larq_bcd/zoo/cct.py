"""DyBinaryCCT: a binary Compact Convolutional Transformer with DySign (Zhang et al. 2022)."""

from larq_bcd._utils import choice
from larq_bcd.layers import PositionalEmbedding, RPReLU, SequencePooling, TokenAttention
from larq_bcd.zoo import _common
from larq_bcd.zoo.blocks import BinaryOptions, binary_conv, sign_threshold

import tensorflow as tf

#: CCT-7/3x1 (32x32) and CCT-14/7x2 (224x224): layers, heads, dim, MLP ratio, tokenizer
#: conv layers and kernel (SHI-Labs/Compact-Transformers, src/cct.py).
CONFIGS = {
    "cct_7_3x1": {"num_layers": 7, "num_heads": 4, "dim": 256, "mlp_ratio": 2, "conv_layers": 1, "kernel": 3},
    "cct_14_7x2": {"num_layers": 14, "num_heads": 6, "dim": 384, "mlp_ratio": 3, "conv_layers": 2, "kernel": 7},
}


def _binary_projection(x, filters, options, name):
    """A token-wise binary MLP (``{name}_conv``) whose sign threshold is DySign's (or a bias)."""
    a, _ = sign_threshold(x, options, filters, name)
    return binary_conv(a, options, filters, 1, 1, name, token_wise=True)


def binary_cct(
    *,
    input_shape=None,
    input_tensor=None,
    num_classes=1000,
    include_top=True,
    weights=None,
    include_preprocessing=True,
    classifier_activation="softmax",
    config=None,
    threshold="dysign",
    reduction=None,
    name="dy_binary_cct",
):
    """DyBinaryCCT: CCT with every linear map of its transformer binary and DySign thresholds.

    - Tokenizer (real-valued, as the paper's "convolutional embedding"): ``conv_layers`` x
      [conv k x k (stride 2 at 224) + ReLU + max-pool 3/2]; a learnable positional embedding.
    - Each layer (pre-norm): ``x + proj(attn(q(LN x), k(LN x), v(LN x)))`` and
      ``x + fc2(RPReLU(fc1(LN x)))``. q, k, v, proj, fc1, fc2 are ``TokenWiseBinaryMLP``
      with a ``DySign`` input quantizer; the attention matmuls stay float.
    - Sequence pooling, LayerNorm, float classifier.

    ``config`` is "cct_7_3x1" (default below 128x128) or "cct_14_7x2" (default above).
    ``threshold="bias"`` gives the static-threshold binary CCT baseline. The paper reports
    56.1% ImageNet; its exact CCT variant and binarization of attention are not public:
    these are our choices.
    """
    inputs, size = _common.image_input(name, input_shape, input_tensor)
    config = config or ("cct_7_3x1" if size < _common.SMALL_INPUT else "cct_14_7x2")
    cfg = CONFIGS[choice("config", config, set(CONFIGS))]
    options = BinaryOptions(threshold=choice("threshold", threshold, {"dysign", "bias"}), reduction=reduction)
    dim = cfg["dim"]

    x = _common.preprocess(inputs, include_preprocessing)
    for i in range(cfg["conv_layers"]):
        filters = dim if i == cfg["conv_layers"] - 1 else 64
        x = tf.keras.layers.Conv2D(
            filters,
            cfg["kernel"],
            strides=1 if size < _common.SMALL_INPUT else 2,
            padding="same",
            use_bias=False,
            activation="relu",
            name=f"tokenizer_conv{i + 1}",
        )(x)
        x = tf.keras.layers.MaxPool2D(3, 2, padding="same", name=f"tokenizer_pool{i + 1}")(x)
    x = PositionalEmbedding(name="positions")(x)

    for i in range(1, cfg["num_layers"] + 1):
        n = f"layer{i}"
        h = tf.keras.layers.LayerNormalization(epsilon=1e-5, name=f"{n}_attn_norm")(x)
        q, k, v = (_binary_projection(h, dim, options, f"{n}_{p}") for p in "qkv")
        a = TokenAttention(cfg["num_heads"], name=f"{n}_attention")([q, k, v])
        a = _binary_projection(a, dim, options, f"{n}_proj")
        x = tf.keras.layers.Add(name=f"{n}_attn_add")([x, a])
        h = tf.keras.layers.LayerNormalization(epsilon=1e-5, name=f"{n}_mlp_norm")(x)
        h = _binary_projection(h, dim * cfg["mlp_ratio"], options, f"{n}_fc1")
        h = RPReLU(name=f"{n}_fc1_rprelu")(h)
        h = _binary_projection(h, dim, options, f"{n}_fc2")
        x = tf.keras.layers.Add(name=f"{n}_mlp_add")([x, h])

    x = tf.keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    if include_top:
        x = SequencePooling(name="sequence_pool")(x)
        x = tf.keras.layers.Dense(num_classes, name="fc")(x)
        if classifier_activation:
            x = tf.keras.layers.Activation(classifier_activation, dtype="float32", name="predictions")(x)
    return _common.finish(inputs, x, name, weights, input_tensor)
