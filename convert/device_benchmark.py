#!/usr/bin/env python
"""Benchmark .tflite files on a Raspberry Pi (ssh) or an Android phone (adb) with LCE's
``lce_benchmark_model``, interleaved, and write the host benchmark's JSON/markdown/PNG.

    python convert/device_benchmark.py ssh pi@raspberrypi.local \
        --binary ./lce_benchmark_model_aarch64 A.tflite B.tflite --threads 1 --rounds 3
    python convert/device_benchmark.py adb SERIAL \
        --binary ./lce_benchmark_model_android_arm64 A.tflite B.tflite --threads 4 --use-xnnpack

The binary is LCE's release asset (or your own build, see README.md here); it is copied to
``--remote-dir`` with the models. Each round runs every model once (warm-up + timed runs);
the result per model is the median of the rounds' means, ratios are to the first model.
"""

import argparse
import os
import sys

import larq_bcd  # noqa: F401
from larq_bcd import benchmark, device


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["ssh", "adb"])
    parser.add_argument("target", help="user@host for ssh, the device serial for adb ('' for the only one)")
    parser.add_argument("models", nargs="+")
    parser.add_argument("--binary", required=True, help="lce_benchmark_model for the device")
    parser.add_argument("--remote-dir", default="/data/local/tmp/larq_bcd")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--use-xnnpack", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--num-runs", type=int, default=50)
    parser.add_argument("--output", default="device-results")
    args = parser.parse_args(argv)
    for path in [args.binary, *args.models]:
        if not os.path.exists(path):
            sys.exit(f"device_benchmark: no such file: {path}")

    copy, run = device.remote_runner(args.kind, args.target)
    run(["mkdir", "-p", args.remote_dir])
    remote_binary = f"{args.remote_dir}/{os.path.basename(args.binary)}"
    copy(args.binary, remote_binary)
    run(["chmod", "+x", remote_binary])
    remote = []
    for path in args.models:
        remote.append(f"{args.remote_dir}/{os.path.basename(path)}")
        copy(path, remote[-1])
    per_model = [[] for _ in args.models]
    for _ in range(args.rounds):
        for i, graph in enumerate(remote):
            argv = device.benchmark_command(
                remote_binary, graph, threads=args.threads, use_xnnpack=args.use_xnnpack, num_runs=args.num_runs
            )
            per_model[i].append(device.parse_benchmark_output(run(argv)))
    results = [device.combine(r) for r in per_model]
    for r in results:
        r["ratio_to_first"] = r["median_ms"] / results[0]["median_ms"]
    stem = f"{args.kind}_{args.threads}t{'_xnnpack' if args.use_xnnpack else ''}"
    command = "python convert/device_benchmark.py " + " ".join(sys.argv[1:] if argv is None else argv)
    paths = benchmark.write(results, args.output, stem, f"lce_benchmark_model on {args.target}", command)
    print(benchmark.markdown(results))
    print("wrote " + ", ".join(paths))


if __name__ == "__main__":
    main()
