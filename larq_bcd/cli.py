"""Console scripts: ``larq-bcd`` (one subcommand per task) and ``lce_convert``.

The commands are thin: each parses its flags and calls the library. Every command fails
with a one-line message naming the problem and exit code 2 (``_run``, the one place that
turns errors into messages), and never leaves a half-written output file. The ``python -m``
scripts (``larq_bcd.zoo.table``, ``larq_bcd.training.throughput``, ...) run the same
subcommands with the same flags.
"""

import argparse
import os
import shutil
import sys

from larq_bcd._utils import (
    atomic_output,
    atomic_path,
    nonnegative_float_arg,
    output_file_arg,
    output_folder_arg,
    positive_int_arg,
)
from larq_bcd.parity import MODEL_TOLERANCE

#: ``train``'s exit code when its ``--stop-after`` budget ran out before the run finished
#: (sysexits' EX_TEMPFAIL: try again later). The state is kept; rerunning continues it.
EXIT_STOPPED_EARLY = 75


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2."""


#: The errors a command reports as one line (the library raises them with a message that
#: names the file, flag or key); anything else is a bug and keeps its traceback.
USER_ERRORS = (CommandError, FileNotFoundError, PermissionError, ValueError, RuntimeError)


def _command(prog, argv):
    return " ".join([prog, *argv])


def cmd_summary(args):
    from larq_bcd import zoo
    from larq_bcd.zoo.costs import costs

    import larq as lq

    model = zoo.get(args.name, input_shape=(args.image_size, args.image_size, 3))
    lq.models.summary(model)
    c = costs(model)
    print("| model | input | binary MACs | float MACs | params | size |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {model.name} | {args.image_size} | {c['binary_macs']:.3e} | {c['float_macs']:.3e} "
        f"| {c['params'] / 1e6:.2f} M | {c['size_bytes'] / 2**20:.2f} MiB |"
    )


def cmd_convert(args):
    from larq_bcd import convert
    from larq_bcd.loading import has_dual_head, load_model
    from larq_bcd.zoo import fold_dual_head

    if not args.output.endswith(".tflite"):
        raise CommandError(f"output must end in .tflite, got {args.output}")
    if os.path.isdir(args.output):
        raise CommandError(f"output {args.output} is a directory; give a .tflite file name")
    if args.verify and args.int8:
        raise CommandError("--verify compares float outputs; it cannot check an --int8 model")
    model = load_model(
        args.model, image_size=args.image_size, checkpoint_model=args.checkpoint_model, unsafe=args.unsafe
    )
    if has_dual_head(model):
        model = fold_dual_head(model)
        print("folded the dual head (fc, fc_dist) into one classifier")
    if args.verify and None in model.input_shape[1:]:
        raise CommandError(f"--verify needs a model with a fixed input size, got {model.input_shape}")
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
    from larq_bcd.checkpoints.torch_pickle import TORCH_SUFFIXES, is_torch_checkpoint
    from larq_bcd.loading import load_model

    if not args.output.endswith(".keras"):
        raise CommandError(f"output must end in .keras, got {args.output}")
    if not is_torch_checkpoint(args.checkpoint):
        raise CommandError(f"{args.checkpoint}: not a PyTorch checkpoint name (expected {', '.join(TORCH_SUFFIXES)})")
    model = load_model(args.checkpoint, image_size=args.image_size, checkpoint_model=args.model)
    with atomic_path(args.output) as path:
        model.save(path)
    print(f"wrote {args.output}: {model.name} in official mode, {model.count_params():,} parameters")


def cmd_evaluate(args):
    from larq_bcd import convert
    from larq_bcd.data import load
    from larq_bcd.data.sources import naming_bad_images
    from larq_bcd.loading import load_model

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
        raise CommandError(f"{args.tflite}: {error}") from None
    line = f"{args.tflite}: top-1 {result['tflite_top1']:.2%} on {result['examples']} {args.split} images"
    if model is not None:
        line += f"; Keras {result['keras_top1']:.2%}; same prediction on {result['agreement']:.2%}"
    print(line)


def cmd_train(args):
    from larq_bcd.training.recipe import Recipe, StoppedEarly, run
    from larq_bcd.training.run_lock import lock_name, run_lock

    recipe = Recipe.from_file(args.recipe, args.overrides)
    if args.strategy:
        recipe.strategy = args.strategy
    if args.overwrite:  # start over: the folders of the earlier run are removed first
        if os.path.isdir(recipe.state):  # not from under a `train` that is running it
            with run_lock(recipe.state, lock_name(recipe.strategy)):
                pass
        for folder in {recipe.output, recipe.state}:
            shutil.rmtree(folder, ignore_errors=True)
    try:
        run(recipe, command=_command("larq-bcd train", [args.recipe, *args.overrides]), stop_after=args.stop_after)
    except StoppedEarly as stop:
        print(f"larq-bcd train: {stop}", file=sys.stderr)
        return EXIT_STOPPED_EARLY


def cmd_benchmark(args):
    from larq_bcd import benchmark

    results = benchmark.measure(args.models, threads=args.threads, runs=args.runs)
    paths = benchmark.write(
        results, args.output, args.stem, "LCE interpreter latency", args.invocation, on_this_host=True
    )
    print(benchmark.markdown(results))
    print("wrote " + ", ".join(paths))


def cmd_bench(args):
    """Convert the bench models and their float twins, then time all of them interleaved."""
    from larq_bcd import benchmark

    results = benchmark.zoo_suite(
        args.models,
        image_size=args.image_size,
        threads=args.threads,
        runs=args.runs,
        cache=os.path.join(args.output, "tflite") if args.reuse else None,
    )
    title = f"LCE interpreter, {args.image_size}x{args.image_size}, x86 portable kernels"
    written = benchmark.write(
        results, args.output, f"latency_{args.image_size}", title, args.invocation, on_this_host=True
    )
    print(benchmark.markdown(results))
    print("wrote " + ", ".join(written))


def _conv_shape_arg(text):
    """argparse ``type``: a binary conv shape CINxCOUT@SIZE (kept as text)."""
    from larq_bcd.bconv_shapes import parse_shape

    try:
        parse_shape(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def cmd_bconv_shapes(args):
    from larq_bcd import bconv_shapes

    results = bconv_shapes.measure(
        args.shapes or bconv_shapes.DEFAULT_SHAPES, threads=args.threads, runs=args.runs, tflite_dir=args.tflite_dir
    )
    written = bconv_shapes.write(results, args.output, args.stem, args.invocation)
    print(bconv_shapes.markdown(results))
    print("wrote " + ", ".join(written))


def cmd_bconv_profile(args):
    from larq_bcd import bconv_profile
    from larq_bcd.loading import load_model

    model = load_model(args.model, image_size=args.image_size)
    try:
        whole, convs = bconv_profile.measure(model, threads=args.threads, runs=args.runs)
    except ValueError as error:
        raise CommandError(str(error)) from None
    stem = args.stem or f"bconv_profile_{model.name}_{model.input_shape[1]}"
    written = bconv_profile.write(whole, convs, args.output, stem, args.invocation)
    print(bconv_profile.markdown(whole, convs))
    print("wrote " + ", ".join(written))


def cmd_demo(args):
    from larq_bcd import demo

    demo.run(args.output, args.dataset, args.epochs, runs=args.runs)


def cmd_table(args):
    from larq_bcd.zoo import table

    for path in table.run(args.models, args.image_size, args.output, args.name, args.invocation, resume=args.resume):
        print(f"wrote {path}")


def cmd_throughput(args):
    from larq_bcd.training import against_ref, throughput

    if args.against_ref:
        options = {"image_size": args.image_size, "width_multiplier": args.width_multiplier}
        options.update(batch_size=args.batch_size, steps=args.steps, rounds=args.rounds)
        paths = against_ref.measure(
            args.against_ref,
            args.models,
            args.output,
            repeats=args.repeats,
            options=options,
            command=args.invocation,
            name=args.name,
        )
        for path in paths:
            print(f"wrote {path}")
        return
    results = throughput.measure(
        args.models,
        image_size=args.image_size,
        width_multiplier=args.width_multiplier,
        batch_size=args.batch_size,
        steps=args.steps,
        rounds=args.rounds,
        profile=args.profile,
    )
    for path in throughput.write(results, args.output, args.invocation, args.name):
        print(f"wrote {path}")
    print(throughput.markdown(results, args.invocation))


def cmd_parity(args):
    from larq_bcd.checkpoints import parity

    for name in args.models:  # all present before the first model's minutes of work
        parity.fixture_paths(name, args.fixtures)
    records = [parity.check(name, args.fixtures, args.runs, args.threads) for name in args.models]
    for path in parity.write(records, args.output, args.invocation):
        print(f"wrote {path}")


def cmd_report(args):
    from larq_bcd.training import report

    if args.budget is not None and not args.in_progress:
        raise CommandError("--budget compares runs under way: use it with --in-progress")
    if args.in_progress:
        rows = report.progress(args.runs)
        report.write_progress(rows, args.output, args.name, args.invocation, args.notes, args.budget)
        print(f"wrote {os.path.join(args.output, args.name + '.md')}")
        return
    rows = report.collect(args.runs)
    if not rows:
        raise CommandError("no finished run among " + " ".join(args.runs))
    report.write(rows, args.output, args.name, args.notes)
    print(f"wrote {os.path.join(args.output, args.name + '.md')}")


def cmd_tradeoff(args):
    from larq_bcd.training import tradeoff

    entries = tradeoff.measure(args.sources, args.dataset, num_classes=args.num_classes, runs=args.runs)
    for path in tradeoff.write(entries, args.output, args.name, args.invocation):
        print(f"wrote {path}")


def cmd_make_sample(args):
    from larq_bcd.data import make_sample

    path, n, size = make_sample.build(args.directory, args.train_per_class, args.test_per_class)
    print(f"wrote {path}: {n} images, {size / 1e6:.2f} MB of JPEG")


def _add_convert_arguments(parser):
    parser.add_argument("model", help="a .keras/.h5 file, a SavedModel dir, a PyTorch checkpoint or a zoo name")
    parser.add_argument("-o", "--output", type=output_file_arg, required=True, help="the .tflite file to write")
    parser.add_argument("--int8", action="store_true", help="int8 input/output (latency tests)")
    parser.add_argument("--target", choices=["arm", "xcore"], default="arm")
    parser.add_argument("--verify", action="store_true", help="check Keras-vs-TFLite parity")
    parser.add_argument(
        "--tolerance",
        type=nonnegative_float_arg,
        default=MODEL_TOLERANCE,
        help="--verify: largest |keras - tflite| as a share of the output scale (deep BNNs "
        "amplify float rounding through sign flips; a single block matches to 1e-6)",
    )
    parser.add_argument(
        "--image-size", type=positive_int_arg, default=224, help="input size for a zoo name or a checkpoint"
    )
    parser.add_argument(
        "--unsafe", action="store_true", help="allow .h5/SavedModel files with Lambda layers (runs their code)"
    )
    parser.add_argument(
        "--model",
        dest="checkpoint_model",
        default=None,
        help="the zoo model of a PyTorch checkpoint (reactnet_a, bcdnet_a, reactnet_resnet18)",
    )
    parser.set_defaults(func=cmd_convert)


def _add_measurement_commands(commands):
    """The commands that write the measured tables of ``zoo/`` and their ``python -m`` twins."""
    from larq_bcd.checkpoints import OFFICIAL_MODELS
    from larq_bcd.zoo import available, registry

    bench_models = registry.names(bench=True)
    bench = commands.add_parser(
        "bench", help="convert the zoo's binary models and float twins and time them (make bench)"
    )
    bench.add_argument("--output", type=output_folder_arg, default="zoo/benchmarks")
    bench.add_argument("--image-size", type=positive_int_arg, default=224)
    bench.add_argument("--threads", type=positive_int_arg, default=1)
    bench.add_argument("--runs", type=positive_int_arg, default=10)
    bench.add_argument("--models", nargs="+", default=bench_models, choices=bench_models, metavar="MODEL")
    bench.add_argument("--reuse", action="store_true", help="reuse .tflite files already in OUTPUT/tflite")
    bench.set_defaults(func=cmd_bench)

    shapes = commands.add_parser(
        "bconv-shapes", help="latency of single binary convs by shape (LCE's bit-packing fill)"
    )
    shapes.add_argument("shapes", nargs="*", type=_conv_shape_arg, metavar="CINxCOUT@SIZE")
    shapes.add_argument("--threads", type=positive_int_arg, default=1)
    shapes.add_argument("--runs", type=positive_int_arg, default=200)
    shapes.add_argument("--output", type=output_folder_arg, default="zoo/benchmarks")
    shapes.add_argument("--stem", default="bconv_shapes", help="file name stem of the results")
    shapes.add_argument("--tflite-dir", help="also save each conv's .tflite here (to time them on a device)")
    shapes.set_defaults(func=cmd_bconv_shapes)

    profile = commands.add_parser(
        "bconv-profile", help="a model's binary convs timed one by one on LCE, beside the whole model"
    )
    profile.add_argument("model", help="a .keras file or a zoo name")
    profile.add_argument("--image-size", type=positive_int_arg, default=224, help="input size for a zoo name")
    profile.add_argument("--threads", type=positive_int_arg, default=1)
    profile.add_argument("--runs", type=positive_int_arg, default=100)
    profile.add_argument("--output", type=output_folder_arg, default="zoo/benchmarks")
    profile.add_argument("--stem", default=None, help="file name stem (default bconv_profile_<model>_<size>)")
    profile.set_defaults(func=cmd_bconv_profile)

    table = commands.add_parser("table", help="costs of every zoo model beside the papers' numbers (zoo/models.md)")
    table.add_argument("--output", type=output_folder_arg, default="zoo")
    table.add_argument("--image-size", type=positive_int_arg, nargs="+", default=[224, 32])
    table.add_argument("--models", nargs="+", default=available(), choices=available(), metavar="MODEL")
    table.add_argument("--name", default="models", help="file stem of the results (models.md/.json)")
    table.add_argument("--resume", help="the output of an interrupted run: its printed rows are kept")
    table.set_defaults(func=cmd_table)

    throughput = commands.add_parser("throughput", help="training images/s of zoo models, side by side")
    throughput.add_argument(
        "models",
        nargs="+",
        help="zoo names, optionally name:float or name:activations, and @xla, @bf16 or @bf16conv (how the step runs); "
        "the first is the reference",
    )
    throughput.add_argument("--output", type=output_folder_arg, required=True, help="folder for <name>.{json,md,png}")
    throughput.add_argument("--name", help="file name of the results (default: train_throughput_<image size>)")
    throughput.add_argument("--image-size", type=positive_int_arg, default=32)
    throughput.add_argument("--width-multiplier", type=float, default=0.25, help="of every ImageNet-family model")
    throughput.add_argument(
        "--batch-size",
        type=positive_int_arg,
        nargs="+",
        default=[128],
        help="one or more: with several, every model is measured at each, side by side",
    )
    throughput.add_argument("--steps", type=positive_int_arg, default=4, help="training steps per model per round")
    throughput.add_argument("--rounds", type=positive_int_arg, default=5)
    throughput.add_argument(
        "--profile", action="store_true", help="also profile where each step's CPU time goes (op_profile)"
    )
    throughput.add_argument(
        "--against-ref",
        metavar="REF",
        help="compare with the code at git ref REF, alternately in fresh processes (the first model is the control)",
    )
    throughput.add_argument("--repeats", type=positive_int_arg, default=2, help="alternations with --against-ref")
    throughput.set_defaults(func=cmd_throughput)

    parity = commands.add_parser("parity", help="official-mode models vs the official PyTorch forward")
    parity.add_argument("fixtures", help="folder with <model>.pth.tar and <model>.npz")
    parity.add_argument("--output", type=output_folder_arg, required=True, help="folder for official_parity.json/.md")
    parity.add_argument(
        "--models", nargs="+", default=list(OFFICIAL_MODELS), choices=list(OFFICIAL_MODELS), metavar="MODEL"
    )
    parity.add_argument("--runs", type=positive_int_arg, default=10)
    parity.add_argument("--threads", type=positive_int_arg, default=1)
    parity.set_defaults(func=cmd_parity)

    report = commands.add_parser("report", help="collect training runs into zoo/cifar10.md")
    report.add_argument("runs", nargs="+", help="run folders (each with results.json)")
    report.add_argument(
        "--in-progress",
        action="store_true",
        help="the runs are state folders of runs under way: compare them at an equal budget",
    )
    report.add_argument(
        "--budget",
        type=positive_int_arg,
        help="with --in-progress: compare at this epoch (runs short of it show –); "
        "default: the longest budget every run reached",
    )
    report.add_argument("--output", type=output_folder_arg, default="zoo")
    report.add_argument("--name", default="cifar10")
    report.add_argument(
        "--notes", metavar="FILE", help="a Markdown file written by hand, appended to the report as it is"
    )
    report.set_defaults(func=cmd_report)

    tradeoff = commands.add_parser("tradeoff", help="test top-1 against OPs and latency, one chart")
    tradeoff.add_argument(
        "sources", nargs="+", help="saved .keras models, finished run folders or state folders of runs under way"
    )
    tradeoff.add_argument("--dataset", help="measures the top-1 of saved models on its test split")
    tradeoff.add_argument("--num-classes", type=positive_int_arg, default=10, help="outputs of the runs' models")
    tradeoff.add_argument("--runs", type=positive_int_arg, default=20, help="timed inferences per model")
    tradeoff.add_argument("--output", type=output_folder_arg, default="zoo")
    tradeoff.add_argument("--name", default="cifar10_tradeoff")
    tradeoff.set_defaults(func=cmd_tradeoff)

    sample = commands.add_parser("make-sample", help="rebuild the embedded CIFAR-10 sample from an image folder")
    sample.add_argument("directory", help="a CIFAR-10 folder with train/<class>/ and test/<class>/")
    sample.add_argument(
        "--train-per-class", type=positive_int_arg, default=400, help="training images per class (default 400)"
    )
    sample.add_argument(
        "--test-per-class", type=positive_int_arg, default=100, help="test images per class (default 100)"
    )
    sample.set_defaults(func=cmd_make_sample)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="larq-bcd",
        description="Binary neural networks of BCDNet, DySign, RepBNN and ES-BNN for Keras + "
        "Larq: inspect, convert with LCE, benchmark, train.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    summary = commands.add_parser("summary", help="lq.models.summary and a cost table of a zoo model")
    summary.add_argument("name", help="a zoo model name (see larq_bcd.zoo.available())")
    summary.add_argument("--image-size", type=positive_int_arg, default=224)
    summary.set_defaults(func=cmd_summary)

    _add_convert_arguments(commands.add_parser("convert", help="convert a model to a bit-packed .tflite with LCE"))

    importer = commands.add_parser("import", help="an official PyTorch checkpoint as a .keras model")
    importer.add_argument("checkpoint", help="e.g. bcdnet_a_step2.pth.tar or reactnet_a.pth.tar")
    importer.add_argument("--model", required=True, help="its zoo model: reactnet_a, bcdnet_a or reactnet_resnet18")
    importer.add_argument("-o", "--output", type=output_file_arg, required=True, help="the .keras file to write")
    importer.add_argument("--image-size", type=positive_int_arg, default=224)
    importer.set_defaults(func=cmd_import)

    evaluate = commands.add_parser("evaluate", help="top-1 of a .tflite on a labelled dataset, beside Keras")
    evaluate.add_argument("tflite", help="the .tflite file (float input, raw 0-255 RGB)")
    evaluate.add_argument("--dataset", required=True, help="'sample', a tfds name or an image folder")
    evaluate.add_argument("--split", default="test", choices=["train", "test"])
    evaluate.add_argument("--image-size", type=positive_int_arg, default=32)
    evaluate.add_argument("--limit", type=positive_int_arg, default=None, help="evaluate the first N images only")
    evaluate.add_argument("--keras", default=None, help="the Keras model it came from, to compare")
    evaluate.add_argument(
        "--unsafe", action="store_true", help="allow a --keras .h5 with Lambda layers (runs their code)"
    )
    evaluate.set_defaults(func=cmd_evaluate)

    train = commands.add_parser("train", help="train a recipe (zoo/recipes/*.yaml)")
    train.add_argument("recipe", help="a YAML recipe, e.g. zoo/recipes/bcdnet_b_cifar10.yaml")
    train.add_argument("overrides", nargs="*", help="key=value overrides, e.g. epochs=2")
    train.add_argument("--strategy", choices=["default", "mirrored", "multiworker", "tpu"], default=None)
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="delete the run's output and state folders first (a rerun otherwise resumes, "
        "and a changed recipe is refused)",
    )
    train.add_argument(
        "--stop-after",
        type=nonnegative_float_arg,
        default=None,
        metavar="MINUTES",
        help="time budget: start no epoch after MINUTES; the state is kept, a rerun continues "
        f"(exit code {EXIT_STOPPED_EARLY} if the run is not finished)",
    )
    train.set_defaults(func=cmd_train)

    benchmark = commands.add_parser("benchmark", help="latency of .tflite files, side by side")
    benchmark.add_argument("models", nargs="+", help=".tflite files; ratios are to the first")
    benchmark.add_argument("--threads", type=positive_int_arg, default=1)
    benchmark.add_argument("--runs", type=positive_int_arg, default=20)
    benchmark.add_argument(
        "--output", type=output_folder_arg, default="benchmark-results", help="folder for .json/.md/.png"
    )
    benchmark.add_argument("--stem", default="benchmark", help="file name stem of the results")
    benchmark.set_defaults(func=cmd_benchmark)

    demo = commands.add_parser(
        "demo", help="the trained CIFAR-10 model through LCE, a training smoke run, size and latency"
    )
    demo.add_argument("--output", type=output_folder_arg, default="demo-report")
    demo.add_argument("--dataset", default="sample", help="'sample', a tfds name or an image folder")
    demo.add_argument("--epochs", type=positive_int_arg, default=1, help="epochs of the training smoke run")
    demo.add_argument("--runs", type=positive_int_arg, default=10)
    demo.set_defaults(func=cmd_demo)

    _add_measurement_commands(commands)
    return parser


def _quiet(verbose):
    """Python-side TensorFlow/AutoGraph messages off unless --verbose (progress bars stay)."""
    if verbose:
        return
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tf.autograph.set_verbosity(0)


def _run(parser, argv):
    """Parse ``argv``, run the command, and turn a user error into one line and exit code 2."""
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's log messages")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.invocation = _command(parser.prog, argv)  # written next to the numbers it makes
    _quiet(args.verbose)
    try:
        code = args.func(args)  # None, or a command's own exit code (train --stop-after)
    except USER_ERRORS as error:
        lines = str(error).strip().splitlines() or [type(error).__name__]
        print(f"{parser.prog}: error: {lines[0]}", file=sys.stderr)
        return 2
    return code or 0


def main(argv=None):
    return _run(build_parser(), argv)


def module_main(command):
    """The ``python -m`` twin of subcommand ``command`` (same flags)."""
    sys.exit(main([command, *sys.argv[1:]]))


def lce_convert_main(argv=None):
    """``lce_convert MODEL -o OUT.tflite [--int8] [--target arm|xcore] [--verify]``."""
    parser = argparse.ArgumentParser(
        prog="lce_convert", description="Convert a Keras model to a bit-packed .tflite with LCE."
    )
    _add_convert_arguments(parser)
    return _run(parser, argv)
