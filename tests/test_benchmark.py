import json
import os

from larq_bcd import bconv_profile, bconv_shapes, benchmark, convert, device, layers
from larq_bcd._utils import CPU_FEATURES, describe_machine, host_machine, write_report

import pytest
import tensorflow as tf

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def read(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def test_parse_rpi_output_takes_the_timed_block_not_the_warmup():
    r = device.parse_benchmark_output(read("lce_benchmark_rpi4_quicknet.txt"))
    assert r["name"] == "quicknet" and r["threads"] == 1 and r["runs"] == 50
    assert r["mean_ms"] == pytest.approx(45.0214) and r["min_ms"] == pytest.approx(44.688)
    assert r["std_ms"] == pytest.approx(0.261) and r["warmup_mean_ms"] == pytest.approx(45.3052)
    assert r["size_bytes"] == 4352840 and r["init_ms"] == pytest.approx(61.713)
    assert r["median_ms"] is None  # the tool prints no percentiles
    assert set(benchmark.FIELDS) - {"ratio_to_first"} <= set(r)


def test_parse_android_output_and_combine_rounds():
    r = device.parse_benchmark_output(read("lce_benchmark_pixel_4threads.txt"), name="bcdnet_a")
    assert r["threads"] == 4 and r["mean_ms"] == pytest.approx(12.6881)
    merged = device.combine([r, {**r, "mean_ms": 13.0}, {**r, "mean_ms": 12.0}])
    assert merged["median_ms"] == pytest.approx(12.6881) and merged["invocations"] == 3


def test_parse_failed_run_says_why():
    with pytest.raises(ValueError, match="Could not open '/home/pi/missing.tflite'"):
        device.parse_benchmark_output(read("lce_benchmark_failed.txt"))


def test_benchmark_command_flags():
    argv = device.benchmark_command("./lce_benchmark_model", "m.tflite", threads=4, use_xnnpack=True)
    assert argv[1:] == [
        "--graph=m.tflite",
        "--num_threads=4",
        "--warmup_runs=10",
        "--num_runs=50",
        "--use_xnnpack=true",
    ]


def _tiny(tmp_path, name, filters):
    x = tf.keras.Input((8, 8, 32))
    model = tf.keras.Model(x, layers.BinaryConv2D(filters, 3)(x))
    path = str(tmp_path / f"{name}.tflite")
    with open(path, "wb") as handle:
        handle.write(convert.convert(model))
    return path


def test_host_benchmark_interleaves_and_writes_json_md_png(tmp_path):
    a, b = _tiny(tmp_path, "a", 32), _tiny(tmp_path, "b", 64)
    results = benchmark.measure([a, b], runs=3, warmup=1)
    assert [r["name"] for r in results] == ["a", "b"] and results[0]["ratio_to_first"] == 1.0
    assert all(r["p10_ms"] <= r["median_ms"] <= r["p90_ms"] for r in results)
    paths = benchmark.write(results, str(tmp_path / "out"), command="test")
    assert json.load(open(paths[0]))["results"][1]["name"] == "b"
    assert "| b |" in open(paths[1]).read()
    assert open(paths[2], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert "machine" not in json.load(open(paths[0])) and "Measured on" not in open(paths[1]).read()


def test_host_timings_name_the_machine_they_ran_on(tmp_path):
    info = host_machine()
    assert info["cores"] >= 1 and info["cpu"] and info["tensorflow"] == tf.__version__
    assert set(info["features"]) <= set(CPU_FEATURES)
    paths = write_report(str(tmp_path), "timing", {"command": "test"}, "| a | 1.0 |\n", on_this_host=True)
    assert json.load(open(paths[0])) == {"command": "test", "machine": info}
    last = open(paths[1]).read().splitlines()[-1]
    assert last == describe_machine(info) and last.startswith(f"Measured on {info['cpu']}, {info['cores']} cores")
    fake = {"cpu": "Cortex-A72", "cores": 4, "features": ["asimd"], "tensorflow": "2.16.2"}
    assert describe_machine(fake) == "Measured on Cortex-A72, 4 cores (asimd); TensorFlow 2.16.2."


def test_benchmark_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.tflite"):
        benchmark.measure([str(tmp_path / "nothere.tflite")])


def test_bconv_shapes_times_one_lcebconv2d_per_shape_and_writes(tmp_path):
    results = bconv_shapes.measure(
        ["16x16@8", "32x8@8", "64x8@4"], runs=3, tflite_dir=str(tmp_path / "t"), log=lambda _: None
    )
    assert sorted(os.listdir(tmp_path / "t")) == ["bconv_16x16_8.tflite", "bconv_32x8_8.tflite", "bconv_64x8_4.tflite"]
    assert [r["name"] for r in results] == ["16x16@8", "32x8@8", "64x8@4"]
    assert all(r["ops"] == {"LceBconv2d": 1, "LceQuantize": 1} for r in results)
    assert results[0]["binary_macs"] == results[1]["binary_macs"] == 8 * 8 * 16 * 16 * 9
    assert [r["input_words"] for r in results] == [1, 1, 2]
    assert results[2]["us_per_mmac"] == pytest.approx(1000 * results[2]["median_ms"] / (4 * 4 * 64 * 8 * 9 / 1e6))
    paths = bconv_shapes.write(results, str(tmp_path), command="larq-bcd bconv-shapes")
    assert "| 32x8@8 | 0.15 | 1 |" in open(paths[1]).read()
    assert open(paths[2], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("text", ["16x16", "16x16@", "0x16@32", "16*16@32", ""])
def test_bconv_shape_errors_name_the_format(text):
    with pytest.raises(ValueError, match="CINxCOUT@SIZE|positive integer"):
        bconv_shapes.parse_shape(text)


def test_bconv_profile_times_each_binary_conv_of_a_model(tmp_path):
    x = tf.keras.Input((8, 8, 16))
    y = layers.BinaryConv2D(32, 3, name="first")(x)
    y = tf.keras.layers.BatchNormalization()(y)
    y = layers.RepConv(32, 3, beta=2, strides=2, name="second")(y)
    model = tf.keras.Model(x, tf.keras.layers.Dense(3)(tf.keras.layers.GlobalAveragePooling2D()(y)), name="tiny")
    whole, convs = bconv_profile.measure(model, runs=3, log=lambda _: None)
    assert whole["name"] == "tiny" and [r["name"] for r in convs] == ["first", "second"]
    assert [(r["c_in"], r["c_out"], r["size"], r["strides"]) for r in convs] == [
        (16, 32, 8, [1, 1]),
        (32, 64, 8, [2, 2]),
    ]
    assert [r["input_words"] for r in convs] == [1, 1]
    assert sum(r["share"] for r in convs) == pytest.approx(1.0)
    paths = bconv_profile.write(whole, convs, str(tmp_path), "p", command="larq-bcd bconv-profile")
    assert "| second | 32 -> 64 | 8x8 | 3x3 / 2 | 1 |" in open(paths[1]).read()
    with pytest.raises(ValueError, match="no binary conv"):
        bconv_profile.measure(tf.keras.Model(x, tf.keras.layers.Conv2D(4, 3)(x)), runs=1)
