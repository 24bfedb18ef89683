"""Run LCE's ``lce_benchmark_model`` on a Raspberry Pi (ssh) or an Android phone (adb) and
parse its output into the host benchmark's schema (``larq_bcd.benchmark.FIELDS``).

``lce_benchmark_model`` is TFLite's ``benchmark_model`` with LCE's ops: it prints the mean,
min, max and standard deviation of its timed runs (in microseconds), not percentiles. So a
parsed result carries ``median_ms = None`` unless several invocations are combined, and
always ``mean_ms``, ``min_ms``, ``max_ms`` and ``std_ms``.
"""

import re
import shlex
import subprocess

import numpy as np

_RUN = re.compile(
    r"count=(?P<count>\d+) first=(?P<first>[\d.]+) curr=[\d.]+ min=(?P<min>[\d.]+) "
    r"max=(?P<max>[\d.]+) avg=(?P<avg>[\d.]+) std=(?P<std>[\d.]+)"
)
_SIZE = re.compile(r"The input model file size \(MB\): (?P<mb>[\d.]+)")
_THREADS = re.compile(r"Num threads: \[(?P<threads>\d+)\]")
_GRAPH = re.compile(r"Graph: \[(?P<graph>[^\]]+)\]")
_INIT = re.compile(r"Initialized session in (?P<ms>[\d.]+)ms")


def parse_benchmark_output(text, name=None):
    """Parse one ``lce_benchmark_model`` run; raise ValueError if it did not finish."""
    runs = list(_RUN.finditer(text))
    if not runs:
        first_error = next((l for l in text.splitlines() if "ERROR" in l or "Error" in l), None)
        raise ValueError(
            "no timing line ('count=... avg=...') in the benchmark output"
            + (f"; it says: {first_error.strip()}" if first_error else "")
        )
    timed = runs[-1]  # the first block is the warm-up
    graph = _GRAPH.search(text)
    size = _SIZE.search(text)
    threads = _THREADS.search(text)
    init = _INIT.search(text)
    path = graph.group("graph") if graph else None
    return {
        "name": name or (path.rsplit("/", 1)[-1].rsplit(".", 1)[0] if path else "model"),
        "path": path,
        "size_bytes": int(float(size.group("mb")) * 1e6) if size else None,
        "median_ms": None,
        "p10_ms": None,
        "p90_ms": None,
        "runs": int(timed.group("count")),
        "threads": int(threads.group("threads")) if threads else None,
        "mean_ms": float(timed.group("avg")) / 1000,
        "min_ms": float(timed.group("min")) / 1000,
        "max_ms": float(timed.group("max")) / 1000,
        "std_ms": float(timed.group("std")) / 1000,
        "warmup_mean_ms": float(runs[0].group("avg")) / 1000 if len(runs) > 1 else None,
        "init_ms": float(init.group("ms")) if init else None,
    }


def combine(results):
    """Several invocations of one model: the median (p10, p90) of their means."""
    means = [r["mean_ms"] for r in results]
    merged = dict(results[0])
    merged.update(
        median_ms=float(np.median(means)),
        p10_ms=float(np.percentile(means, 10)),
        p90_ms=float(np.percentile(means, 90)),
        runs=sum(r["runs"] for r in results),
        invocations=len(results),
    )
    return merged


def benchmark_command(binary, graph, *, threads=1, use_xnnpack=False, warmup_runs=10, num_runs=50):
    """The documented ``lce_benchmark_model`` flags for one model."""
    return [
        binary,
        f"--graph={graph}",
        f"--num_threads={threads}",
        f"--warmup_runs={warmup_runs}",
        f"--num_runs={num_runs}",
        f"--use_xnnpack={'true' if use_xnnpack else 'false'}",
    ]


def remote_runner(kind, target):
    """``(copy(local, remote), run(argv) -> text)`` for ``kind`` "ssh" (user@host) or "adb" (serial)."""
    if kind == "ssh":

        def copy(local, remote):
            subprocess.run(["scp", "-q", local, f"{target}:{remote}"], check=True)

        def run(argv):
            out = subprocess.run(["ssh", target, shlex.join(argv)], check=True, capture_output=True, text=True)
            return out.stdout + out.stderr
    elif kind == "adb":
        prefix = ["adb"] + (["-s", target] if target else [])

        def copy(local, remote):
            subprocess.run(prefix + ["push", local, remote], check=True, capture_output=True)

        def run(argv):
            out = subprocess.run(prefix + ["shell", shlex.join(argv)], check=True, capture_output=True, text=True)
            return out.stdout + out.stderr
    else:
        raise ValueError(f"`kind` must be 'ssh' or 'adb', got {kind!r}.")
    return copy, run
