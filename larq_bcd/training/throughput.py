"""Training throughput (images/s) of zoo models, side by side, with ratios to the first.

    larq-bcd throughput reactnet_a bcdnet_a bcdnet_b reactnet_a:float \
        --width-multiplier 0.25 --output zoo/benchmarks

Each model trains on one fixed batch of random 0-255 images (the input pipeline is not
timed), each step as ``fit`` (and so ``larq-bcd train``) runs it: the model's compiled train
function over a dataset iterator that lives as long as the model. (``train_on_batch`` builds a
new iterator, and threads, on every call; on 2-core VMs many of its steps then ran on one
core, which fit never showed.) The models run interleaved,
``steps`` training steps of each per round, so that the load of a shared machine hits them
alike: compare the ratios, not the absolute numbers.
``name:float`` (or ``name:activations``) measures the model's float (or binary-activation,
real-weight) twin; a suffix chooses how the step runs: ``name@xla`` compiles it with XLA
(``jit_compile``), ``name@bf16`` trains under the ``mixed_bfloat16`` policy and
``name@bf16conv`` with only the binary convolutions in bfloat16 (the recipes'
``mixed_precision: binary_convs``); measure each against the plain step, e.g.
``reactnet_a reactnet_a@xla reactnet_a@bf16conv``: CPUs differ.
Writes ``<name>.{json,md,png}`` in ``--output`` (default ``train_throughput_<size>``).
``--profile`` adds where each model's step spends its CPU time (``op_profile``).
``--batch-size 128 512`` measures every model at each batch size in the same rounds.
"""

import time

import larq_bcd  # noqa: F401  (tf-keras before TensorFlow)
from larq_bcd import zoo
from larq_bcd._utils import atomic_output, write_report
from larq_bcd.training import op_profile
from larq_bcd.training.precision import bfloat16_binary_convs
from larq_bcd.training.recipe import Recipe, build_model, dtype_policy
from larq_bcd.zoo.blocks import QUANTIZATIONS

import numpy as np
import tensorflow as tf

#: How a training step runs: as TensorFlow's ops one by one, compiled by XLA, in bfloat16, or
#: with only the binary convolutions in bfloat16.
MODES = ("plain", "xla", "bf16", "bf16conv")

#: How many layer classes ``--profile``'s by-layer column names.
LAYERS = 5


def parse_model(spec):
    """``"bcdnet_a:float@xla"`` -> ``("bcdnet_a", "float", "xla")``; the defaults are binary
    and plain."""
    spec, _, mode = spec.partition("@")
    name, _, quantization = spec.partition(":")
    quantization = quantization or "binary"
    mode = mode or "plain"
    if name not in zoo.available():
        raise ValueError(f"unknown model {name!r}; available: {zoo.available()}")
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"{spec!r}: quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    if mode not in MODES:
        raise ValueError(f"{spec}@{mode}: the mode after @ must be one of {MODES}, got {mode!r}")
    return name, quantization, mode


def _onednn():
    """Whether TensorFlow runs its oneDNN kernels in this process."""
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


def _trainer(name, quantization, mode, image_size, width_multiplier, batch_size, seed):
    model_args = {}
    if not zoo.config(name).cifar_only:  # the CIFAR papers' models have their published widths
        model_args["width_multiplier"] = width_multiplier
    recipe = Recipe(model=name, model_args=model_args, image_size=image_size, batch_size=batch_size)
    with dtype_policy("mixed_bfloat16" if mode == "bf16" else None):  # read when layers are built
        model = build_model(recipe, num_classes=10, quantization=quantization)
    if mode == "bf16conv":
        model = bfloat16_binary_convs(model)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(1e-3),
        loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True),
        jit_compile=mode == "xla",
    )
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, (batch_size, image_size, image_size, 3)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch_size)]
    batches = iter(tf.data.Dataset.from_tensors((x, y)).repeat())
    train_function = model.make_train_function()

    def step():  # what fit does per step, waiting for the step's loss
        return float(train_function(batches)["loss"])

    return model, step


