"""Conversion with Larq Compute Engine, proof of parity, and a report of what a flatbuffer holds.

- ``convert(model)``: a Keras model to a bit-packed ``.tflite`` (bytes).
- ``verify(model, flatbuffer)``: Keras vs the LCE interpreter on the same inputs.
- ``evaluate(flatbuffer, dataset, model)``: top-1 of the .tflite (and of Keras) on labelled data.
- ``inspect(flatbuffer)``: op histogram, binary share of the MACs, weight bytes, and the
  float convolutions that stand where a binary one may have been meant.
"""

import collections
import dataclasses

import numpy as np
import tensorflow as tf
from flatbuffers import flexbuffers
from tensorflow.lite.python import schema_py_generated as schema

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


def interpreter(flatbuffer, num_threads=1):
    """The LCE interpreter for a flatbuffer (runs batch 1 per call; portable kernels on x86)."""
    from larq_compute_engine.tflite.python.interpreter import Interpreter

    try:
        return Interpreter(flatbuffer, num_threads=num_threads)
    except Exception as error:  # noqa: BLE001 - the interpreter's errors are opaque
        raise ValueError(f"not a TFLite model LCE can run: {str(error).strip()}") from None


@dataclasses.dataclass
class Parity:
    """Keras vs TFLite on the same inputs."""

    max_abs_diff: float
    output_scale: float
    top1_agreement: float
    samples: int
    #: Share of samples whose outputs match within 1e-4 of the output scale. In a deep BNN
    #: the others differ because a pre-sign value within float rounding of its threshold
    #: flipped and the flip cascaded (at 224x224 nearly every sample has one).
    exact_share: float = 0.0

    @property
    def relative_diff(self):
        """Max abs difference over the largest |output| of Keras (the output scale)."""
        return self.max_abs_diff / max(self.output_scale, 1e-12)

    def ok(self, tolerance=1e-4):
        """Same top-1 everywhere and ``relative_diff < tolerance``.

        1e-4 holds for a single layer or block (float rounding only). A deep BNN amplifies
        rounding: one pre-sign value within ~1e-6 of its threshold flips and the flip
        cascades, so whole models need a looser tolerance (the CLI uses 0.3).
        """
        return self.relative_diff < tolerance and self.top1_agreement == 1.0


def verify(model, flatbuffer, inputs=None, *, samples=4, seed=0):
    """Run Keras and the LCE interpreter on the same inputs and compare their outputs.

    Args:
        inputs: an array of inputs (batch first); by default ``samples`` random images
            uniform in [0, 255] (zoo models take raw RGB) of the model's input shape.
    """
    if inputs is None:
        shape = (samples, *model.input_shape[1:])
        if None in shape:
            raise ValueError(f"verify() needs a static input shape, got {model.input_shape}.")
        inputs = np.random.default_rng(seed).uniform(0, 255, shape).astype(np.float32)
    inputs = np.asarray(inputs, dtype=np.float32)
    expected = np.asarray(model(inputs, training=False))
    actual = np.asarray(interpreter(flatbuffer).predict(inputs))
    actual = actual.reshape(expected.shape)
    diff = float(np.max(np.abs(expected - actual)))
    flat_e, flat_a = expected.reshape(len(inputs), -1), actual.reshape(len(inputs), -1)
    agreement = float(np.mean(flat_e.argmax(-1) == flat_a.argmax(-1)))
    scale = float(np.max(np.abs(expected)))
    exact = float(np.mean(np.max(np.abs(flat_e - flat_a), axis=-1) <= 1e-4 * max(scale, 1e-12)))
    return Parity(diff, scale, agreement, len(inputs), exact)


def evaluate(flatbuffer, dataset, model=None):
    """Top-1 of the flatbuffer on the LCE interpreter over labelled batches, beside Keras.

    Args:
        dataset: batches of (images, one-hot labels), e.g. ``larq_bcd.data.load(...).data``.
        model: the Keras model the flatbuffer came from; if given, its top-1 and the share
            of images on which both predict the same class are reported too.

    Returns a dict: ``examples``, ``tflite_top1`` and, with ``model``, ``keras_top1`` and
    ``agreement``.
    """
    runner = interpreter(flatbuffer)
    expected_shape = tuple(runner.input_shapes[0][1:])
    labels, lite, keras = [], [], []
    for images, onehot in dataset:
        images = np.asarray(images, dtype=np.float32)
        if images.shape[1:] != expected_shape:
            raise ValueError(f"the data has images of shape {images.shape[1:]}, the .tflite expects {expected_shape}")
        if runner.input_types[0] != np.float32:
            raise ValueError("the .tflite takes int8 input (--int8); evaluate needs float input (raw 0-255 RGB)")
        labels.append(np.argmax(onehot, -1))
        outputs = np.asarray(runner.predict(images)).reshape(len(images), -1)
        if outputs.shape[-1] != onehot.shape[-1]:
            raise ValueError(
                f"the .tflite outputs {outputs.shape[-1]} classes, the data has {onehot.shape[-1]}"
            )
        lite.append(outputs.argmax(-1))
        if model is not None:
            keras.append(np.asarray(model(images, training=False)).reshape(len(images), -1).argmax(-1))
    if not labels:
        raise ValueError("evaluate() got an empty dataset")
    labels, lite = np.concatenate(labels), np.concatenate(lite)
    result = {"examples": int(len(labels)), "tflite_top1": float(np.mean(lite == labels))}
    if model is not None:
        keras = np.concatenate(keras)
        result["keras_top1"] = float(np.mean(keras == labels))
        result["agreement"] = float(np.mean(keras == lite))
    return result


