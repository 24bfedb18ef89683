r"""Accuracy against cost in the papers' style: test top-1 vs OPs and vs .tflite latency.

    larq-bcd tradeoff zoo/reactnet_resnet18_cifar10.keras zoo/checkpoints/recu_*_cifar10 \
        --dataset data/cifar10 --output zoo --name cifar10_tradeoff

Each input is a trained model or a run:

- a saved ``.keras`` model: its top-1 is measured here, on the test split of ``--dataset``;
- a finished run's output folder (``results.json``): its final top-1;
- a run's state folder (``recipe.json`` and ``history_*.csv``): the test top-1 after its last
  epoch once it has trained all its epochs; while under way, the mean test top-1 of its last
  ``report.MEAN_EPOCHS`` completed epochs (one epoch's swings by up to 20 points mid-schedule),
  labelled with the epochs reached.

Cost is counted on the converted flatbuffer, as ReActNet and BCDNet count it:
\(\mathrm{OPs} = \mathrm{BOPs}/64 + \mathrm{FLOPs}\), with BOPs the binary MACs of the
``LceBconv2d`` ops and FLOPs the MACs of every other op. A run is costed and timed on its
recipe's architecture with ``num_classes`` outputs (the weights change neither). Latency is one-thread batch-1 inference on
the LCE interpreter, all models interleaved (``benchmark.measure``): compare the ratios.
Writes ``<name>.json``, ``.md`` and ``.png`` in ``--output``.
"""

import math
import os

from larq_bcd import benchmark, convert
from larq_bcd._utils import atomic_output, read_json, write_report
from larq_bcd.training import report
from larq_bcd.training.recipe import Recipe, build_model


def _from_state(folder):
    """A run folder: its recipe, top-1 (for a run under way, the mean of its last
    ``MEAN_EPOCHS`` epochs), top-1 of its last epoch, epochs reached and planned."""
    results_path = os.path.join(folder, "results.json")
    if os.path.exists(results_path):
        results = read_json(results_path, report.RESULTS, keys=("recipe", "steps", "top1"))
        recipe = Recipe.from_saved(results["recipe"], results_path)
        epochs = sum(step["epochs"] for step in results["steps"].values())
        return recipe, float(results["top1"]), float(results["top1"]), epochs, epochs
    recipe_path = os.path.join(folder, "recipe.json")
    if not os.path.exists(recipe_path):
        raise FileNotFoundError(f"{folder}: neither results.json (a finished run) nor recipe.json (a run's state)")
    recipe = Recipe.from_state(recipe_path)
    _, accuracy = report.curve(folder)
    if not accuracy:
        raise ValueError(f"{folder}: the run has not completed an epoch yet")
    planned = recipe.epochs + (recipe.step1_epochs if recipe.two_step else 0)
    top1 = accuracy[-1] if len(accuracy) >= planned else report.trailing_mean(accuracy, report.MEAN_EPOCHS)[-1]
    return recipe, top1, accuracy[-1], len(accuracy), planned


def _keras_top1(model, dataset, split="test"):
    from larq_bcd.data import load

    import tensorflow as tf

    size = model.input_shape[1]
    data = load(dataset, split, image_size=size, batch_size=100)
    model.compile(metrics=[tf.keras.metrics.CategoricalAccuracy(name="accuracy")])
    return float(model.evaluate(data.data, verbose=0, return_dict=True)["accuracy"])


def point(source, dataset=None, num_classes=10):
    """One model's ``(entry, keras model)``: entry has ``name``, ``source``, ``top1`` (what is
    plotted), ``last_epoch_top1`` and ``epochs`` / ``planned_epochs`` (None for a saved model)."""
    from larq_bcd.loading import check_saved_model, load_model

    if not os.path.exists(source):
        raise FileNotFoundError(f"{source}: no such saved model or run folder")
    if os.path.isdir(source) and not os.path.exists(os.path.join(source, "saved_model.pb")):
        recipe, top1, last, epochs, planned = _from_state(source)
        model = build_model(recipe, num_classes=num_classes)
        name = os.path.basename(os.path.normpath(source))
        entry = {"name": name, "source": source, "top1": top1, "last_epoch_top1": last}
        return {**entry, "epochs": epochs, "planned_epochs": planned}, model
    check_saved_model(source)
    if dataset is None:
        raise ValueError(f"{source} is a saved model: give --dataset to measure its top-1")
    model = load_model(source)
    name = os.path.splitext(os.path.basename(os.path.normpath(source)))[0]
    top1 = _keras_top1(model, dataset)
    entry = {"name": name, "source": source, "top1": top1, "last_epoch_top1": top1}
    return {**entry, "epochs": None, "planned_epochs": None}, model


