"""Where a training step's CPU time goes: TensorFlow's profiler, summed by op type.

    larq-bcd throughput reactnet_a bcdnet_a --profile --output zoo/benchmarks

Every op a training step runs is timed by ``tf.profiler`` and its time attributed to one of
three groups: ``convolution`` (forward and both backward convolutions), ``batch_norm``
(forward and backward) and ``other`` (the quantizers, biases, PReLUs, residual adds, the
optimizer and every other elementwise op). The convolution share bounds what faster
elementwise code can give: if every other op took no time, a step would be at most
``1 / convolution share`` times faster. ``by_layer`` attributes the same op time to the
model's layers by class (an op belongs to the layer whose name is in its scope, forward and
gradient alike), which says which layer kinds the "other" time is spent in.
"""

import collections
import glob
import os
import tempfile

import tensorflow as tf

GROUPS = ("convolution", "batch_norm", "other")

#: Profiler events that contain ops rather than being ops (executor, function call).
_CONTAINERS = ("Process", "Run")


def group(op_type):
    """``"_MklNativeConv2DBackpropFilter"`` -> ``"convolution"``; a profiler op type's group."""
    if "Conv2D" in op_type or "DepthwiseConv" in op_type:
        return "convolution"
    if "BatchNorm" in op_type:
        return "batch_norm"
    return "other"


def by_type(times):
    """``{(op type, op name): seconds}`` (``profile``) summed by op type."""
    totals = collections.Counter()
    for (op_type, _), seconds in times.items():
        totals[op_type] += seconds
    return dict(totals)


#: ``by_layer``'s names for op time no layer's scope claims.
OPTIMIZER, UNATTRIBUTED = "(optimizer)", "(unattributed)"


def by_layer(times, model):
    """``{(op type, op name): seconds}`` (``profile``) summed by the class of the ``model``
    layer each op's name scope holds (``"gradient_tape/net/block1_rprelu/mul"`` ->
    ``"RPReLU"``, with a quantizer's ops in its layer's); ops under the optimizer's scope go
    to ``OPTIMIZER``, ops that TensorFlow's graph optimizer renamed out of any scope (fused
    or rewritten ones; 13% of a ReActNet-A step in
    ``zoo/benchmarks/train_throughput_32_modes_amx.md``) to ``UNATTRIBUTED``."""
    classes = {layer.name: type(layer).__name__ for layer in model.layers}
    optimizer = getattr(getattr(model, "optimizer", None), "name", None)
    totals = collections.Counter()
    for (_, name), seconds in times.items():
        scopes = name.split("/")
        owner = next((classes[scope] for scope in scopes if scope in classes), None)
        if owner is None:
            owner = OPTIMIZER if optimizer and optimizer in scopes else UNATTRIBUTED
        totals[owner] += seconds
    return dict(totals)


def profile(step, steps=3):
    """Seconds per call of ``step`` (a function running one training step) by ``(op type,
    op name)``. Summed over the threads that ran them, so with intra-op parallelism the total
    exceeds the wall time of a step."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        try:
            for _ in range(steps):
                step()
        finally:
            tf.profiler.experimental.stop()
        files = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
        if not files:
            raise RuntimeError(f"tf.profiler wrote no trace in {logdir}")
        space = xplane_pb2.XSpace()
        with open(files[0], "rb") as handle:
            space.ParseFromString(handle.read())
    picoseconds = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                op_name, _, op_type = plane.event_metadata[event.metadata_id].name.rpartition(":")
                if op_type in _CONTAINERS or op_type.startswith("__inference"):
                    continue
                picoseconds[op_type, op_name] += event.duration_ps
    return {key: ps / 1e12 / steps for key, ps in picoseconds.items()}


def _ranked(times, count, keep=lambda key: True):
    """The ``count`` kept keys of ``times`` with the most time: ``[(key, share of all of it)]``."""
    total = sum(times.values())
    ranked = sorted((t for t in times.items() if keep(t[0])), key=lambda t: -t[1])
    return [(key, seconds / total) for key, seconds in ranked[:count]]


def largest(times, count=4, group_name="other"):
    """The ``count`` op types of ``group_name`` with the most time: ``[(op type, share of all op time)]``."""
    return _ranked(times, count, lambda op_type: group(op_type) == group_name)


def largest_layers(times, model, count=5):
    """The ``count`` layer classes (``by_layer``) with the most of ``profile``'s op time:
    ``[(class, share of all op time)]``."""
    return _ranked(by_layer(times, model), count)


def shares(times):
    """Each group's share of the op time (``GROUPS`` keys, summing to 1)."""
    total = sum(times.values())
    if total <= 0:
        raise ValueError("the profile holds no op time")
    by_group = dict.fromkeys(GROUPS, 0.0)
    for op_type, seconds in times.items():
        by_group[group(op_type)] += seconds
    return {name: seconds / total for name, seconds in by_group.items()}
