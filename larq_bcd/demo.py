"""``larq-bcd demo``: the library's story in minutes on a laptop CPU.

1. The trained CIFAR-10 model committed in ``zoo/`` (ReAct-ResNet-18 of the equal-budget
   ranking, its full-test-set top-1 read from its run's ``results.json``): converted with LCE, its TFLite top-1 on the embedded test images beside
   Keras, its size and binary operations beside its float twin's.
2. The training path, exercised briefly on the embedded sample (a smoke run, not a result).
3. Latency of the trained binary .tflite beside its float twin on this machine's LCE
   interpreter (x86 runs LCE's portable kernels; ARM runs the optimized ones).
A markdown report, JSON and a figure are written to ``--output``.
"""

import json
import os
import shutil
import time

from larq_bcd._utils import atomic_output

#: The trained model the demo shows, relative to the repository root, and what it is.
TRAINED = ("zoo/reactnet_resnet18_rank30_cifar10.keras", "reactnet_resnet18", {"width_multiplier": 0.25})
#: The finished run that made it: its ``results.json`` holds the full-test-set top-1.
TRAINED_RUN = "zoo/checkpoints/rank30_reactnet_resnet18_cifar10"


def trained_top1(run=TRAINED_RUN):
    """The trained model's top-1 on the full test set, as its run recorded it, in words."""
    path = os.path.join(run, "results.json")
    try:
        with open(path) as handle:
            results = json.load(handle)
        return f"{results['top1']:.2%} on the {results['test_examples']:,} CIFAR-10 test images, per {path}"
    except (OSError, ValueError, KeyError) as error:
        return f"full-test-set top-1 unknown: {path} unreadable ({error.__class__.__name__})"


