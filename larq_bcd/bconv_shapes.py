r"""Latency of single binary convolutions by shape on the LCE interpreter: bit-packing fill.

LCE packs binary activations along channels into 32-bit words, so a binary conv with
\(c_{in}\) inputs and \(c_{out}\) outputs at \(H \times W\) costs roughly
\[
t \propto H W \cdot \lceil c_{in} / 32 \rceil \cdot c_{out} \cdot k^2,
\]
not its binary MACs \(H W c_{in} c_{out} k^2\): below 32 input channels the words are part
empty. RepBNN's ``RepConv`` with \(\beta = 2\) turns \(c_{in} \to c_{out}\) into
\(2 c_{in} \to c_{out}/2\) with the same MACs, so it fills the words of a 16-channel layer
(ResNet-20's first stage) and halves its outputs. ``DEFAULT_SHAPES`` pairs each binary conv
shape of ResNet-20 with its ``RepConv`` (\(\beta = 2\)) equivalent; every model here is one
``BinaryConv2D`` (sign input, +-1 kernel, zero padding, as the CIFAR models) and its BN, and
all of them are timed interleaved (``benchmark.measure``): read the ratios.
"""

import math
import os
import re

from larq_bcd import benchmark
from larq_bcd._utils import atomic_output, positive_int, write_report

#: ResNet-20's binary conv shapes (stage 1, 2, 3) each beside its RepConv (beta=2) equivalent,
#: then 8 to 64 input channels at 16 outputs (the cost steps at each multiple of 32).
DEFAULT_SHAPES = (
    *("16x16@32", "32x8@32", "32x32@16", "64x16@16", "64x64@8", "128x32@8"),
    *("8x16@32", "32x16@32", "48x16@32", "64x16@32"),
)

_SHAPE = re.compile(r"^(\d+)x(\d+)@(\d+)$")


def parse_shape(text):
    """``"CINxCOUT@SIZE"`` (e.g. ``"16x16@32"``) as ``(c_in, c_out, size)``, or a ValueError."""
    match = _SHAPE.match(str(text).strip())
    if not match:
        raise ValueError(f"a conv shape is CINxCOUT@SIZE, e.g. 16x16@32, got {text!r}.")
    c_in, c_out, size = (
        positive_int(name, int(value)) for name, value in zip(("c_in", "c_out", "size"), match.groups())
    )
    return c_in, c_out, size


def single_conv(c_in, c_out, size, *, kernel_size=3, pad_values=0.0):
    """A Keras model of one 3x3 binary conv ``c_in -> c_out`` at ``size x size`` and its BN."""
    from larq_bcd.layers import BinaryConv2D

    import tensorflow as tf

    inputs = tf.keras.Input((size, size, c_in))
    x = BinaryConv2D(
        c_out,
        kernel_size,
        pad_values=pad_values,
        input_quantizer="ste_sign",
        kernel_quantizer="ste_sign",
        name="bconv",
    )(inputs)
    x = tf.keras.layers.BatchNormalization(name="bn")(x)
    return tf.keras.Model(inputs, x, name=f"bconv_{c_in}x{c_out}_{size}")


def measure(shapes=DEFAULT_SHAPES, *, threads=1, runs=200, tflite_dir=None, log=print):
    """Convert one binary conv per shape and time them all interleaved; list of dicts.

    ``tflite_dir``: also write each flatbuffer there as ``bconv_CINxCOUT_SIZE.tflite`` (to
    time the same convs on a device with ``convert/device_benchmark.py``).

    Each result holds ``benchmark.measure``'s fields and ``c_in``, ``c_out``, ``size``,
    ``binary_macs``, ``input_words`` (\\(\\lceil c_{in}/32 \\rceil\\)), ``ops`` (the converted
    op counts) and ``us_per_mmac`` (microseconds per million binary MACs).
    """
    from larq_bcd import convert

    parsed = [parse_shape(shape) for shape in shapes]
    if not parsed:
        raise ValueError("give at least one conv shape.")
    flatbuffers, names, reports = [], [], []
    for c_in, c_out, size in parsed:
        flatbuffer = convert.convert(single_conv(c_in, c_out, size))
        report = convert.inspect(flatbuffer).as_dict()
        if report["ops"].get("LceBconv2d") != 1 or report["float_convs"]:
            raise RuntimeError(f"{c_in}x{c_out}@{size} did not convert to one LceBconv2d: {report['ops']}")
        if tflite_dir:
            os.makedirs(tflite_dir, exist_ok=True)
            with atomic_output(os.path.join(tflite_dir, f"bconv_{c_in}x{c_out}_{size}.tflite")) as handle:
                handle.write(flatbuffer)
        flatbuffers.append(flatbuffer)
        names.append(f"{c_in}x{c_out}@{size}")
        reports.append(report)
        log(f"converted {names[-1]}: {report['binary_macs'] / 1e6:.2f} M binary MACs")
    results = benchmark.measure(flatbuffers, names=names, threads=threads, runs=runs)
    for result, (c_in, c_out, size), report in zip(results, parsed, reports):
        result.update(
            c_in=c_in,
            c_out=c_out,
            size=size,
            binary_macs=report["binary_macs"],
            input_words=math.ceil(c_in / 32),
            ops=report["ops"],
            us_per_mmac=1000 * result["median_ms"] / (report["binary_macs"] / 1e6),
        )
    return results


def markdown(results, command=""):
    lines = [
        "# Binary conv latency by shape (LCE interpreter, x86 portable kernels)",
        "",
        "One `BinaryConv2D` (3x3, sign input, +-1 kernel, zero padding) and its BN per row, converted",
        "to one `LceBconv2d` and timed interleaved with the others, batch 1. Shapes are",
        "CINxCOUT@SIZE. LCE packs 32 input channels into each word; fewer leave it part empty.",
        "The default rows are ResNet-20's three stage shapes, each beside its RepConv (beta=2)",
        "equivalent, which has the same binary MACs; then 8 to 64 input channels at 16 outputs.",
        "",
        "| shape | binary MACs (M) | input words / pixel | median us | p10-p90 us | us per M MACs | latency / first |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['binary_macs'] / 1e6:.2f} | {r['input_words']} | {1000 * r['median_ms']:.0f} | "
            f"{1000 * r['p10_ms']:.0f}-{1000 * r['p90_ms']:.0f} | {r['us_per_mmac']:.1f} | {r['ratio_to_first']:.2f}x |"
        )
    lines += ["", f"Made by `{command}`." if command else ""]
    return "\n".join(lines) + "\n"


def plot(results, path):
    """Microseconds per million binary MACs, one bar per shape."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["name"] for r in results]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(names) + 2), 4))
    colors = ["tab:orange" if r["c_in"] % 32 else "tab:blue" for r in results]
    ax.bar(names, [r["us_per_mmac"] for r in results], color=colors)
    ax.set_ylabel("us per million binary MACs (median)")
    ax.set_title("LCE binary conv cost by shape (orange: input channels not a multiple of 32)")
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def write(results, output, stem="bconv_shapes", command=""):
    """``stem``.json, .md and .png in ``output``; returns their paths."""
    return write_report(
        output,
        stem,
        {"command": command, "results": results},
        markdown(results, command),
        lambda path: plot(results, path),
        on_this_host=True,
    )
