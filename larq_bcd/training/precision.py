r"""Mixed precision for the binary convolutions only.

A binary convolution's input is \(\mathrm{sign}(x) \in \{-1, +1\}\), exact in bfloat16; its
kernel \(\alpha\,\mathrm{sign}(W)\) loses only \(\alpha\)'s last bits (bfloat16 keeps 8 of
float32's 24 mantissa bits). oneDNN runs such convolutions with AVX512-BF16 instructions
where the CPU has them (the kernel quantizer runs on the bfloat16 kernel), while batch norm,
PReLU, the residual adds and the activations' sign with its gradient stay in float32, where
TensorFlow's CPU kernels are fastest (its bfloat16 batch norm and element-wise ops are
slower than float32 ones, so ``mixed_bfloat16`` for the whole model gains little). The
variables stay float32 either way (Keras' mixed-precision policy).
Measured: ``zoo/benchmarks/train_throughput_32_bf16conv.md``.
"""

import larq as lq
import tensorflow as tf


def is_binary_conv(layer):
    """A ``QuantConv2D`` whose input is binarised (its inputs are exact in bfloat16)."""
    return isinstance(layer, lq.layers.QuantConv2D) and layer.input_quantizer is not None


def bfloat16_binary_convs(model):
    """A copy of the functional or Sequential ``model`` (same weights) whose binary
    convolutions (``is_binary_conv``) compute in bfloat16 under the ``mixed_bfloat16``
    policy; every other layer computes in float32, and so do the convolutions' input
    quantizers (the sign and its gradient), whose +-1 output is cast to bfloat16.

    For training: save the float32 model (``larq-bcd train`` exports one). Only the model's
    own layers are changed: a layer that holds convolutions inside it (a nested model or a
    composite layer) stays float32 as a whole. The copy has the same variables in the same
    order, so ``set_weights`` moves weights between the two.
    """
    if not isinstance(model, tf.keras.Model) or not getattr(model, "_is_graph_network", False):
        raise TypeError(
            f"bfloat16_binary_convs needs a functional or Sequential Keras model, got {type(model).__name__}"
        )

    def clone(layer):
        config = layer.get_config()
        if not is_binary_conv(layer):
            if not isinstance(layer, tf.keras.layers.InputLayer):
                _set_dtype(config, "float32")
            return layer.__class__.from_config(config)
        _set_dtype(config, "mixed_bfloat16")  # the kernel quantizer computes on the bfloat16 kernel
        _set_dtype(config["input_quantizer"], "float32")
        config["autocast"] = False  # the float32 input goes to the float32 quantizer
        conv = layer.__class__.from_config(config)
        conv.input_quantizer = _CastToBfloat16(conv.input_quantizer, name=f"{conv.name}_to_bfloat16")
        return conv

    copy = tf.keras.models.clone_model(model, clone_function=clone)
    for i, (mine, theirs) in enumerate(zip(model.weights, copy.weights)):
        if _short(mine.name) != _short(theirs.name):
            raise ValueError(
                f"bfloat16_binary_convs: variable {i} is {mine.name!r} in the model but {theirs.name!r} in the copy"
            )
    copy.set_weights(model.get_weights())  # raises if the counts differ
    return copy


class _CastToBfloat16(tf.keras.layers.Layer):
    """An input quantizer run in float32 (TensorFlow's CPU element-wise kernels are slower
    in bfloat16), its output cast to bfloat16 (+-1: exact)."""

    def __init__(self, quantizer, **kwargs):
        super().__init__(dtype="float32", **kwargs)
        self.quantizer = quantizer

    def call(self, inputs):
        return tf.cast(self.quantizer(inputs), tf.bfloat16)


def _short(name):
    """A variable's name without the scopes a wrapper adds (``conv/x/alpha:0`` -> ``alpha``)."""
    return name.split("/")[-1].split(":")[0]


def _set_dtype(config, dtype):
    """Set every ``dtype`` in a layer's config, its quantizers' (nested configs) included:
    a quantizer left at float32 would cast the bfloat16 kernel back."""
    if isinstance(config, dict):
        if "dtype" in config:
            config["dtype"] = dtype
        for value in config.values():
            _set_dtype(value, dtype)
    elif isinstance(config, (list, tuple)):
        for value in config:
            _set_dtype(value, dtype)
