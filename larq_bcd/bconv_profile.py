r"""Where a model's LCE time goes: each binary conv timed alone, beside the whole model.

The LCE interpreter has no per-op profiler, so every binary conv of the model (a
``QuantConv2D`` with an input quantizer, e.g. ``BinaryConv2D``, ``RepConv``) is rebuilt from
its config as a one-layer model at its input shape, converted to one ``LceBconv2d`` and
timed, interleaved with the whole model (``benchmark.measure``). Each conv alone also pays
the interpreter call and the copies of its float input and output, so the sum of the convs
can exceed the model's latency: read the shares between convs (which layers dominate), not
the sum as the convs' part of the model. Cost per conv follows
\(\lceil c_{in}/32 \rceil \cdot c_{out}\) (``bconv_shapes``).
"""

import math

from larq_bcd import benchmark
from larq_bcd._utils import atomic_output, write_report


def single_layer(layer):
    """A fresh copy of ``layer`` (same config, new weights) as a model at its input shape."""
    import tensorflow as tf

    try:
        shape = layer.input_shape
    except AttributeError:
        raise ValueError(f"'{layer.name}' is called on several input shapes; profile one model per shape.") from None
    inputs = tf.keras.Input(shape[1:])
    return tf.keras.Model(inputs, type(layer).from_config(layer.get_config())(inputs), name=layer.name)


def measure(model, *, threads=1, runs=100, log=print):
    """Time the whole ``model`` and each of its binary convs alone, interleaved.

    Returns ``(whole, convs)``: ``benchmark.measure``'s result for the model, and one per
    binary conv with ``c_in``, ``c_out``, ``size`` (input height), ``kernel``, ``strides``,
    ``binary_macs``, ``input_words`` (\\(\\lceil c_{in}/32 \\rceil\\)) and ``share`` (of the
    binary convs' summed median latency).
    """
    from larq_bcd import convert

    layers = convert.binary_convs(model)
    if not layers:
        raise ValueError(f"{model.name} has no binary conv (QuantConv2D with an input quantizer) to profile.")
    flatbuffers, reports = [convert.convert(model)], []
    log(f"converted {model.name}")
    for layer in layers:
        flatbuffer = convert.convert(single_layer(layer))
        report = convert.inspect(flatbuffer)
        if report.ops.get("LceBconv2d") != 1:
            raise RuntimeError(f"'{layer.name}' alone did not convert to one LceBconv2d: {report.ops}")
        flatbuffers.append(flatbuffer)
        reports.append(report)
    log(f"converted its {len(layers)} binary convs one by one")
    names = [model.name] + [layer.name for layer in layers]
    whole, *convs = benchmark.measure(flatbuffers, names=names, threads=threads, runs=runs)
    total = sum(result["median_ms"] for result in convs)
    for result, layer, report in zip(convs, layers, reports):
        shape = layer.input_shape
        result.update(
            c_in=int(shape[-1]),
            c_out=int(layer.output_shape[-1]),
            size=int(shape[1]),
            kernel=list(layer.kernel_size),
            strides=list(layer.strides),
            binary_macs=report.binary_macs,
            input_words=math.ceil(shape[-1] / 32),
            share=result["median_ms"] / total,
        )
    return whole, convs


def markdown(whole, convs, command=""):
    total = sum(r["median_ms"] for r in convs)
    lines = [
        f"# Where {whole['name']}'s LCE time goes (LCE interpreter, x86 portable kernels)",
        "",
        "Each binary conv rebuilt alone at its input shape, converted to one `LceBconv2d` and timed,",
        "interleaved with the whole model, batch 1 (`larq_bcd.bconv_profile`).",
        "",
        f"Whole model: **{whole['median_ms']:.2f} ms** (median). Its {len(convs)} binary convs, each timed "
        f"alone, sum to {total:.2f} ms; alone each also pays the interpreter call and the copies of its "
        "float input and output, so read the shares between convs, not the sum as their part of the model.",
        "",
        "| layer | c_in -> c_out | input | kernel / stride | input words / pixel | binary MACs (M) | median us | share of the convs' sum |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in convs:
        lines.append(
            f"| {r['name']} | {r['c_in']} -> {r['c_out']} | {r['size']}x{r['size']} | "
            f"{r['kernel'][0]}x{r['kernel'][1]} / {r['strides'][0]} | {r['input_words']} | "
            f"{r['binary_macs'] / 1e6:.2f} | {1000 * r['median_ms']:.0f} | {r['share']:.1%} |"
        )
    lines += ["", f"Made by `{command}`." if command else ""]
    return "\n".join(lines) + "\n"


def plot(whole, convs, path):
    """One horizontal bar per binary conv (median us), in layer order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, max(3, 0.28 * len(convs) + 1.5)))
    names = [r["name"] for r in convs][::-1]
    colors = ["tab:orange" if r["c_in"] % 32 else "tab:blue" for r in convs][::-1]
    ax.barh(names, [1000 * r["median_ms"] for r in convs][::-1], color=colors)
    ax.set_xlabel("median us, alone (orange: input channels not a multiple of 32)")
    total = sum(r["median_ms"] for r in convs)
    ax.set_title(f"{whole['name']}: {whole['median_ms']:.2f} ms; binary convs {total:.2f} ms")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def write(whole, convs, output, stem, command=""):
    """``stem``.json, .md and .png in ``output``; returns their paths."""
    return write_report(
        output,
        stem,
        {"command": command, "model": whole, "binary_convs": convs},
        markdown(whole, convs, command),
        lambda path: plot(whole, convs, path),
        on_this_host=True,
    )
