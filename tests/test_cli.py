import os
import subprocess
import sys

import pytest
import tensorflow as tf

from larq_bcd import cli, layers


def run(*argv):
    return subprocess.run([sys.executable, "-m", "larq_bcd", *argv], capture_output=True, text=True)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    x = tf.keras.Input((8, 8, 32))
    y = layers.BinaryMLPBlock()(x)
    y = tf.keras.layers.GlobalAveragePooling2D()(y)
    model = tf.keras.Model(x, tf.keras.layers.Dense(4)(y))
    path = str(tmp_path_factory.mktemp("m") / "tiny.keras")
    model.save(path)
    return path


def test_help_of_every_command():
    for argv in (["--help"], ["summary", "--help"], ["convert", "--help"], ["benchmark", "--help"],
                 ["bench", "--help"], ["train", "--help"], ["demo", "--help"], ["evaluate", "--help"]):
        out = run(*argv)
        assert out.returncode == 0 and "usage:" in out.stdout, argv


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


def test_failed_verify_leaves_no_file(saved_model, tmp_path, capsys):
    out_path = tmp_path / "out.tflite"
    # A negative tolerance cannot be met: the check fails after conversion succeeded.
    assert cli.lce_convert_main([saved_model, "-o", str(out_path), "--verify", "--tolerance", "-1"]) == 2
    assert "parity check failed" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_bad_output_name(saved_model, tmp_path, capsys):
    assert cli.main(["convert", saved_model, "-o", str(tmp_path / "model.bin")]) == 2
    assert "must end in .tflite" in capsys.readouterr().err


def test_summary_prints_the_cost_table(capsys):
    assert cli.main(["summary", "bcdnet_a", "--input-size", "32"]) == 0
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
