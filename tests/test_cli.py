import argparse
import json
import os
import subprocess
import sys

from larq_bcd import cli, layers
from larq_bcd.zoo import blocks

import pytest
import tensorflow as tf


def run(*argv):
    return subprocess.run([sys.executable, "-m", "larq_bcd", *argv], capture_output=True, text=True)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    x = tf.keras.Input((8, 8, 32))
    y = blocks.binary_mlp_block(x)
    y = tf.keras.layers.GlobalAveragePooling2D()(y)
    model = tf.keras.Model(x, tf.keras.layers.Dense(4)(y))
    path = str(tmp_path_factory.mktemp("m") / "tiny.keras")
    model.save(path)
    return path


def _main(argv):
    """``larq-bcd ARGV`` in this process: its exit code (argparse exits with SystemExit)."""
    try:
        return cli.main(argv)
    except SystemExit as exit:
        return exit.code


def test_help_of_every_command(capsys):
    out = run("--help")  # the installed entry point, once
    assert out.returncode == 0 and "usage: larq-bcd" in out.stdout
    commands = out.stdout.split("{", 1)[1].split("}", 1)[0].split(",")
    assert len(commands) >= 16 and "train" in commands
    for command in commands:
        assert _main([command, "--help"]) == 0
        assert f"usage: larq-bcd {command}" in capsys.readouterr().out, command


def test_lce_convert_verifies_and_writes(saved_model, tmp_path):
    out_path = str(tmp_path / "tiny.tflite")
    assert cli.lce_convert_main([saved_model, "-o", out_path, "--verify"]) == 0
    assert os.path.getsize(out_path) > 0
    assert os.stat(out_path).st_mode & 0o044  # readable by others, like any written file


