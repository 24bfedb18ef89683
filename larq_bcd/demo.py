"""``larq-bcd demo``: the whole path in minutes on a laptop CPU.

BCDNet-B (32x32) is trained briefly on the embedded CIFAR-10 sample (or a given dataset),
converted with LCE, checked against Keras, and timed beside ReActNet-A and its own float
twin; a markdown report and a PNG are written to ``--output``.
"""

import json
import os
import time

from larq_bcd._utils import atomic_output


def run(output="demo-report", dataset="sample", epochs=2, width_multiplier=0.25, runs=10, log=print):
    import tensorflow as tf

    from larq_bcd import benchmark, convert, zoo
    from larq_bcd.training.recipe import Recipe
    from larq_bcd.training.recipe import run as train

    os.makedirs(output, exist_ok=True)
    started = time.time()
    log(f"[1/4] training BCDNet-B (width {width_multiplier}) on {dataset} for {epochs} epochs")
    recipe = Recipe(
        model="bcdnet_b",
        dataset=dataset,
        output=os.path.join(output, "train"),
        model_args={"width_multiplier": width_multiplier},
        epochs=epochs,
        batch_size=64,
        learning_rate=2e-3,
        warmup_epochs=0.5,
    )
    trained = train(recipe, command=f"larq-bcd demo --dataset {dataset} --epochs {epochs}", log=log)
    model = tf.keras.models.load_model(os.path.join(recipe.output, "model.keras"))

    log("[2/4] converting with LCE and checking parity with Keras")
    flatbuffers = {"bcdnet_b": convert.convert(model)}
    parity = convert.verify(model, flatbuffers["bcdnet_b"], samples=8)
    report = convert.inspect(flatbuffers["bcdnet_b"])
    log(
        f"      {report.ops.get('LceBconv2d', 0)} LceBconv2d, binary MAC share {report.binary_mac_share:.3f}, "
        f"parity: top-1 agreement {parity.top1_agreement:.0%}, max diff {parity.relative_diff:.2g} of scale"
    )

    log("[3/4] converting the baselines: ReActNet-A and BCDNet-B's float twin")
    shape = {"input_shape": (32, 32, 3), "num_classes": 10, "width_multiplier": width_multiplier}
    flatbuffers["reactnet_a"] = convert.convert(zoo.ReActNetA(**shape))
    flatbuffers["bcdnet_b_float"] = convert.convert(zoo.BCDNetB(quantization="float", **shape))
    paths = []
    for name, flatbuffer in flatbuffers.items():
        paths.append(os.path.join(output, f"{name}.tflite"))
        with atomic_output(paths[-1]) as handle:
            handle.write(flatbuffer)

    log(f"[4/4] timing the three .tflite files interleaved ({runs} runs each)")
    results = benchmark.measure(paths, runs=runs)
    benchmark.write(results, output, "latency", "demo: LCE interpreter, 32x32", "larq-bcd demo")
    summary = {
        "top1": trained["top1"],
        "test_examples": trained["test_examples"],
        "parity": {"top1_agreement": parity.top1_agreement, "relative_diff": parity.relative_diff},
        "binary_mac_share": report.binary_mac_share,
        "latency": results,
        "seconds": round(time.time() - started, 1),
    }
    with atomic_output(os.path.join(output, "report.json"), "w") as handle:
        json.dump(summary, handle, indent=2)
    lines = [
        "# larq-bcd demo report",
        "",
        f"BCDNet-B (32x32, width {width_multiplier}) trained {epochs} epochs on `{dataset}`: "
        f"top-1 **{trained['top1']:.1%}** on {trained['test_examples']} test images "
        "(a few minutes of CPU training: a smoke test of the path, not a result).",
        "",
        f"LCE conversion: {report.ops.get('LceBconv2d', 0)} LceBconv2d, "
        f"{report.binary_mac_share:.1%} of MACs binary; Keras vs TFLite top-1 agreement "
        f"{parity.top1_agreement:.0%} on 8 random images (max difference "
        f"{parity.relative_diff:.2g} of the output scale).",
        "",
        benchmark.markdown(results, "Latency and size (x86 LCE interpreter, portable kernels)"),
        "![latency and size](latency.png)",
        "",
        f"Total time: {summary['seconds'] / 60:.1f} min.",
    ]
    with atomic_output(os.path.join(output, "report.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    log(f"wrote {os.path.join(output, 'report.md')}")
    return summary