def measure(sources, dataset=None, *, num_classes=10, runs=20, log=print):
    """Top-1, OPs and latency of each source (see the module docstring); a list of dicts."""
    if not sources:
        raise ValueError("give at least one trained model or run folder")
    entries, flatbuffers = [], []
    for source in sources:
        entry, model = point(source, dataset, num_classes)
        flatbuffer = convert.convert(model)
        ops = convert.inspect(flatbuffer)
        entry.update(
            bops=ops.binary_macs,
            flops=ops.float_macs,
            ops=ops.binary_macs / 64 + ops.float_macs,
            lce_bconv2d=ops.ops.get("LceBconv2d", 0),
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
        "| # | model | top-1 | epochs reached / planned | BOPs (M) | FLOPs (M) | OPs (M) | latency (ms) | source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, e in enumerate(sorted(entries, key=lambda e: -e["top1"]), 1):
        lines.append(
            f"| {n} | {e['name']} | {e['top1']:.2%} | {_epochs(e)} | {e['bops'] / 1e6:.1f} | {e['flops'] / 1e6:.2f} | "
            f"{e['ops'] / 1e6:.2f} | {e['latency_ms']:.2f} | `{e['source']}` |"
        )
    lines += [
        "",
        "`#` numbers the points of the chart (the .png beside this file). A run still under way is",
        f"plotted at the mean test top-1 of its last {report.MEAN_EPOCHS} completed epochs (its last epoch's",
        "is in the JSON as `last_epoch_top1`): not a final accuracy. Latency on x86 runs LCE's",
        "portable kernels: use it as ratios.",
    ]
    return "\n".join(lines) + "\n"


def _clear(left, right, bottom, height, boxes, direction):
    """The nearest ``bottom``, moving up (``direction`` +1) or down (-1) from the given one,
    where a label ``left .. right`` wide and ``height`` high overlaps none of the ``boxes``
    ``(left, right, bottom, top)``."""
    tolerance = 1e-9 * height  # rounding in bottom + height must not count as an overlap
    while True:
        clashes = [
            box
            for box in boxes
            if box[0] < right and left < box[1] and box[2] + tolerance < bottom + height and bottom + tolerance < box[3]
        ]
        if not clashes:
            return bottom
        bottom = max(box[3] for box in clashes) if direction > 0 else min(box[2] for box in clashes) - height


def place_labels(points, widths, height, *, pad, bounds, obstacles=()):
    """Where to put each point's label so that no two overlap (all in display units).

    Returns ``(side, rise)`` per point: the label's lower corner is ``pad`` to the right (``side``
    +1) or left (-1) of its point and ``rise`` above it (negative: below). Labels are placed from
    the lowest point up, each at the corner of its point (above right, above left, below right,
    below left, within ``bounds = (left, right)``) that it can take after the smallest move clear
    of the labels placed so far and the ``obstacles``, boxes ``(left, right, bottom, top)`` such
    as the markers; a corner where the label would sit nearer another point than its own comes
    last.
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][1], points[i][0]))
    boxes, result = list(obstacles), [(1, pad)] * len(points)
    for i in order:
        (x, y), width = points[i], widths[i]
        sides = [
            side
            for side in (1, -1)
            if bounds[0] <= min(x + side * pad, x + side * (pad + width))
            and max(x + side * pad, x + side * (pad + width)) <= bounds[1]
        ] or [1 if bounds[1] - x >= x - bounds[0] else -1]  # wider than either side: the roomier
        options = []
        for rank, (direction, side) in enumerate((d, s) for d in (1, -1) for s in sides):
            left, right = sorted((x + side * pad, x + side * (pad + width)))
            start = y + pad if direction > 0 else y - pad - height
            bottom = _clear(left, right, start, height, boxes, direction)
            centre = ((left + right) / 2, bottom + height / 2)
            own = math.dist(centre, (x, y))
            ambiguous = any(math.dist(centre, p) < own for j, p in enumerate(points) if j != i)
            options.append((ambiguous, abs(bottom - start), rank, side, left, right, bottom))
        *_, side, left, right, bottom = min(options)
        boxes.append((left, right, bottom, bottom + height))
        result[i] = (side, bottom - y)
    return result


def _coordinate(entry, metric):
    """A point's x in the chart: OPs in millions, or latency in ms."""
    return entry[metric] / 1e6 if metric == "ops" else entry[metric]


def plot(entries, path, fontsize=8):
    """Two panels: top-1 vs OPs, and top-1 vs latency; unfinished runs drawn hollow. Each point
    carries its number in the key (and in the table: best top-1 first), placed clear of the other
    numbers and markers by ``place_labels``, with a line to its point when it had to move."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.textpath import TextPath

    entries = sorted(entries, key=lambda e: -e["top1"])
    done = [e["epochs"] is None or e["epochs"] >= e["planned_epochs"] for e in entries]
    key = [
        f"{n}  {e['name']}  {e['top1']:.2%}" + ("" if d else f"  ({e['epochs']}/{e['planned_epochs']} epochs)")
        for n, (e, d) in enumerate(zip(entries, done), 1)
    ]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5), sharey=True)
    for ax, metric, title in ((axes[0], "ops", "OPs (M) = BOPs/64 + FLOPs"), (axes[1], "latency_ms", "latency (ms)")):
        for e, d in zip(entries, done):
            ax.scatter(
                _coordinate(e, metric),
                100 * e["top1"],
                s=40,
                facecolors="tab:blue" if d else "none",
                edgecolors="tab:blue",
            )
        ax.set_xlabel(title)
        ax.grid(alpha=0.3)
        ax.margins(x=0.08, y=0.1)
    axes[0].set_ylabel("test top-1 (%)")
    fig.suptitle(f"Accuracy against cost (hollow: run under way, at the mean of its last {report.MEAN_EPOCHS} epochs)")
    fig.tight_layout(rect=(0, 0, 0.66, 1))
    fig.text(0.67, 0.88, "\n".join(key), fontsize=fontsize, va="top", family="monospace")
    pixels = fig.dpi / 72  # display units per point
    radius = 3.5 * pixels  # the markers' (s=40: 3.2 points), the labels' gap from them
    pad, height = radius, 1.2 * fontsize * pixels
    numbers = [str(n) for n in range(1, len(entries) + 1)]
    widths = [TextPath((0, 0), text, size=fontsize).get_extents().width * pixels for text in numbers]
    for ax, metric in ((axes[0], "ops"), (axes[1], "latency_ms")):
        points = ax.transData.transform([(_coordinate(e, metric), 100 * e["top1"]) for e in entries])
        bounds = ax.transAxes.transform([(0, 0), (1, 1)])[:, 0]
        markers = [(x - radius, x + radius, y - radius, y + radius) for x, y in points]
        places = place_labels(points, widths, height, pad=pad, bounds=bounds, obstacles=markers)
        for (x, y), text, (side, rise) in zip(points, numbers, places):
            moved = not any(math.isclose(rise, corner, abs_tol=1e-6) for corner in (pad, -pad - height))
            ax.annotate(
                text,
                ax.transData.inverted().transform((x, y)),
                xytext=(side * pad / pixels, rise / pixels),
                textcoords="offset points",
                ha="left" if side > 0 else "right",
                va="bottom",
                fontsize=fontsize,
                arrowprops=dict(arrowstyle="-", color="0.5", lw=0.6, shrinkA=0, shrinkB=3) if moved else None,
            )
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def write(entries, output, name, command=""):
    """``<name>``.json, .md and .png in ``output``; returns their paths."""
    return write_report(
        output,
        name,
        {"command": command, "models": entries},
        markdown(entries, command),
        lambda p: plot(entries, p),
        on_this_host=True,
    )


if __name__ == "__main__":
    from larq_bcd.cli import module_main

    module_main("tradeoff")
