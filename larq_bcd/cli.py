"""Console scripts: ``larq-bcd`` (summary, convert, benchmark, train, demo) and ``lce_convert``.

Every command fails with a one-line message naming the problem and a non-zero exit code,
and never leaves a half-written output file.
"""

import argparse
import os
import shutil
import sys

from larq_bcd._utils import (
    atomic_output,
    atomic_path,
    load_keras_model,
    nonnegative_float_arg,
    positive_int_arg,
)


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2."""


def _zoo_model(name, input_size, num_classes=1000):
    from larq_bcd import zoo

    try:
        return zoo.get(name, input_shape=(input_size, input_size, 3), num_classes=num_classes)
    except ValueError as error:
        raise CommandError(str(error)) from None


def load_model(source, input_size=224, model=None, unsafe=False):
    """A saved Keras model (.keras, .h5, SavedModel dir), an official PyTorch checkpoint
    (.pth, .pth.tar, .pt, .tar; ``model`` names its zoo model) or a zoo name (random weights)."""
    import tensorflow as tf

    from larq_bcd import checkpoints, zoo
    from larq_bcd.checkpoints.official import is_torch_checkpoint

    if is_torch_checkpoint(source):
        if not model:
            raise CommandError(
                f"{source} is a PyTorch checkpoint: name its model with --model "
                f"({', '.join(checkpoints.OFFICIAL_MODELS)})."
            )
        try:
            return checkpoints.build(model, source, input_size=input_size)
        except (FileNotFoundError, ValueError) as error:
            raise CommandError(str(error).splitlines()[0]) from None

    looks_like_file = os.path.sep in source or source.endswith((".keras", ".h5"))
    if os.path.exists(source):
        if os.path.isdir(source) and not os.path.exists(os.path.join(source, "saved_model.pb")):
            raise CommandError(f"{source} is a directory but not a SavedModel (no saved_model.pb).")
        if not os.path.isdir(source) and not source.endswith((".keras", ".h5")):
            raise CommandError(f"{source}: unknown model format (expected .keras, .h5 or a SavedModel dir).")
        try:
            return load_keras_model(source, unsafe=unsafe)
        except Exception as error:  # noqa: BLE001 - any loader failure is the file's problem
            raise CommandError(f"could not load {source}: {type(error).__name__}: {error}".splitlines()[0]) from None
    if looks_like_file:
        raise CommandError(f"model file not found: {source}")
    if source.lower().replace("-", "_") not in zoo.available():
        raise CommandError(
            f"{source!r} is neither a model file nor a zoo model ({', '.join(zoo.available())})."
        )
    return _zoo_model(source, input_size)


def cmd_summary(args):
    import larq as lq

    from larq_bcd.zoo.costs import costs

    model = _zoo_model(args.name, args.input_size)
    lq.models.summary(model)
    c = costs(model)
    print("| model | input | binary MACs | float MACs | params | size |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {model.name} | {args.input_size} | {c['binary_macs']:.3e} | {c['float_macs']:.3e} "
        f"| {c['params'] / 1e6:.2f} M | {c['size_bytes'] / 2**20:.2f} MiB |"
    )


def cmd_convert(args):
    from larq_bcd import convert
    from larq_bcd.zoo import fold_dual_head

    if not args.output.endswith(".tflite"):
        raise CommandError(f"output must end in .tflite, got {args.output}")
    if os.path.isdir(args.output):
        raise CommandError(f"output {args.output} is a directory; give a .tflite file name")
    model = load_model(args.model, args.input_size, args.checkpoint_model, args.unsafe)
    if len(model.outputs) == 2 and {"fc", "fc_dist"} <= {l.name for l in model.layers}:
        model = fold_dual_head(model)
        print("folded the dual head (fc, fc_dist) into one classifier")
    try:
        flatbuffer = convert.convert(model, int8_io=args.int8, target=args.target)
    except (ValueError, TypeError) as error:
        raise CommandError(f"conversion failed: {error}") from None
    report = convert.inspect(flatbuffer)
    for warning in convert.binary_warnings(model, report):
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{report.ops.get('LceBconv2d', 0)} LceBconv2d, {report.ops.get('LceQuantize', 0)} "
        f"LceQuantize; binary MAC share {report.binary_mac_share:.4f}; "
        f"{report.size_bytes / 1e6:.2f} MB"
    )
    if args.verify:
        if args.int8:
            raise CommandError("--verify compares float outputs; it cannot check an --int8 model")
        if None in model.input_shape[1:]:
            raise CommandError(
                f"--verify needs a model with a fixed input size, got {model.input_shape}"
            )
        parity = convert.verify(model, flatbuffer)
        print(
            f"parity: max |keras - tflite| = {parity.max_abs_diff:.3g} "
            f"({parity.relative_diff:.3g} of the output scale), top-1 agreement "
            f"{parity.top1_agreement:.0%} on {parity.samples} random images, "
            f"{parity.exact_share:.0%} of them exact (the rest differ by sign flips)"
        )
        if not parity.ok(tolerance=args.tolerance):
            raise CommandError("parity check failed: TFLite output differs from Keras")
    with atomic_output(args.output) as handle:
        handle.write(flatbuffer)
    print(f"wrote {args.output}")


def cmd_import(args):
    if not args.output.endswith(".keras"):
        raise CommandError(f"output must end in .keras, got {args.output}")
    model = load_model(args.checkpoint, args.input_size, args.model)
    with atomic_path(args.output) as path:
        model.save(path)
    print(f"wrote {args.output}: {model.name} in official mode, {model.count_params():,} parameters")


def cmd_evaluate(args):
    from larq_bcd import convert
    from larq_bcd.data import load
    from larq_bcd.data.sources import naming_bad_images

    if not os.path.exists(args.tflite):
        raise CommandError(f"no .tflite at {args.tflite}")
    with open(args.tflite, "rb") as handle:
        flatbuffer = handle.read()
    model = load_model(args.keras, unsafe=args.unsafe) if args.keras else None
    try:
        data = load(args.dataset, args.split, image_size=args.image_size, batch_size=64, limit=args.limit)
        with naming_bad_images(args.dataset, args.split):
            result = convert.evaluate(flatbuffer, data.data, model)
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(f"{args.tflite}: {str(error).splitlines()[0]}") from None
    line = f"{args.tflite}: top-1 {result['tflite_top1']:.2%} on {result['examples']} {args.split} images"
    if model is not None:
        line += f"; Keras {result['keras_top1']:.2%}; same prediction on {result['agreement']:.2%}"
    print(line)


def cmd_train(args):
    from larq_bcd.training.recipe import Recipe, run

    try:
        recipe = Recipe.from_file(args.recipe, args.overrides)
        if args.strategy:
            recipe.strategy = args.strategy
        if args.overwrite:  # start over: the folders of the earlier run are removed first
            for folder in {recipe.output, recipe.state}:
                shutil.rmtree(folder, ignore_errors=True)
        run(recipe, command=" ".join(["larq-bcd train", args.recipe, *args.overrides]))
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        raise CommandError(str(error).splitlines()[0]) from None


def cmd_benchmark(args):
    from larq_bcd import benchmark

    try:
        results = benchmark.measure(args.models, threads=args.threads, runs=args.runs)
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from None
    command = "larq-bcd benchmark " + " ".join(args.models) + f" --threads {args.threads} --runs {args.runs}"
    paths = benchmark.write(results, args.output, args.stem, "LCE interpreter latency", command)
    print(benchmark.markdown(results))
    print("wrote " + ", ".join(paths))


#: What ``make bench`` compares: each binary model beside its float twin.
BENCH_MODELS = ("reactnet_a", "bcdnet_a", "bcdnet_b", "dybcnn_reactnet_a", "rep_reactnet_a")


def cmd_bench(args):
    """Convert the bench models and their float twins, then time all of them interleaved."""
    from larq_bcd import benchmark, convert
    from larq_bcd import zoo

    os.makedirs(args.output, exist_ok=True)
    paths, names, reports = [], [], {}
    for name in args.models:
        for quantization in ("binary", "float"):
            label = name if quantization == "binary" else f"{name}_float"
            path = os.path.join(args.output, "tflite", f"{label}_{args.input_size}.tflite")
            if args.reuse and os.path.exists(path):
                with open(path, "rb") as handle:
                    flatbuffer = handle.read()
            else:
                model = zoo.get(name, input_shape=(args.input_size,) * 2 + (3,), quantization=quantization)
                flatbuffer = convert.convert(model)
                with atomic_output(path) as handle:
                    handle.write(flatbuffer)
            reports[label] = convert.inspect(flatbuffer).as_dict()
            paths.append(path)
            names.append(label)
            print(f"converted {label}: {len(flatbuffer) / 1e6:.2f} MB", flush=True)
    results = benchmark.measure(paths, names=names, threads=args.threads, runs=args.runs)
    for r in results:
        r["binary_mac_share"] = reports[r["name"]]["binary_mac_share"]
        r["ops"] = reports[r["name"]]["ops"]
    command = (
        f"larq-bcd bench --output {args.output} --input-size {args.input_size} "
        f"--threads {args.threads} --runs {args.runs} --models {' '.join(args.models)}"
    )
    stem = f"latency_{args.input_size}"
    written = benchmark.write(results, args.output, stem, f"LCE interpreter, {args.input_size}x{args.input_size}, x86 portable kernels", command)
    print(benchmark.markdown(results))
    print("wrote " + ", ".join(written))


def cmd_demo(args):
    from larq_bcd import demo

    try:
        demo.run(args.output, args.dataset, args.epochs, runs=args.runs)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        raise CommandError(str(error).splitlines()[0]) from None


def _add_convert_arguments(parser):
    parser.add_argument("model", help="a .keras/.h5 file, a SavedModel dir, or a zoo name")
    parser.add_argument("-o", "--output", required=True, help="the .tflite file to write")
    parser.add_argument("--int8", action="store_true", help="int8 input/output (latency tests)")
    parser.add_argument("--target", choices=["arm", "xcore"], default="arm")
    parser.add_argument("--verify", action="store_true", help="check Keras-vs-TFLite parity")
    parser.add_argument(
        "--tolerance",
        type=nonnegative_float_arg,
        default=0.3,
        help="--verify: largest |keras - tflite| as a share of the output scale (deep BNNs "
        "amplify float rounding through sign flips; a single block matches to 1e-6)",
    )
    parser.add_argument("--input-size", type=positive_int_arg, default=224, help="input size for a zoo name or a checkpoint")
    parser.add_argument("--unsafe", action="store_true", help="allow .h5/SavedModel files with Lambda layers (runs their code)")
    parser.add_argument(
        "--model", dest="checkpoint_model", default=None,
        help="the zoo model of a PyTorch checkpoint (reactnet_a, bcdnet_a, reactnet_resnet18)",
    )
    parser.set_defaults(func=cmd_convert)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="larq-bcd",
        description="Binary neural networks of BCDNet, DySign, RepBNN and ES-BNN for Keras + "
        "Larq: inspect, convert with LCE, benchmark, train.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    summary = commands.add_parser("summary", help="lq.models.summary and a cost table of a zoo model")
    summary.add_argument("name", help="a zoo model name (see larq_bcd.zoo.available())")
    summary.add_argument("--input-size", type=positive_int_arg, default=224)
    summary.set_defaults(func=cmd_summary)

    _add_convert_arguments(
        commands.add_parser("convert", help="convert a model to a bit-packed .tflite with LCE")
    )
    bench = commands.add_parser("benchmark", help="latency of .tflite files, side by side")
    bench.add_argument("models", nargs="+", help=".tflite files; ratios are to the first")
    bench.add_argument("--threads", type=positive_int_arg, default=1)
    bench.add_argument("--runs", type=positive_int_arg, default=20)
    bench.add_argument("--output", default="benchmark-results", help="folder for .json/.md/.png")
    bench.add_argument("--stem", default="benchmark", help="file name stem of the results")
    bench.set_defaults(func=cmd_benchmark)

    suite = commands.add_parser(
        "bench", help="convert the zoo's binary models and float twins and time them (make bench)"
    )
    suite.add_argument("--output", default="zoo/benchmarks")
    suite.add_argument("--input-size", type=positive_int_arg, default=224)
    suite.add_argument("--threads", type=positive_int_arg, default=1)
    suite.add_argument("--runs", type=positive_int_arg, default=10)
    suite.add_argument("--models", nargs="+", default=list(BENCH_MODELS), choices=list(BENCH_MODELS))
    suite.add_argument("--reuse", action="store_true", help="reuse .tflite files already in --output")
    suite.set_defaults(func=cmd_bench)

    demo = commands.add_parser(
        "demo", help="the trained CIFAR-10 model through LCE, a training smoke run, size and latency"
    )
    demo.add_argument("--output", default="demo-report")
    demo.add_argument("--dataset", default="sample", help="'sample', a tfds name or an image folder")
    demo.add_argument("--epochs", type=positive_int_arg, default=1, help="epochs of the training smoke run")
    demo.add_argument("--runs", type=positive_int_arg, default=10)
    demo.set_defaults(func=cmd_demo)

    importer = commands.add_parser("import", help="an official PyTorch checkpoint as a .keras model")
    importer.add_argument("checkpoint", help="e.g. bcdnet_a_step2.pth.tar or reactnet_a.pth.tar")
    importer.add_argument("--model", required=True, help="its zoo model: reactnet_a, bcdnet_a or reactnet_resnet18")
    importer.add_argument("-o", "--output", required=True, help="the .keras file to write")
    importer.add_argument("--input-size", type=positive_int_arg, default=224)
    importer.set_defaults(func=cmd_import)

    evaluate = commands.add_parser("evaluate", help="top-1 of a .tflite on a labelled dataset, beside Keras")
    evaluate.add_argument("tflite", help="the .tflite file (float input, raw 0-255 RGB)")
    evaluate.add_argument("--dataset", required=True, help="'sample', a tfds name or an image folder")
    evaluate.add_argument("--split", default="test", choices=["train", "test"])
    evaluate.add_argument("--image-size", type=positive_int_arg, default=32)
    evaluate.add_argument("--limit", type=positive_int_arg, default=None, help="evaluate the first N images only")
    evaluate.add_argument("--keras", default=None, help="the Keras model it came from, to compare")
    evaluate.add_argument("--unsafe", action="store_true", help="allow a --keras .h5 with Lambda layers (runs their code)")
    evaluate.set_defaults(func=cmd_evaluate)

    train = commands.add_parser("train", help="train a recipe (zoo/recipes/*.yaml)")
    train.add_argument("recipe", help="a YAML recipe, e.g. zoo/recipes/bcdnet_b_cifar10.yaml")
    train.add_argument("overrides", nargs="*", help="key=value overrides, e.g. epochs=2")
    train.add_argument(
        "--strategy", choices=["default", "mirrored", "multiworker", "tpu"], default=None
    )
    train.add_argument(
        "--overwrite", action="store_true",
        help="delete the run's output and state folders first (a rerun otherwise resumes, "
        "and a changed recipe is refused)",
    )
    train.set_defaults(func=cmd_train)
    return parser


def _quiet(verbose):
    """Python-side TensorFlow/AutoGraph messages off unless --verbose (progress bars stay)."""
    if verbose:
        return
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tf.autograph.set_verbosity(0)


def _run(parser, argv):
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's log messages")
    args = parser.parse_args(argv)
    _quiet(args.verbose)
    try:
        args.func(args)
    except CommandError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


def main(argv=None):

    return _run(build_parser(), argv)


def lce_convert_main(argv=None):
    """``lce_convert MODEL -o OUT.tflite [--int8] [--target arm|xcore] [--verify]``."""
    parser = argparse.ArgumentParser(
        prog="lce_convert", description="Convert a Keras model to a bit-packed .tflite with LCE."
    )
    _add_convert_arguments(parser)
    return _run(parser, argv)