@pytest.mark.parametrize(
    "argv,message",
    [
        (["nope.keras"], "model file not found: nope.keras"),
        (["quicknet"], "neither a model file nor a zoo model"),
        (["README.md"], "unknown model format"),
    ],
)
def test_lce_convert_errors_are_one_line_and_leave_no_file(argv, message, tmp_path, capsys):
    out_path = tmp_path / "out.tflite"
    assert cli.lce_convert_main([*argv, "-o", str(out_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out_path.exists() and not list(tmp_path.iterdir())


def test_failed_verify_leaves_no_file(saved_model, tmp_path, capsys, monkeypatch):
    from larq_bcd import convert

    out_path = tmp_path / "out.tflite"
    # A parity failure after a successful conversion (forced here): nothing is written.
    failing = convert.Parity(max_abs_diff=1.0, output_scale=1.0, top1_agreement=0.0, exact_share=0.0, samples=1)
    monkeypatch.setattr(convert, "verify", lambda *a, **k: failing)
    assert cli.lce_convert_main([saved_model, "-o", str(out_path), "--verify"]) == 2
    assert "parity check failed" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_bad_output_name(saved_model, tmp_path, capsys):
    assert cli.main(["convert", saved_model, "-o", str(tmp_path / "model.bin")]) == 2
    assert "must end in .tflite" in capsys.readouterr().err


def test_a_place_no_file_can_be_made_is_named_as_the_output():
    from larq_bcd._utils import atomic_output, atomic_path

    # e.g. /proc, where even root's access() check passes: only the write itself can tell
    for writer in (atomic_output, atomic_path):
        with pytest.raises(ValueError, match="^cannot write /proc/larq-bcd/x.tflite: "):
            with writer("/proc/larq-bcd/x.tflite"):
                pass


def test_the_up_front_check_probes_the_folder_and_leaves_nothing(tmp_path):
    """``--output /proc/x`` was accepted by the argument check (root passes ``os.access``)
    and failed only after every row was computed: the check now makes a nameless file."""
    from larq_bcd._utils import output_file_arg, output_folder_arg, unwritable_reason

    assert unwritable_reason("/proc/larq-bcd/out").startswith("/proc is not writable")
    with pytest.raises(argparse.ArgumentTypeError, match="^cannot write in /proc/x: /proc is not writable"):
        output_folder_arg("/proc/x")
    with pytest.raises(argparse.ArgumentTypeError, match="^cannot write /proc/x.md: /proc is not writable"):
        output_file_arg("/proc/x.md")
    assert unwritable_reason(str(tmp_path / "a" / "b")) is None
    assert output_file_arg(str(tmp_path / "x.md")) == str(tmp_path / "x.md")
    assert os.listdir(tmp_path) == []


def test_summary_prints_the_cost_table(capsys):
    assert cli.main(["summary", "bcdnet_a", "--image-size", "32"]) == 0
    assert "| bcdnet_a | 32 | 1.217e+09 |" in capsys.readouterr().out


def test_evaluate_a_tflite_on_labelled_images_beside_keras(tmp_path, capsys):
    from larq_bcd import convert

    x = tf.keras.Input((32, 32, 3))
    y = tf.keras.layers.Rescaling(1 / 127.5, -1)(x)
    y = layers.BinaryConv2D(16, 3, strides=2)(y)
    y = tf.keras.layers.GlobalAveragePooling2D()(y)
    model = tf.keras.Model(x, tf.keras.layers.Dense(10)(y))
    keras_path, tflite_path = str(tmp_path / "m.keras"), str(tmp_path / "m.tflite")
    model.save(keras_path)
    with open(tflite_path, "wb") as handle:
        handle.write(convert.convert(model))
    argv = ["evaluate", tflite_path, "--dataset", "sample", "--limit", "24", "--keras", keras_path]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "on 24 test images" in out and "same prediction on 100.00%" in out
    assert cli.main(["evaluate", tflite_path, "--dataset", "sample", "--image-size", "24", "--limit", "8"]) == 2
    assert "the .tflite expects (32, 32, 3)" in capsys.readouterr().err
    assert cli.main(["evaluate", str(tmp_path / "none.tflite"), "--dataset", "sample"]) == 2
    assert "no .tflite at" in capsys.readouterr().err
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"not a flatbuffer")
    assert cli.main(["evaluate", str(garbage), "--dataset", "sample", "--limit", "8"]) == 2
    assert "not a TFLite model LCE can run" in capsys.readouterr().err


@pytest.fixture(scope="module")
def recipe_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("r") / "r.yaml"
    path.write_text("model: resnet20\ndataset: sample\nepochs: 1\n")
    return str(path)


BAD_INPUTS = [
    # (argv, what the one-line message must name)
    (["benchmark", "x.tflite", "--runs", "0"], "--runs"),
    (["benchmark", "x.tflite", "--threads", "-4"], "--threads"),
    (["bench", "--models", "foo"], "--models"),
    (["evaluate", "x.tflite", "--dataset", "sample", "--limit", "0"], "--limit"),
    (["evaluate", "x.tflite", "--dataset", "sample", "--limit", "-5"], "--limit"),
    (["evaluate", "x.tflite", "--dataset", "sample", "--split", "bogus"], "--split"),
    (["evaluate", "x.tflite", "--dataset", "sample", "--image-size", "0"], "--image-size"),
    (["convert", "resnet20", "-o", "x.tflite", "--tolerance", "-1"], "--tolerance"),
    (["train", "RECIPE", "epochs=0"], "`epochs`"),
    (["train", "RECIPE", "epochs=ten"], "`epochs`"),
    (["train", "RECIPE", "batch_size=0"], "`batch_size`"),
    (["train", "RECIPE", "learning_rate=-1"], "`learning_rate`"),
    (["train", "RECIPE", "epochs.x=1"], "`epochs` is not a mapping"),
    (["train", "RECIPE", "model_args=5"], "`model_args`"),
    (["train", "RECIPE", "model_args.nosuch=1"], "`model_args`: {'nosuch': 1} is not allowed"),
    # found only when the run starts: still no state folder left behind
    (["train", "RECIPE", "dataset=no/such/dir"], "dataset 'no/such/dir' is neither"),
    (["train", "RECIPE", "teacher=missing.keras"], "teacher model not found: missing.keras"),
    (["train", "RECIPE", "teacher=RECIPE"], "r.yaml: not a model Keras can load"),
    (["train", "RECIPE", "optimizer=lbfgs"], "`optimizer`"),
    (["train", "RECIPE", "recu_tau=[0.9, 0.5]"], "`recu_tau`"),
    (["train", "RECIPE", "model=quicknet"], "`model`"),
    (["train", "RECIPE", "output=RECIPE/run"], "`output`: cannot write in"),
    (["train", "RECIPE", "state_dir=RECIPE/state"], "`state_dir`: cannot write in"),
    (["train", "MALFORMED"], "not valid YAML"),
    (["tradeoff", "missing.keras"], "missing.keras: no such saved model or run folder"),
    (["tradeoff", "zoo", "--runs", "0"], "--runs"),
    (["bconv-shapes", "16x16"], "CINxCOUT@SIZE"),
    (["bconv-profile", "missing.keras"], "model file not found: missing.keras"),
    (["train", "."], ". is a folder: give a recipe file"),
    (["benchmark", "."], "no .tflite at . (a folder)"),
    (["tradeoff", "RECIPE"], "r.yaml: unknown model format"),
    (["convert", "resnet20", "-o", "."], "argument -o/--output: . is a folder"),
    (["convert", "resnet20", "-o", "RECIPE/m.tflite"], "r.yaml is a file, not a folder"),
    (["report", "RECIPE", "--output", "RECIPE/out"], "argument --output: cannot write in"),
    (["import", "RECIPE", "--model", "bcdnet_a", "-o", "x.keras"], "r.yaml: not a PyTorch checkpoint name"),
    (["parity", "no/such/dir", "--output", "out"], "parity fixture not found: no/such/dir/reactnet_a.pth.tar"),
]


@pytest.mark.parametrize("argv,names", BAD_INPUTS, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_inputs_fail_with_one_line_exit_2_and_no_files(argv, names, recipe_file, tmp_path, monkeypatch, capsys):
    malformed = tmp_path / "bad.yaml"
    malformed.write_text("model: [resnet20\n")
    argv = [a.replace("RECIPE", recipe_file).replace("MALFORMED", str(malformed)) for a in argv]
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tmp_path))
    code = _main(argv)  # an exception other than a user error fails the test with its traceback
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
    assert len(lines) == 1 and names in lines[0], err
    assert set(os.listdir(tmp_path)) == before


def test_h5_with_a_lambda_layer_is_refused_unless_unsafe(tmp_path, capsys):
    x = tf.keras.Input((8, 8, 3))
    y = tf.keras.layers.Lambda(lambda t: t * 2.0, name="code")(x)
    y = layers.BinaryConv2D(8, 3)(y)
    path = str(tmp_path / "lambda.h5")
    tf.keras.Model(x, y).save(path)
    out = tmp_path / "m.tflite"
    assert cli.lce_convert_main([path, "-o", str(out)]) == 2
    assert "Lambda layers (code)" in capsys.readouterr().err and not out.exists()
    assert cli.lce_convert_main([path, "-o", str(out), "--unsafe"]) == 0
    assert out.exists()


def test_converting_a_model_with_nothing_binary_warns(tmp_path, capsys):
    import larq as lq

    x = tf.keras.Input((8, 8, 3))
    y = tf.keras.layers.Flatten()(tf.keras.layers.Conv2D(4, 3)(x))
    y = lq.layers.QuantDense(4, input_quantizer="ste_sign", kernel_quantizer="ste_sign")(y)
    path = str(tmp_path / "float.keras")
    tf.keras.Model(x, y).save(path)
    assert cli.lce_convert_main([path, "-o", str(tmp_path / "f.tflite")]) == 0
    err = capsys.readouterr().err
    assert "QuantDense layer(s)" in err and "no layer became a bit-packed LceBconv2d" in err


def test_a_corrupt_image_is_named_in_evaluation_and_training(tmp_path, capsys):
    from larq_bcd import convert
    from larq_bcd.training import Recipe
    from larq_bcd.training import run as train

    for split in ("train", "test"):
        for label in ("cat", "dog"):
            folder = tmp_path / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(4):
                pixels = tf.cast(tf.random.uniform((32, 32, 3), 0, 255), tf.uint8)
                (folder / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    bad = tmp_path / "data" / "test" / "dog" / "3.png"
    bad.write_bytes(b"\\x89PNG but not really")
    x = tf.keras.Input((32, 32, 3))
    y = tf.keras.layers.GlobalAveragePooling2D()(layers.BinaryConv2D(8, 3)(x))
    model = tf.keras.Model(x, tf.keras.layers.Dense(2)(y))
    tflite = tmp_path / "m.tflite"
    tflite.write_bytes(convert.convert(model))
    assert cli.main(["evaluate", str(tflite), "--dataset", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err.strip()
    assert str(bad) in err and len(err.splitlines()) == 1
    recipe = Recipe(
        model="resnet20",
        dataset=str(tmp_path / "data"),
        output=str(tmp_path / "run"),
        batch_size=4,
        epochs=1,
        optimizer="sgd",
        learning_rate=0.01,
    )
    with pytest.raises(ValueError, match="3.png: not a readable image"):
        train(recipe, log=lambda *_: None)


def test_binary_convs_that_half_fill_lce_words_are_named(tmp_path, capsys):
    from larq_bcd import layers

    x = tf.keras.Input((8, 8, 16))
    y = layers.BinaryConv2D(32, 3, name="narrow")(x)
    y = layers.BinaryConv2D(8, 3, name="full")(y)
    path = str(tmp_path / "narrow.keras")
    tf.keras.Model(x, y).save(path)
    assert cli.lce_convert_main([path, "-o", str(tmp_path / "n.tflite")]) == 0
    err = capsys.readouterr().err
    assert "1 binary conv(s) read input channels that are not a multiple of 32 (narrow: 16)" in err


def test_the_demo_shows_a_committed_model_with_the_top1_its_run_recorded(tmp_path):
    from larq_bcd import demo

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path, name, _ = demo.TRAINED
    assert os.path.exists(os.path.join(root, path)), path
    assert name in path  # the builder that rebuilds its float twin is the model's own
    with open(os.path.join(root, demo.TRAINED_RUN, "results.json")) as handle:
        results = json.load(handle)
    assert results["recipe"]["model"] == name and results["test_examples"] == 10000
    assert demo.trained_top1(os.path.join(root, demo.TRAINED_RUN)).startswith(f"{results['top1']:.2%} on the 10,000")
    assert "unknown" in demo.trained_top1(str(tmp_path)) and "results.json" in demo.trained_top1(str(tmp_path))