@dataclasses.dataclass
class Report:
    """What a flatbuffer holds (see ``inspect``)."""

    ops: dict
    binary_macs: int
    float_macs: int
    binary_weight_bytes: int
    float_weight_bytes: int
    float_convs: list
    size_bytes: int

    @property
    def binary_mac_share(self):
        total = self.binary_macs + self.float_macs
        return self.binary_macs / total if total else 0.0

    def as_dict(self):
        return {**dataclasses.asdict(self), "binary_mac_share": self.binary_mac_share}


def _op_name(model, op):
    code = model.operatorCodes[op.opcodeIndex]
    if code.customCode:
        return code.customCode.decode()
    builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
    return _BUILTIN_NAMES.get(builtin, str(builtin))


_BUILTIN_NAMES = {
    v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")
}


def _shape(subgraph, index):
    return [int(d) for d in subgraph.tensors[index].shape]


def _op_macs(model, subgraph, op, name):
    """MACs of one op (0 for ops without multiply-accumulates)."""
    out = _shape(subgraph, op.outputs[0])
    if name == "LceBconv2d":
        options = flexbuffers.Loads(bytes(op.customOptions))
        o, kh, kw, _ = _shape(subgraph, op.inputs[1])
        return int(np.prod(out[:-1])) * o * kh * kw * int(options["channels_in"])
    if name == "CONV_2D":
        o, kh, kw, i = _shape(subgraph, op.inputs[1])
        return int(np.prod(out[:-1])) * o * kh * kw * i
    if name == "DEPTHWISE_CONV_2D":
        _, kh, kw, c = _shape(subgraph, op.inputs[1])
        return int(np.prod(out[:-1])) * c * kh * kw
    if name == "FULLY_CONNECTED":
        units, features = _shape(subgraph, op.inputs[1])
        return int(np.prod(out[:-1])) * units * features
    if name == "BATCH_MATMUL":
        a = _shape(subgraph, op.inputs[0])
        options = op.builtinOptions
        inner = a[-2] if getattr(options, "adjX", False) else a[-1]
        return int(np.prod(out)) * inner
    return 0


def _is_constant(model, subgraph, index):
    buffer = model.buffers[subgraph.tensors[index].buffer]
    return buffer.data is not None and len(buffer.data) > 0


def inspect(flatbuffer):
    """Read a flatbuffer: op histogram, binary/float MACs, weight bytes, float convolutions.

    A float ``CONV_2D`` or ``FULLY_CONNECTED`` is listed in ``float_convs`` (by output tensor
    name) so a test or a person can check none of them stands for a binary layer.
    """
    model = schema.ModelT.InitFromPackedBuf(bytearray(flatbuffer), 0)
    ops = collections.Counter()
    binary_macs = float_macs = binary_bytes = float_bytes = 0
    float_convs = []
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            name = _op_name(model, op)
            ops[name] += 1
            macs = _op_macs(model, subgraph, op, name)
            if name == "LceBconv2d":
                binary_macs += macs
            else:
                float_macs += macs
            if name in ("CONV_2D", "FULLY_CONNECTED", "DEPTHWISE_CONV_2D"):
                float_convs.append(subgraph.tensors[op.outputs[0]].name.decode())
            if name in ("LceBconv2d", "CONV_2D", "FULLY_CONNECTED", "DEPTHWISE_CONV_2D"):
                weights = op.inputs[1]
                if _is_constant(model, subgraph, weights):
                    nbytes = len(model.buffers[subgraph.tensors[weights].buffer].data)
                    if name == "LceBconv2d":
                        binary_bytes += nbytes
                    else:
                        float_bytes += nbytes
    return Report(
        ops=dict(sorted(ops.items())),
        binary_macs=binary_macs,
        float_macs=float_macs,
        binary_weight_bytes=binary_bytes,
        float_weight_bytes=float_bytes,
        float_convs=float_convs,
        size_bytes=len(flatbuffer),
    )


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
