"""Conversion with Larq Compute Engine: a Keras model to a bit-packed ``.tflite``.

- ``convert(model)``: the flatbuffer (bytes); ``binary_warnings`` when it is not bit-packed.
- Re-exported so one module covers the path to a device: ``verify`` and ``evaluate``
  (``larq_bcd.parity``: Keras vs the LCE interpreter), ``inspect`` and ``interpreter``
  (``larq_bcd.flatbuffer``: what a flatbuffer holds, and running it).
"""

from larq_bcd.flatbuffer import Report, inspect, interpreter
from larq_bcd.parity import MODEL_TOLERANCE, Parity, evaluate, verify

import tensorflow as tf

__all__ = [
    "MODEL_TOLERANCE",
    "Parity",
    "Report",
    "TARGETS",
    "binary_warnings",
    "convert",
    "evaluate",
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
    from larq_compute_engine import convert_keras_model

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
    return convert_keras_model(model, **kwargs)


def binary_warnings(model, report):
    """Plain-language warnings when a model did not become (fully) bit-packed."""
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
