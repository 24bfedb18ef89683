"""Collect training runs into ``zoo/cifar10.md``, an accuracy-curve PNG and the best model.

    python -m larq_bcd.training.report runs/*_cifar10 --output zoo --name cifar10

Reads each run's ``results.json`` and ``history_*.csv`` (written by ``larq-bcd train``);
copies the best binary run's ``model.keras`` to ``<output>/<model>_<name>.keras``.
"""

import argparse
import csv
import json
import os
import shutil

from larq_bcd._utils import atomic_output


def _curve(run):
    epochs, accuracy = [], []
    for tag in ("step1", "step2", "train"):
        path = os.path.join(run, f"history_{tag}.csv")
        if os.path.exists(path):
            with open(path) as handle:
                for row in csv.DictReader(handle):
                    epochs.append(len(epochs) + 1)
                    accuracy.append(float(row["val_accuracy"]))
    return epochs, accuracy


def collect(runs):
    rows = []
    for run in runs:
        path = os.path.join(run, "results.json")
        if not os.path.exists(path):
            print(f"skipping {run}: no results.json (not finished)")
            continue
        with open(path) as handle:
            result = json.load(handle)
        recipe = result["recipe"]
        steps = result["steps"]
        rows.append(
            {
                "run": run,
                "model": recipe["model"],
                "float_twin": recipe["model_args"].get("quantization") == "float",
                "width": recipe["model_args"].get("width_multiplier", 1.0),
                "top1": result["top1"],
                "epochs": sum(s["epochs"] for s in steps.values()),
                "minutes": round(sum(s["seconds"] for s in steps.values()) / 60, 1),
                "images_per_second": [s["images_per_second"] for s in steps.values()],
                "test_examples": result["test_examples"],
                "command": result["command"],
                "curve": _curve(run),
            }
        )
    return rows


def write(rows, output, name):
    os.makedirs(output, exist_ok=True)
    best = max((r for r in rows if not r["float_twin"]), key=lambda r: r["top1"], default=None)
    lines = [
        f"# {name}: measured training results",
        "",
        "CIFAR-10 here is the JPEG re-encoding in `shared/datasets/cifar10-jpeg.tar.gz` (median PSNR",
        "about 31 dB against the originals): accuracy on it is close to, not equal to, accuracy on the",
        "original CIFAR-10. This is a small CPU budget on 32x32 images, not the papers' ImageNet setting.",
        "Images/s are wall-clock on a 2-core machine that other jobs may have shared: compare rows",
        "trained side by side, not across sessions. The per-image training cost of each model, measured",
        "side by side in one run, is in `benchmarks/train_throughput_32.md`",
        "(`python -m larq_bcd.training.throughput`).",
        "",
        "| model | binary? | width | top-1 | epochs | test top-1 per epoch (%) | wall time (min) | train images/s | command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: -r["top1"]):
        lines.append(
            f"| {r['model']} | {'float twin' if r['float_twin'] else 'binary'} | {r['width']} | "
            f"{r['top1']:.2%} | {r['epochs']} | {' '.join(f'{100 * a:.1f}' for a in r['curve'][1])} | {r['minutes']} | "
            f"{', '.join(str(v) for v in r['images_per_second'])} | `{r['command']}` |"
        )
    lines += ["", f"Test set: {rows[0]['test_examples'] if rows else 0} images.", "", f"![validation accuracy per epoch]({name}_curves.png)", ""]
    lines.append("Made by `python -m larq_bcd.training.report " + " ".join(r["run"] for r in rows) + f" --output {output} --name {name}`.")
    if best:
        target = os.path.join(output, f"{best['model']}_{name}.keras")
        shutil.copyfile(os.path.join(best["run"], "model.keras"), target + ".tmp")
        os.replace(target + ".tmp", target)
        lines += ["", f"Best binary model: `{os.path.basename(target)}` ({best['top1']:.2%}); it takes raw 0-255 RGB 32x32 images and outputs logits."]
    with atomic_output(os.path.join(output, f"{name}.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    _plot(rows, os.path.join(output, f"{name}_curves.png"))


def _plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in rows:
        epochs, accuracy = r["curve"]
        label = r["model"] + (" (float twin)" if r["float_twin"] else "")
        ax.plot(epochs, accuracy, marker="o", linestyle="--" if r["float_twin"] else "-", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test top-1")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--output", default="zoo")
    parser.add_argument("--name", default="cifar10")
    args = parser.parse_args(argv)
    rows = collect(args.runs)
    if not rows:
        raise SystemExit("report: no finished run among " + " ".join(args.runs))
    write(rows, args.output, args.name)
    print(f"wrote {os.path.join(args.output, args.name + '.md')}")


if __name__ == "__main__":
    main()
