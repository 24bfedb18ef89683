r"""Accuracy against cost in the papers' style: test top-1 vs OPs and vs .tflite latency.

    larq-bcd tradeoff zoo/reactnet_resnet18_cifar10.keras zoo/checkpoints/recu_*_cifar10 \
        --dataset data/cifar10 --output zoo --name cifar10_tradeoff

Each input is a trained model or a run:

- a saved ``.keras`` model: its top-1 is measured here, on the test split of ``--dataset``;
- a finished run's output folder (``results.json``): its final top-1;
- a run's state folder (``recipe.json`` and ``history_*.csv``), finished or not: the test
  top-1 after its last completed epoch, labelled with the epochs reached.

Cost is counted on the converted flatbuffer, as ReActNet and BCDNet count it:
\(\mathrm{OPs} = \mathrm{BOPs}/64 + \mathrm{FLOPs}\), with BOPs the binary MACs of the
``LceBconv2d`` ops and FLOPs the MACs of every other op. A run is costed and timed on its
recipe's architecture with ``num_classes`` outputs (the weights change neither). Latency is one-thread batch-1 inference on
the LCE interpreter, all models interleaved (``benchmark.measure``): compare the ratios.
Writes ``<name>.json``, ``.md`` and ``.png`` in ``--output``.
"""

import json
import os

from larq_bcd import benchmark, convert
from larq_bcd._utils import atomic_output, write_report
from larq_bcd.training import report
from larq_bcd.training.recipe import Recipe, build_model


def _recipe(folder, config):
    try:
        return Recipe(**config)
    except TypeError as error:
        raise ValueError(f"{folder}: its recipe does not match this version's recipes ({error})") from None


def _from_state(folder):
    """A run folder: its recipe, top-1 and how far it got."""
    results_path = os.path.join(folder, "results.json")
    if os.path.exists(results_path):
        with open(results_path) as handle:
            results = json.load(handle)
        recipe = _recipe(folder, results["recipe"])
        epochs = sum(step["epochs"] for step in results["steps"].values())
        return recipe, float(results["top1"]), epochs, epochs
    recipe_path = os.path.join(folder, "recipe.json")
    if not os.path.exists(recipe_path):
        raise FileNotFoundError(f"{folder}: neither results.json (a finished run) nor recipe.json (a run's state)")
    with open(recipe_path) as handle:
        recipe = _recipe(folder, json.load(handle))
    _, accuracy = report.curve(folder)
    if not accuracy:
        raise ValueError(f"{folder}: the run has not completed an epoch yet")
    planned = recipe.epochs + (recipe.step1_epochs if recipe.two_step else 0)
    return recipe, accuracy[-1], len(accuracy), planned


def _keras_top1(model, dataset, split="test"):
    from larq_bcd.data import load

    import tensorflow as tf

    size = model.input_shape[1]
    data = load(dataset, split, image_size=size, batch_size=100)
    model.compile(metrics=[tf.keras.metrics.CategoricalAccuracy(name="accuracy")])
    return float(model.evaluate(data.data, verbose=0, return_dict=True)["accuracy"])


def point(source, dataset=None, num_classes=10):
    """One model's ``(entry, keras model)``: entry has ``name``, ``source``, ``top1``,
    ``epochs`` / ``planned_epochs`` (None for a saved model)."""
    from larq_bcd.loading import load_model

    if not os.path.exists(source):
        raise FileNotFoundError(f"{source}: no such saved model or run folder")
    if os.path.isdir(source) and not os.path.exists(os.path.join(source, "saved_model.pb")):
        recipe, top1, epochs, planned = _from_state(source)
        model = build_model(recipe, num_classes=num_classes)
        name = os.path.basename(os.path.normpath(source))
        return {"name": name, "source": source, "top1": top1, "epochs": epochs, "planned_epochs": planned}, model
    if dataset is None:
        raise ValueError(f"{source} is a saved model: give --dataset to measure its top-1")
    model = load_model(source)
    name = os.path.splitext(os.path.basename(os.path.normpath(source)))[0]
    top1 = _keras_top1(model, dataset)
    return {"name": name, "source": source, "top1": top1, "epochs": None, "planned_epochs": None}, model


def measure(sources, dataset=None, *, num_classes=10, runs=20, log=print):
    """Top-1, OPs and latency of each source (see the module docstring); a list of dicts."""
    if not sources:
        raise ValueError("give at least one trained model or run folder")
    entries, flatbuffers = [], []
    for source in sources:
        entry, model = point(source, dataset, num_classes)
        flatbuffer = convert.convert(model)
        report = convert.inspect(flatbuffer)
        entry.update(
            bops=report.binary_macs,
            flops=report.float_macs,
            ops=report.binary_macs / 64 + report.float_macs,
            lce_bconv2d=report.ops.get("LceBconv2d", 0),
        )
        entries.append(entry)
        flatbuffers.append(flatbuffer)
        log(f"{entry['name']}: top-1 {entry['top1']:.2%}, {entry['ops'] / 1e6:.2f} M OPs")
    timings = benchmark.measure(flatbuffers, names=[e["name"] for e in entries], runs=runs)
    for entry, timing in zip(entries, timings):
        entry["latency_ms"] = timing["median_ms"]
        entry["latency_p10_ms"], entry["latency_p90_ms"] = timing["p10_ms"], timing["p90_ms"]
    return entries


def _epochs(entry):
    if entry["epochs"] is None:
        return "–"
    return f"{entry['epochs']} / {entry['planned_epochs']}"


def markdown(entries, command=""):
    lines = [
        "### Test top-1 against cost (OPs = BOPs / 64 + FLOPs; LCE interpreter latency, one thread)",
        "",
        f"`{command}`" if command else "",
        "",
        "| model | top-1 | epochs reached / planned | BOPs (M) | FLOPs (M) | OPs (M) | latency (ms) | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in sorted(entries, key=lambda e: -e["top1"]):
        lines.append(
            f"| {e['name']} | {e['top1']:.2%} | {_epochs(e)} | {e['bops'] / 1e6:.1f} | {e['flops'] / 1e6:.2f} | "
            f"{e['ops'] / 1e6:.2f} | {e['latency_ms']:.2f} | `{e['source']}` |"
        )
    lines += [
        "",
        "A run still under way is plotted at the test top-1 of its last completed epoch: not a",
        "final accuracy. Latency on x86 runs LCE's portable kernels: use it as ratios.",
    ]
    return "\n".join(lines) + "\n"


def plot(entries, path):
    """Two panels: top-1 vs OPs, and top-1 vs latency; unfinished runs drawn hollow."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, key, label in ((axes[0], "ops", "OPs (M) = BOPs/64 + FLOPs"), (axes[1], "latency_ms", "latency (ms)")):
        for e in entries:
            x = e[key] / 1e6 if key == "ops" else e[key]
            done = e["epochs"] is None or e["epochs"] >= e["planned_epochs"]
            ax.scatter(x, 100 * e["top1"], s=50, facecolors="tab:blue" if done else "none", edgecolors="tab:blue")
            note = "" if done else f" ({e['epochs']}/{e['planned_epochs']} ep.)"
            ax.annotate(e["name"] + note, (x, 100 * e["top1"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test top-1 (%)")
    fig.suptitle("Accuracy against cost (hollow: run under way)")
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def write(entries, output, name, command=""):
    """``<name>``.json, .md and .png in ``output``; returns their paths."""
    return write_report(
        output, name, {"command": command, "models": entries}, markdown(entries, command), lambda p: plot(entries, p)
    )


if __name__ == "__main__":
    from larq_bcd.cli import module_main

    module_main("tradeoff")
