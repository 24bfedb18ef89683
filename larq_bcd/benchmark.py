"""Latency of .tflite files on the LCE interpreter, side by side, with ratios to the first.

The models run interleaved (one inference of each per round) so that the load of a
shared machine hits them alike; report the ratios, not the absolute numbers. On x86 LCE
uses portable binary kernels: an ARM device (``convert/``) gives the absolute figures.
"""

import os
import time

from larq_bcd._utils import atomic_output, write_report
from larq_bcd.convert import interpreter

import numpy as np

#: The fields of one result (the on-device parsers in ``convert/`` write the same).
FIELDS = ("name", "path", "size_bytes", "median_ms", "p10_ms", "p90_ms", "runs", "threads", "ratio_to_first")


def measure(paths, *, threads=1, runs=20, warmup=2, names=None, seed=0):
    """Time batch-1 inferences of each flatbuffer in ``paths`` (.tflite paths or the bytes
    themselves), interleaved; list of dicts."""
    paths = list(paths)
    if names is None:
        if any(isinstance(p, bytes) for p in paths):
            raise ValueError("give `names` when timing flatbuffers passed as bytes.")
        names = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    rng = np.random.default_rng(seed)
    models = []
    for index, path in enumerate(paths):
        if isinstance(path, bytes):
            flatbuffer, paths[index] = path, None
        elif not os.path.isfile(path):
            raise FileNotFoundError(f"no .tflite at {path}" + (" (a folder)" if os.path.isdir(path) else ""))
        else:
            with open(path, "rb") as handle:
                flatbuffer = handle.read()
        try:
            runner = interpreter(flatbuffer, num_threads=threads)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        shape = runner.input_shapes[0]
        x = rng.uniform(0, 255, shape).astype(np.float32)
        if runner.input_types[0] == np.int8:
            x = rng.integers(-128, 127, shape).astype(np.int8)
        models.append((runner, x, len(flatbuffer)))
    times = [[] for _ in paths]
    for round_ in range(warmup + runs):
        for i, (runner, x, _) in enumerate(models):
            start = time.perf_counter()
            runner.predict(x)
            if round_ >= warmup:
                times[i].append((time.perf_counter() - start) * 1000)
    results = []
    for name, path, (_, _, size), t in zip(names, paths, models, times):
        results.append(
            {
                "name": name,
                "path": path,
                "size_bytes": size,
                "median_ms": float(np.median(t)),
                "p10_ms": float(np.percentile(t, 10)),
                "p90_ms": float(np.percentile(t, 90)),
                "runs": runs,
                "threads": threads,
            }
        )
    for r in results:
        r["ratio_to_first"] = r["median_ms"] / results[0]["median_ms"]
    return results


def markdown(results, title="", command=""):
    lines = [f"### {title}" if title else "", f"`{command}`" if command else ""]
    lines += [
        "",
        "| model | .tflite | median ms | p10 | p90 | latency / first | size / first |",
        "|---|---|---|---|---|---|---|",
    ]
    first = results[0]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['size_bytes'] / 1e6:.2f} MB | {r['median_ms']:.1f} | {r['p10_ms']:.1f} | "
            f"{r['p90_ms']:.1f} | {r['ratio_to_first']:.2f}x | {r['size_bytes'] / first['size_bytes']:.2f}x |"
        )
    return "\n".join(line for line in lines if line is not None) + "\n"


def plot(results, path, title=""):
    """Two bar charts, latency (median with p10-p90) and file size, one bar per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["name"] for r in results]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(max(8, 1.2 * len(names) + 4), 4.5))
    med = [r["median_ms"] for r in results]
    err = [[m - r["p10_ms"] for m, r in zip(med, results)], [r["p90_ms"] - m for m, r in zip(med, results)]]
    ax1.bar(names, med, yerr=err, color="tab:blue", capsize=3)
    ax1.set_ylabel("latency, ms (median, p10-p90)")
    ax2.bar(names, [r["size_bytes"] / 1e6 for r in results], color="tab:orange")
    ax2.set_ylabel(".tflite size, MB")
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", rotation=60)
        for label in ax.get_xticklabels():
            label.set_ha("right")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def write(results, output, stem="benchmark", title="", command="", on_this_host=False):
    """``stem``.json, ``stem``.md and ``stem``.png in ``output``; returns their paths.
    ``on_this_host``: the times were taken here, so the files name this machine (not for a
    device's, ``convert/``)."""
    return write_report(
        output,
        stem,
        {"command": command, "results": results},
        markdown(results, title, command),
        lambda path: plot(results, path, title),
        on_this_host=on_this_host,
    )


def zoo_suite(models, *, image_size=224, threads=1, runs=10, cache=None, log=print):
    """Convert each zoo model and its float twin, then time all of them interleaved.

    Returns ``measure``'s results, each with the flatbuffer's ``binary_mac_share`` and op
    counts. ``cache``: a folder where each .tflite is kept and, when present, reused.
    """
    from larq_bcd import convert, zoo

    flatbuffers, names, reports = [], [], {}
    for name in models:
        for quantization in ("binary", "float"):
            label = name if quantization == "binary" else f"{name}_float"
            path = os.path.join(cache, f"{label}_{image_size}.tflite") if cache else None
            if path and os.path.exists(path):
                with open(path, "rb") as handle:
                    flatbuffer = handle.read()
            else:
                model = zoo.get(name, input_shape=(image_size, image_size, 3), quantization=quantization)
                flatbuffer = convert.convert(model)
                if path:
                    with atomic_output(path) as handle:
                        handle.write(flatbuffer)
            reports[label] = convert.inspect(flatbuffer).as_dict()
            flatbuffers.append(flatbuffer)
            names.append(label)
            log(f"converted {label}: {len(flatbuffer) / 1e6:.2f} MB")
    results = measure(flatbuffers, names=names, threads=threads, runs=runs)
    for r in results:
        r["binary_mac_share"] = reports[r["name"]]["binary_mac_share"]
        r["ops"] = reports[r["name"]]["ops"]
    return results
