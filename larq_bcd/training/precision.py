r"""Mixed precision for the binary convolutions only.

A binary convolution's input is \(\mathrm{sign}(x) \in \{-1, +1\}\), exact in bfloat16; its
kernel \(\alpha\,\mathrm{sign}(W)\) loses only \(\alpha\)'s last bits (bfloat16 keeps 8 of
float32's 24 mantissa bits). oneDNN runs such convolutions with AVX512-BF16 instructions
where the CPU has them, while batch norm, PReLU, the residual adds and the quantizers'
element-wise gradients stay in float32, where TensorFlow's CPU kernels are fastest (its
bfloat16 batch norm and element-wise ops are slower than float32 ones, so
``mixed_bfloat16`` for the whole model gains little: ``zoo/benchmarks``). The variables
stay float32 either way (Keras' mixed-precision policy).
"""

import larq as lq
import tensorflow as tf


def is_binary_conv(layer):
    """A ``QuantConv2D`` whose input is binarised (its inputs are exact in bfloat16)."""
    return isinstance(layer, lq.layers.QuantConv2D) and layer.input_quantizer is not None


def bfloat16_binary_convs(model):
    """A copy of the functional or Sequential ``model`` (same weights) whose binary
    convolutions (``is_binary_conv``) and their quantizers compute in bfloat16 under the
    ``mixed_bfloat16`` policy; every other layer computes in float32.

    Only the model's own layers are changed: a layer that holds convolutions inside it (a
    nested model or a composite layer) stays float32 as a whole. The copy has the same
    variables in the same order, so ``set_weights`` and checkpoints move between the two.
    """
    if not isinstance(model, tf.keras.Model) or not getattr(model, "_is_graph_network", False):
        raise TypeError(
            f"bfloat16_binary_convs needs a functional or Sequential Keras model, got {type(model).__name__}"
        )

    def clone(layer):
        config = layer.get_config()
        if not isinstance(layer, tf.keras.layers.InputLayer):
            _set_dtype(config, "mixed_bfloat16" if is_binary_conv(layer) else "float32")
        return layer.__class__.from_config(config)

    copy = tf.keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


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
