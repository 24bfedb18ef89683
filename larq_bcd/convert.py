"""Conversion with Larq Compute Engine: a Keras model to a bit-packed ``.tflite``.

- ``convert(model)``: the flatbuffer (bytes); ``binary_warnings`` when it is not bit-packed.
- Re-exported so one module covers the path to a device: ``verify`` and ``evaluate``
  (``larq_bcd.parity``: Keras vs the LCE interpreter), ``inspect`` and ``interpreter``
  (``larq_bcd.flatbuffer``: what a flatbuffer holds, and running it).
"""

import tempfile

from larq_bcd.flatbuffer import Report, inspect, interpreter
from larq_bcd.parity import MODEL_TOLERANCE, Parity, evaluate, verify

import tensorflow as tf

__all__ = [
    "MODEL_TOLERANCE",
    "Parity",
    "Report",
    "TARGETS",
    "binary_convs",
    "binary_warnings",
    "convert",
    "evaluate",
    "export_serving",
    "inspect",
    "interpreter",
    "verify",
]

TARGETS = ("arm", "xcore")


def convert(model, *, int8_io=False, target="arm"):
    """Convert a float32 Keras model to an LCE flatbuffer and return its bytes.

    Args:
        model: a ``tf.keras.Model`` (float32 policy; LCE refuses mixed precision).
        int8_io: int8 input and output instead of float32 (uses a default int8 range of
            (-3, 3) for activations without recorded ranges: for latency tests only).
        target: ``"arm"`` (phones, Raspberry Pi) or ``"xcore"``.
    """
    from larq_compute_engine import convert_keras_model, convert_saved_model

    if target not in TARGETS:
        raise ValueError(f"`target` must be one of {TARGETS}, got {target!r}.")
    if not isinstance(model, tf.keras.Model):
        raise TypeError(f"convert() needs a tf.keras.Model, got {type(model).__name__}.")
    if model.dtype_policy.name != "float32":
        raise ValueError(
            f"LCE converts float32 models only; this one has policy "
            f"'{model.dtype_policy.name}'. Rebuild it under the float32 policy and copy the "
            f"weights (model.get_weights())."
        )
    kwargs = {"target": target}
    if int8_io:
        kwargs.update(
            inference_input_type=tf.int8,
            inference_output_type=tf.int8,
            experimental_default_int8_range=(-3.0, 3.0),
        )
    if not model.inputs:  # a subclassed model that was never called: LCE's own path traces it
        return convert_keras_model(model, **kwargs)
    with tempfile.TemporaryDirectory() as saved_model_dir:
        export_serving(model, saved_model_dir)
        return convert_saved_model(saved_model_dir, **kwargs)


def export_serving(model, directory):
    """Save ``model``'s inference function alone as a SavedModel in ``directory``: what LCE
    converts, with the signature Keras would write (input names, outputs keyed by the output
    layers' names), so the flatbuffer is byte-identical to ``convert_keras_model``'s.

    LCE's ``convert_keras_model`` calls Keras' ``model.save``, which also traces every
    layer's call and loss functions for reloading in Python: measured 3.6-4.7x slower for the
    whole conversion of ResNet-20, BCDNet-A and DyBinaryCCT at 32x32.
    """
    specs = [tf.TensorSpec(t.shape, t.dtype, name=name) for t, name in zip(model.inputs, model.input_names)]

    @tf.function(input_signature=specs, autograph=False)
    def serve(*inputs):
        outputs = model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return dict(zip(model.output_names, outputs))

    module = tf.Module()
    module.weights = list(model.variables)  # the variables alone: no Keras layer is saved
    tf.saved_model.save(module, directory, signatures={"serving_default": serve.get_concrete_function()})


def binary_warnings(model, report):
    """Plain-language warnings when a model did not become (fully) bit-packed, or when its
    binary convs read channel counts that waste part of LCE's 32-bit words."""
    import larq as lq

    warnings = []
    dense = [layer.name for layer in model.layers if isinstance(layer, lq.layers.QuantDense)]
    if dense:
        warnings.append(
            f"{len(dense)} QuantDense layer(s) ({', '.join(dense[:3])}) stay float in LCE: "
            "express a binary dense layer as a 1x1 QuantConv2D to bit-pack it."
        )
    if not report.ops.get("LceBconv2d"):
        warnings.append("no layer became a bit-packed LceBconv2d: this .tflite is not a binary network.")
        return warnings
    partial = [
        (layer.name, channels)
        for layer in binary_convs(model)
        if (channels := _input_channels(layer)) and channels % 32
    ]
    if partial:
        examples = ", ".join(f"{name}: {channels}" for name, channels in partial[:3])
        warnings.append(
            f"{len(partial)} binary conv(s) read input channels that are not a multiple of 32 "
            f"({examples}): LCE packs 32 channels per word, so each costs as much as with the "
            "next multiple of 32 (measure it: larq-bcd bconv-shapes)."
        )
    return warnings


def binary_convs(model):
    """The model's binary convs (``QuantConv2D`` with an input quantizer), in layer order."""
    import larq as lq

    return [
        layer
        for layer in model.layers
        if isinstance(layer, lq.layers.QuantConv2D) and layer.input_quantizer is not None
    ]


def _input_channels(layer):
    """The channel count a layer reads, or None (unknown, or called on several shapes)."""
    try:
        return layer.input_shape[-1]
    except (AttributeError, TypeError):
        return None
