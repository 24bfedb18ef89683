"""What a ``.tflite`` holds and how to run it: the LCE interpreter, and ``inspect``: op
histogram, binary share of the MACs, weight bytes, and the float convolutions that stand
where a binary one may have been meant."""

import collections
import dataclasses

import numpy as np
from flatbuffers import flexbuffers
from tensorflow.lite.python import schema_py_generated as schema


def interpreter(flatbuffer, num_threads=1):
    """The LCE interpreter for a flatbuffer (runs batch 1 per call; portable kernels on x86)."""
    from larq_compute_engine.tflite.python.interpreter import Interpreter

    try:
        return Interpreter(flatbuffer, num_threads=num_threads)
    except Exception as error:  # noqa: BLE001 - the interpreter's errors are opaque
        raise ValueError(f"not a TFLite model LCE can run: {str(error).strip()}") from None


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


_BUILTIN_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


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