def _figure(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    names = [r["name"] for r in rows]
    colors = ["tab:blue" if r["binary"] else "tab:gray" for r in rows]
    for axis, key, label in zip(
        axes,
        ("size_mb", "bops_g", "latency_ms"),
        (".tflite size (MB)", "binary + float ops (G, BOPs/64 + FLOPs)", "latency on this x86 CPU (ms)"),
    ):
        axis.bar(names, [r[key] for r in rows], color=colors)
        axis.set_title(label, fontsize=9)
        axis.tick_params(axis="x", labelsize=8)
    axes[2].text(
        0.5,
        -0.25,
        "x86: LCE portable kernels; ARM phones/Pis run the optimized ones",
        transform=axes[2].transAxes,
        ha="center",
        fontsize=7,
    )
    fig.suptitle(f"trained binary model: top-1 {rows[0]['top1']:.1%} (embedded sample) vs its float twin", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(output="demo-report", dataset="sample", epochs=1, width_multiplier=0.125, runs=10, log=print):
    from larq_bcd import benchmark, convert, zoo
    from larq_bcd.data import load
    from larq_bcd.training.recipe import Recipe
    from larq_bcd.training.recipe import run as train
    from larq_bcd.zoo.costs import costs

    import tensorflow as tf

    started = time.time()
    path, name, args = TRAINED
    if not os.path.exists(path):
        raise FileNotFoundError(f"the trained model {path} is missing: run the demo from the repository root")
    top1 = trained_top1()
    log(f"[1/3] the trained model {path} ({top1}): converting with LCE")
    model = tf.keras.models.load_model(path, compile=False)
    flatbuffer = convert.convert(model)
    report = convert.inspect(flatbuffer)
    sample = load("sample", "test", image_size=32, batch_size=100)
    accuracy = convert.evaluate(flatbuffer, sample.data, model)
    twin = zoo.get(name, input_shape=(32, 32, 3), num_classes=10, quantization="float", **args)
    twin_flatbuffer = convert.convert(twin)
    twin_report = convert.inspect(twin_flatbuffer)
    binary_costs, twin_costs = costs(model), costs(twin)
    log(
        f"      TFLite top-1 {accuracy['tflite_top1']:.2%} on the {accuracy['examples']} embedded test "
        f"images (Keras {accuracy['keras_top1']:.2%}, same prediction on {accuracy['agreement']:.1%}); "
        f"{report.ops.get('LceBconv2d', 0)} LceBconv2d; {report.size_bytes / 1e6:.2f} MB vs "
        f"{twin_report.size_bytes / 1e6:.2f} MB float"
    )

    log(f"[2/3] the training path: BCDNet-B (width {width_multiplier}) on {dataset}, {epochs} epoch(s), smoke run")
    os.makedirs(output, exist_ok=True)
    shutil.rmtree(os.path.join(output, "train"), ignore_errors=True)  # a smoke run trains afresh
    recipe = Recipe(
        model="bcdnet_b",
        dataset=dataset,
        output=os.path.join(output, "train"),
        model_args={"width_multiplier": width_multiplier},
        epochs=epochs,
        batch_size=64,
        learning_rate=2e-3,
        warmup_epochs=0.5,
        train_limit=1024,
        test_limit=256,
    )
    smoke = train(recipe, command=f"larq-bcd demo --dataset {dataset} --epochs {epochs}", log=log)

    log(f"[3/3] timing the trained binary .tflite and its float twin, interleaved ({runs} runs each)")
    timing = benchmark.measure([flatbuffer, twin_flatbuffer], names=[name, f"{name} float twin"], runs=runs)
    benchmark.write(timing, output, "latency", "demo: LCE interpreter, 32x32", "larq-bcd demo")
    rows = []
    for label, rep, cost, result, binary in (
        (name, report, binary_costs, timing[0], True),
        (f"{name} float twin", twin_report, twin_costs, timing[1], False),
    ):
        rows.append(
            {
                "name": label,
                "binary": binary,
                "top1": accuracy["tflite_top1"] if binary else None,
                "size_mb": rep.size_bytes / 1e6,
                "binary_macs": cost["binary_macs"],
                "float_macs": cost["float_macs"],
                "bops_g": (cost["binary_macs"] / 64 + cost["float_macs"]) / 1e9,
                "latency_ms": result["median_ms"],
            }
        )
    _figure(rows, os.path.join(output, "demo.png"))
    summary = {
        "trained_model": path,
        "trained_top1_full_test_set": top1,
        "sample_accuracy": accuracy,
        "rows": rows,
        "smoke_run_top1": smoke["top1"],
        "latency": timing,
        "seconds": round(time.time() - started, 1),
    }
    with atomic_output(os.path.join(output, "report.json"), "w") as handle:
        json.dump(summary, handle, indent=2)
    b, f = rows
    lines = [
        "# larq-bcd demo report",
        "",
        f"**{accuracy['tflite_top1']:.2%} top-1**: the trained binary {name} (`{path}`, "
        f"{top1}) converted with LCE, on the {accuracy['examples']} embedded CIFAR-10 test "
        f"images, on the LCE interpreter (Keras: {accuracy['keras_top1']:.2%}; the same prediction "
        f"on {accuracy['agreement']:.1%} of the images).",
        "",
        "| model | top-1 (embedded test images) | .tflite | binary MACs | float MACs | latency here |",
        "|---|---|---|---|---|---|",
        f"| {b['name']} (binary, {report.ops.get('LceBconv2d', 0)} LceBconv2d) | {accuracy['tflite_top1']:.2%} | "
        f"{b['size_mb']:.2f} MB | {b['binary_macs']:.3g} | {b['float_macs']:.3g} | {b['latency_ms']:.2f} ms |",
        f"| {f['name']} | not trained | {f['size_mb']:.2f} MB | 0 | {f['float_macs']:.3g} | {f['latency_ms']:.2f} ms |",
        "",
        f"The binary model is {f['size_mb'] / b['size_mb']:.1f}x smaller. Latency is measured on "
        "this machine's LCE interpreter: on x86 LCE runs portable binary kernels, so the float "
        "twin can be as fast or faster here; on ARM (phones, Raspberry Pis) the optimized kernels "
        "make the binary model the fast one (`convert/` measures it on a device).",
        "",
        "![size, operations and latency](demo.png)",
        "",
        f"Training path (smoke run, not a result): BCDNet-B, width {width_multiplier}, {epochs} "
        f"epoch(s) on 1,024 `{dataset}` images: top-1 {smoke['top1']:.1%} on 256 test images.",
        "",
        f"Total time: {summary['seconds'] / 60:.1f} min.",
    ]
    with atomic_output(os.path.join(output, "report.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    log(f"wrote {os.path.join(output, 'report.md')}")
    return summary