def measure(
    models, *, image_size=32, width_multiplier=0.25, batch_size=128, steps=4, rounds=5, warmup=2, seed=0, profile=False
):
    """Images/s of one training step of each model spec, interleaved; a list of dicts.

    ``batch_size``: one batch size, or several (e.g. ``(128, 512)``): then every model is
    measured at each, named ``"reactnet_a (batch 512)"``, in the same interleaved rounds.
    With ``profile``, each dict also has the step's op time (ms, summed over threads), the
    share of it in convolutions, batch norm and other ops (``op_profile.GROUPS``), and the
    ``LAYERS`` layer classes with the most of it (``op_profile.by_layer``).
    """
    if not models:
        raise ValueError("give at least one model")
    batch_sizes = [batch_size] if isinstance(batch_size, (int, np.integer)) else list(batch_size)
    if not batch_sizes or not all(isinstance(b, (int, np.integer)) and b > 0 for b in batch_sizes):
        raise ValueError(f"batch sizes must be integers > 0, got {batch_size!r}")
    parsed = [parse_model(spec) for spec in models]  # every name checked before any build
    runs = [(spec, p, b) for spec, p in zip(models, parsed) for b in batch_sizes]
    trainers = [_trainer(*p, image_size, width_multiplier, b, seed) for _, p, b in runs]
    seconds = [[] for _ in runs]
    for round_ in range(rounds + 1):
        for i, (_, step) in enumerate(trainers):
            n = warmup if round_ == 0 else steps
            start = time.perf_counter()
            for _ in range(n):
                step()
            if round_ > 0:
                seconds[i].append((time.perf_counter() - start) / steps)
    results = []
    for (spec, (name, quantization, mode), batch), (model, _), s in zip(runs, trainers, seconds):
        per_second = batch / np.asarray(s)
        results.append(
            {
                "name": spec if len(batch_sizes) == 1 else f"{spec} (batch {batch})",
                "model": name,
                "quantization": quantization,
                "mode": mode,
                "params": int(model.count_params()),
                "onednn": _onednn(),
                "images_per_second": float(np.median(per_second)),
                "p10": float(np.percentile(per_second, 10)),
                "p90": float(np.percentile(per_second, 90)),
                "image_size": image_size,
                "width": width_multiplier,
                "batch_size": int(batch),
                "steps": steps,
                "rounds": rounds,
            }
        )
    if profile:
        for result, (model, step) in zip(results, trainers):
            ops = op_profile.profile(step, steps=steps)
            times = op_profile.by_type(ops)
            result["op_ms_per_step"] = 1000 * sum(times.values())
            for group, share in op_profile.shares(times).items():
                result[f"{group}_share"] = share
            result["largest_other_ops"] = op_profile.largest(times)
            result["largest_layers"] = op_profile.largest_layers(ops, model, count=LAYERS)
    first = results[0]["images_per_second"]
    for r in results:
        r["time_per_image_to_first"] = first / r["images_per_second"]
    return results


def markdown(results, command=""):
    r0 = results[0]
    batches = sorted({r["batch_size"] for r in results})
    lines = [
        f"### Training throughput at {r0['image_size']}x{r0['image_size']}, width {r0['width']}, "
        f"batch {', '.join(map(str, batches))} ({r0['rounds']} interleaved rounds of {r0['steps']} steps)",
        "",
        f"`{command}`" if command else "",
        "",
        "| model | params | images/s (median) | p10 | p90 | time per image / first |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['params'] / 1e6:.2f} M | {r['images_per_second']:.1f} | {r['p10']:.1f} | "
            f"{r['p90']:.1f} | {r['time_per_image_to_first']:.2f}x |"
        )
    if "convolution_share" in r0:
        lines += [
            "",
            "Where a step's CPU time goes (tf.profiler, op time summed over threads). The last column",
            "is the most a step could gain if every op but the convolutions took no time.",
            "",
            "| model | op time per step (ms) | convolutions | batch norm | other ops | largest other ops | "
            "bound: 1 / convolution share |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in results:
            lines.append(
                f"| {r['name']} | {r['op_ms_per_step']:.0f} | {r['convolution_share']:.0%} | "
                f"{r['batch_norm_share']:.0%} | {r['other_share']:.0%} | "
                f"{', '.join(f'{op} {share:.0%}' for op, share in r['largest_other_ops'])} | "
                f"{1 / r['convolution_share']:.2f}x |"
            )
        if "largest_layers" in r0:  # results written before it have no such key
            lines += [
                "",
                "The same op time by the layer class each op belongs to (its name scope, forward and",
                "gradient; a quantizer's ops count in its layer's; `(unattributed)`: ops TensorFlow's",
                "graph optimizer renamed out of any scope).",
                "",
                "| model | largest layer classes |",
                "|---|---|",
            ]
            lines += [
                f"| {r['name']} | {', '.join(f'{name} {share:.0%}' for name, share in r['largest_layers'])} |"
                for r in results
            ]
    return "\n".join(lines) + "\n"


def plot(results, path):
    """Bar chart of images/s (median, p10-p90), one bar per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["name"] for r in results]
    median = [r["images_per_second"] for r in results]
    error = [[m - r["p10"] for m, r in zip(median, results)], [r["p90"] - m for m, r in zip(median, results)]]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(names) + 3), 4.5))
    ax.bar(names, median, yerr=error, capsize=3, color="tab:green")
    ax.set_ylabel("training images/s (median, p10-p90)")
    ax.set_title(
        f"Training throughput, {results[0]['image_size']}x{results[0]['image_size']}, width {results[0]['width']}"
    )
    ax.tick_params(axis="x", rotation=45)
    for label in ax.get_xticklabels():
        label.set_ha("right")
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


def write(results, output, command="", name=None):
    """``<name>``.json, .md and .png in ``output`` (default ``train_throughput_<size>``);
    returns their paths."""
    return write_report(
        output,
        name or f"train_throughput_{results[0]['image_size']}",
        {"command": command, "results": results},
        markdown(results, command),
        lambda path: plot(results, path),
        on_this_host=True,
    )


if __name__ == "__main__":
    from larq_bcd.cli import module_main

    module_main("throughput")
