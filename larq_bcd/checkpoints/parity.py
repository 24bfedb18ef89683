"""Prove an official-mode model computes the official function, deploys bit-packed, and
what the official padding costs in latency against the default build.

    larq-bcd parity FIXTURE_DIR --output zoo/benchmarks [--runs 10]

``FIXTURE_DIR`` holds ``<model>.pth.tar`` + ``<model>.npz`` made from the official code by
``tests/fixtures/make_official_fixtures.py`` (any width; ``--width 1`` for the papers'
models). For ReActNet-A, BCDNet-A and ReAct-ResNet-18 it writes ``official_parity.json`` and ``.md``: the
relative L2 difference of the logits in float64 and, per image, in float32; TFLite vs Keras
top-1 agreement; the ``LceBconv2d`` count; and the batch-1 latency of the official-mode and
default builds measured interleaved in one run (``larq_bcd.benchmark.measure``).
"""

import os

import larq_bcd  # noqa: F401  (tf-keras before TensorFlow)
from larq_bcd import benchmark, convert, zoo
from larq_bcd._utils import write_report

import larq as lq
import numpy as np
import tensorflow as tf


def _build(name, data, floatx, **kwargs):
    tf.keras.backend.set_floatx(floatx)
    try:
        return zoo.get(
            name,
            width_multiplier=float(data["width"]),
            num_classes=data["logits"].shape[1],
            input_shape=data["images"].shape[1:],
            classifier_activation=None,
            **kwargs,
        )
    finally:
        tf.keras.backend.set_floatx("float32")


def _relative(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def fixture_paths(name, directory):
    """``(<name>.pth.tar, <name>.npz)`` in ``directory``; a ``FileNotFoundError`` naming the first
    one missing and the script that makes them."""
    paths = tuple(os.path.join(directory, name + suffix) for suffix in (".pth.tar", ".npz"))
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"parity fixture not found: {path} (make it with tests/fixtures/make_official_fixtures.py)"
            )
    return paths


def check(name, directory, runs=10, threads=1):
    """The parity and latency record of one official model."""
    checkpoint, arrays = fixture_paths(name, directory)
    data = np.load(arrays)
    reference, images = data["logits"], data["images"]
    record = {
        "model": name,
        "width": float(data["width"]),
        "images": len(images),
        "official_params": int(data["params"]),
    }
    model64 = _build(name, data, "float64", weights=checkpoint)
    record["float64_relative_l2"] = _relative(model64(images.astype(np.float64)).numpy(), reference)
    del model64
    model = _build(name, data, "float32", weights=checkpoint)
    logits = model(images.astype(np.float32)).numpy()
    per_image = [_relative(a, b) for a, b in zip(logits, reference)]
    record["float32_relative_l2_median"] = float(np.median(per_image))
    record["float32_relative_l2_max"] = float(np.max(per_image))
    official = convert.convert(model)
    report = convert.inspect(official)
    record["lce_bconv2d"] = report.ops.get("LceBconv2d", 0)
    record["binary_convs"] = sum(isinstance(l, lq.layers.QuantConv2D) for l in model.layers)
    record["float_conv2d"] = report.ops.get("CONV_2D", 0)
    tflite = convert.interpreter(official).predict(images.astype(np.float32))
    record["tflite_keras_top1_agreement"] = float(np.mean(tflite.argmax(-1) == logits.argmax(-1)))
    record["tflite_keras_relative_l2_median"] = float(np.median([_relative(t, k) for t, k in zip(tflite, logits)]))
    record["keras_official_top1_agreement"] = float(np.mean(logits.argmax(-1) == reference.argmax(-1)))
    default = convert.convert(_build(name, data, "float32"))
    timing = benchmark.measure(
        [official, default], names=[f"{name} official", f"{name} default"], threads=threads, runs=runs
    )
    record["latency"] = timing
    record["official_to_default_latency"] = round(timing[0]["median_ms"] / timing[1]["median_ms"], 3)
    record["official_bytes"], record["default_bytes"] = len(official), len(default)
    return record


def markdown(records, command):
    lines = [
        "# Official checkpoints: parity with the PyTorch code, and the cost of its padding",
        "",
        f"Made by `{command}` from random-weight official models "
        "(`tests/fixtures/make_official_fixtures.py`). Latency: batch 1, LCE x86 interpreter, "
        "median of interleaved runs; compare the ratio, not the milliseconds.",
        "",
        "| model | width | params (official) | float64 rel. L2 | float32 rel. L2 median / max | "
        "LceBconv2d / binary convs | float CONV_2D | TFLite vs Keras: rel. L2 median, same top-1 | official / default latency | "
        "official / default size |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['model']} | {r['width']:g} | {r['official_params']:,} | {r['float64_relative_l2']:.1e} | "
            f"{r['float32_relative_l2_median']:.1e} / {r['float32_relative_l2_max']:.1e} | "
            f"{r['lce_bconv2d']} / {r['binary_convs']} | {r['float_conv2d']} | "
            f"{r['tflite_keras_relative_l2_median']:.1e}, {r['tflite_keras_top1_agreement']:.0%} of {r['images']} | "
            f"{r['latency'][0]['median_ms']:.1f} / {r['latency'][1]['median_ms']:.1f} ms "
            f"({r['official_to_default_latency']:.2f}x) | "
            f"{r['official_bytes'] / 1e6:.2f} / {r['default_bytes'] / 1e6:.2f} MB |"
        )
    return "\n".join(lines) + "\n"


def write(records, output, command):
    """``official_parity.json`` and ``.md`` in ``output``; returns their paths."""
    return write_report(output, "official_parity", {"command": command, "results": records}, markdown(records, command))


if __name__ == "__main__":
    from larq_bcd.cli import module_main

    module_main("parity")
