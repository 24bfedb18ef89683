import dataclasses
import glob
import json
import math
import os
import re
import time

from larq_bcd import zoo
from larq_bcd.training import Distiller, Recipe, WarmupDecay, distillation_loss, run

import numpy as np
import pytest
import tensorflow as tf


def test_warmup_then_cosine_and_linear_decay():
    cosine = WarmupDecay(4e-3, total_steps=110, warmup_steps=10, initial=1e-3)
    assert float(cosine(0)) == pytest.approx(1e-3)
    assert float(cosine(5)) == pytest.approx(2.5e-3)
    assert float(cosine(10)) == pytest.approx(4e-3)
    assert float(cosine(60)) == pytest.approx(2e-3)  # half-way: (1 + cos(pi/2)) / 2
    assert float(cosine(110)) == pytest.approx(0.0, abs=1e-9)
    linear = WarmupDecay(1.0, total_steps=100, decay="linear")
    assert float(linear(25)) == pytest.approx(0.75)
    assert WarmupDecay.from_config(cosine.get_config()).get_config() == cosine.get_config()
    with pytest.raises(ValueError, match="total_steps"):
        WarmupDecay(1.0, total_steps=5, warmup_steps=5)


def test_distillation_loss_is_soft_cross_entropy():
    t = np.array([[2.0, 0.0, -1.0]], np.float32)
    s = np.array([[0.5, 0.2, 0.1]], np.float32)
    for temperature in (1.0, 4.0):
        p = np.exp(t / temperature) / np.exp(t / temperature).sum()
        log_q = s / temperature - np.log(np.exp(s / temperature).sum())
        expected = -(temperature**2) * (p * log_q).sum()
        assert float(distillation_loss(t, s, temperature)) == pytest.approx(expected, rel=1e-5)


def test_dual_head_loss_is_half_label_half_distillation():
    x = tf.keras.Input((4,))
    student = tf.keras.Model(x, [tf.keras.layers.Dense(3, name="fc")(x), tf.keras.layers.Dense(3, name="fc_dist")(x)])
    teacher = tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(4,))])
    d = Distiller(student, teacher, label_smoothing=0.0)
    data = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    y = tf.one_hot([0, 1, 2, 0, 1], 3)
    fc, fc_dist = student(data)
    expected = 0.5 * tf.keras.losses.CategoricalCrossentropy(from_logits=True)(y, fc) + 0.5 * distillation_loss(
        teacher(data), fc_dist
    )
    assert float(d.student_loss(y, [fc, fc_dist], teacher(data))) == pytest.approx(float(expected), rel=1e-5)
    np.testing.assert_allclose(d(data), (fc + fc_dist) / 2, rtol=1e-6)


def test_teacher_stays_out_of_the_distillers_checkpoint(tmp_path):
    x = tf.keras.Input((4,))
    student = tf.keras.Model(x, tf.keras.layers.Dense(3, name="fc")(x))
    teacher = tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(4,), name="teacher_fc")])
    d = Distiller(student, teacher)
    d.compile(optimizer="adam")
    d.fit(np.zeros((4, 4), np.float32), tf.one_hot([0, 1, 2, 0], 3), epochs=1, verbose=0)
    assert {id(v) for v in d.trainable_weights} == {id(v) for v in student.trainable_weights}
    path = tf.train.Checkpoint(model=d).save(str(tmp_path / "ckpt"))
    names = [name for name, _ in tf.train.list_variables(path)]
    assert not any("teacher" in n for n in names), names
    assert d.teacher is teacher and not teacher.trainable


def test_dual_head_only_for_the_models_that_have_it():
    dual_head_models = [name for name in zoo.available() if zoo.config(name).dual_head]
    assert dual_head_models == ["bcdnet_a", "bcdnet_b"]
    for name in dual_head_models:
        assert (
            len(zoo.get(name, input_shape=(32, 32, 3), num_classes=10, width_multiplier=0.125, dual_head=True).outputs)
            == 2
        )
    with pytest.raises(TypeError):
        zoo.get("bcdnet_a_resnet18", dual_head=True)


def test_recipe_overrides_and_errors(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("model: reactnet_a\nmodel_args: {width_multiplier: 0.5}\nepochs: 3\n")
    recipe = Recipe.from_file(str(path), ["epochs=1", "model_args.width_multiplier=0.25", "teacher=null"])
    assert recipe.epochs == 1 and recipe.model_args == {"width_multiplier": 0.25}
    with pytest.raises(ValueError, match="unknown recipe keys \\['epoch'\\]"):
        Recipe.from_file(str(path), ["epoch=1"])
    with pytest.raises(ValueError, match="not key=value"):
        Recipe.from_file(str(path), ["epochs"])
    with pytest.raises(FileNotFoundError, match="recipe not found"):
        Recipe.from_file(str(tmp_path / "none.yaml"))
    staged = Recipe.from_file(
        str(path),
        [
            "two_step=true",
            "step1_epochs=1",
            "step1={learning_rate: 4.0e-3, weight_decay: 0.01}",
            "step2={learning_rate: 5.0e-4}",
        ],
    )
    assert staged.step1 == {"learning_rate": 4.0e-3, "weight_decay": 0.01} and staged.step2 == {"learning_rate": 5.0e-4}
    with pytest.raises(ValueError, match="recipe key `step2`"):
        Recipe.from_file(str(path), ["step2={epochs: 3}"])
    # One recipe for several models: "{model}" in the run's folders.
    path.write_text("model: reactnet_a\noutput: runs/rank_{model}\nstate_dir: zoo/checkpoints/rank_{model}\n")
    shared = Recipe.from_file(str(path), ["model=bcdnet_b"])
    assert shared.output == "runs/rank_bcdnet_b" and shared.state_dir == "zoo/checkpoints/rank_bcdnet_b"


def test_every_committed_recipe_is_valid():
    recipes = glob.glob(os.path.join(os.path.dirname(__file__), "..", "zoo", "recipes", "*.yaml"))
    assert len(recipes) >= 10
    for path in recipes:
        recipe = Recipe.from_file(path)
        assert "{" not in recipe.output and "{" not in (recipe.state_dir or ""), path


def test_two_step_training_with_a_teacher_end_to_end(tmp_path):
    """Step 1 (real weights) -> step 2 (binary, from step 1) -> float32 .keras, with KD."""
    teacher = zoo.ReActNetA(
        input_shape=(32, 32, 3),
        num_classes=10,
        width_multiplier=0.125,
        quantization="float",
        classifier_activation=None,
    )
    teacher.save(tmp_path / "teacher.keras")
    recipe = Recipe(
        model="bcdnet_a",
        dataset="sample",
        output=str(tmp_path / "run"),
        batch_size=32,
        model_args={"width_multiplier": 0.125, "mlp_blocks": 3},
        two_step=True,
        step1_epochs=1,
        epochs=1,
        train_limit=64,
        test_limit=32,
        weight_decay=1e-5,
        teacher=str(tmp_path / "teacher.keras"),
    )
    results = run(recipe, command="test", log=lambda *_: None)
    assert set(results["steps"]) == {"step1", "step2"} and 0.0 <= results["top1"] <= 1.0
    saved = tf.keras.models.load_model(tmp_path / "run" / "model.keras")
    assert len(saved.outputs) == 1 and saved.output_shape == (None, 10)  # dual head folded
    step1 = zoo.BCDNetA(
        input_shape=(32, 32, 3),
        num_classes=10,
        width_multiplier=0.125,
        mlp_blocks=3,
        dual_head=True,
        quantization="activations",
    )
    step1.load_weights(tmp_path / "run" / "step1.weights.h5")
    step2 = zoo.BCDNetA(input_shape=(32, 32, 3), num_classes=10, width_multiplier=0.125, mlp_blocks=3, dual_head=True)
    step2.load_weights(tmp_path / "run" / "step2.weights.h5")
    assert not np.allclose(step1.get_weights()[0], step2.get_weights()[0])  # step 2 trained on
    assert json.loads((tmp_path / "run" / "results.json").read_text())["command"] == "test"
    # Rerunning a finished run trains nothing again and reports the same run.
    again = run(recipe, command="test", log=lambda *_: None)
    assert again["steps"] == results["steps"] and math.isclose(again["top1"], results["top1"])
    # A different recipe over it is refused: nothing is overwritten.
    changed = dataclasses.replace(recipe, epochs=5)
    with pytest.raises(ValueError, match="different recipe \\(changed: epochs\\)"):
        run(changed, command="test", log=lambda *_: None)
    with pytest.raises(ValueError, match="different recipe \\(changed: dataset\\)"):  # before the data is read
        run(dataclasses.replace(recipe, dataset="no/such/folder"), command="test", log=lambda *_: None)
    assert json.loads((tmp_path / "run" / "results.json").read_text())["recipe"]["epochs"] == 1
    from larq_bcd import cli

    recipe_file = tmp_path / "r.yaml"
    recipe_file.write_text(f"model: bcdnet_a\noutput: {tmp_path / 'run'}\n")
    assert cli.main(["train", str(recipe_file), "epochs=0"]) == 2  # refused before touching the run
    assert cli.main(["train", str(recipe_file), "epochs=0", "--overwrite"]) == 2  # validated first
    assert (tmp_path / "run" / "model.keras").exists()


class _Interrupted(Exception):
    pass


class _StopAfterFirstEpoch(tf.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise _Interrupted()


class _StopAfterEpoch(tf.keras.callbacks.Callback):
    """Killed once epoch ``last`` (0-based) is backed up, before the run saves its weights."""

    def __init__(self, last):
        super().__init__()
        self.last = last

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.last:
            raise _Interrupted()


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
    """Stop after epoch 1 of 3, rerun: same weights as an uninterrupted run (ReCU's SGD
    recipe: optimizer state, schedule position, tau, data order and augmentation). Two
    epochs after the resume: a schedule that drifts after one (optimizer steps outside
    the training batches) is caught by ``ScheduleCheck`` inside the run. The CSV log keeps
    only the epochs the backup holds: a row cut short by the stop is dropped, not merged with
    the next, and so is the row of an epoch logged but not backed up."""
    common = dict(
        model="resnet20",
        dataset="sample",
        batch_size=32,
        epochs=3,
        optimizer="sgd",
        learning_rate=0.05,
        warmup_epochs=0.5,
        weight_decay=5e-4,
        label_smoothing=0.0,
        train_limit=64,
        test_limit=32,
    )
    quiet = lambda *_: None  # noqa: E731
    whole = run(Recipe(output=str(tmp_path / "whole"), **common), log=quiet)
    with pytest.raises(_Interrupted):
        run(Recipe(output=str(tmp_path / "cut"), **common), log=quiet, callbacks=[_StopAfterFirstEpoch()])
    assert not (tmp_path / "cut" / "train.weights.h5").exists()
    with open(tmp_path / "cut" / "history_train.csv", "a") as log:
        # epoch 2 logged but killed before its backup, then killed while logging it again:
        # the resumed run trains epoch 2 again and logs it once, not extending the cut row
        log.write("1,0.5,1.5,9.0,0.25,2.0\r\n1,0.2")
    lines = []
    resumed = run(Recipe(output=str(tmp_path / "cut"), **common), command="larq-bcd train r.yaml", log=lines.append)
    assert (tmp_path / "cut" / "command.txt").read_text() == "larq-bcd train r.yaml\n"
    assert "train: resuming at epoch 2 of 3" in lines and "train: epoch 3 of 3" in lines
    assert "train: epoch 2 logged but not backed up: trained again" in lines
    assert "train: epoch 1 of 3" not in lines
    assert resumed["steps"]["train"]["epochs"] == 3 and len(resumed["steps"]["train"]["val_accuracy"]) == 3
    assert resumed["steps"]["train"]["val_accuracy"] == whole["steps"]["train"]["val_accuracy"]
    a = zoo.ResNet20(num_classes=10, classifier_activation=None)
    b = zoo.ResNet20(num_classes=10, classifier_activation=None)
    a.load_weights(tmp_path / "whole" / "train.weights.h5")
    b.load_weights(tmp_path / "cut" / "train.weights.h5")
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    # Killed after the last epoch's backup, before the step's weights were saved: the rerun
    # trains nothing and must finish with the backed-up weights (it saved the initial ones).
    with pytest.raises(_Interrupted):
        run(Recipe(output=str(tmp_path / "last"), **common), log=quiet, callbacks=[_StopAfterEpoch(2)])
    lines = []
    last = run(Recipe(output=str(tmp_path / "last"), **common), log=lines.append)
    assert any(line.startswith("train: all 3 epochs trained; taking the weights of the last backup") for line in lines)
    assert not any("epoch 3 of 3" in line or "resuming at" in line for line in lines)
    assert (
        last["top1"] == whole["top1"]
        and last["steps"]["train"]["val_accuracy"] == whole["steps"]["train"]["val_accuracy"]
    )
    b.load_weights(tmp_path / "last" / "train.weights.h5")
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    tf.keras.backend.set_floatx("float64")  # the runs left the dtype policy following floatx
    try:
        assert tf.keras.mixed_precision.global_policy().name == "float64"
    finally:
        tf.keras.backend.set_floatx("float32")


class _TrainsOnValidation(tf.keras.Sequential):
    """A model whose evaluation steps the optimizer: the bug ``ScheduleCheck`` catches."""

    def test_step(self, data):
        return self.train_step(data)


@pytest.mark.parametrize("model_class", [tf.keras.Sequential, _TrainsOnValidation])
def test_schedule_check_stops_before_a_drifted_epoch_is_logged(tmp_path, model_class):
    from larq_bcd.training.recipe import ScheduleCheck, ScheduleDrift

    model = model_class([tf.keras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 2), "float32"), np.zeros((8, 1), "float32")
    log = tmp_path / "history.csv"
    fit = lambda: model.fit(  # noqa: E731
        x,
        y,
        batch_size=4,
        epochs=2,
        validation_data=(x, y),
        callbacks=[ScheduleCheck("train", steps_per_epoch=2), tf.keras.callbacks.CSVLogger(str(log))],
        verbose=0,
    )
    if model_class is tf.keras.Sequential:
        fit()
        assert int(model.optimizer.iterations.numpy()) == 4 and len(log.read_text().splitlines()) == 3
    else:
        with pytest.raises(ScheduleDrift, match="after epoch 1 the optimizer has taken 4 steps, expected 2"):
            fit()
        assert not log.exists() or not log.read_text().strip()  # the drifted epoch was not logged


def test_an_edit_to_the_source_during_a_run_cannot_turn_evaluation_into_training(tmp_path, monkeypatch):
    """AutoGraph converts a function from its source file on disk when first traced: an
    edit between the first fit and the first evaluation made ``evaluate`` run
    ``train_step`` (the optimizer stepped on the test batches). The Distiller's steps are
    not converted (``do_not_convert``), so the file on disk no longer matters."""
    import importlib

    from larq_bcd.training import distiller as distiller_module

    # Its lines shifted by one: AutoGraph caches conversions by code object, and equal code
    # objects in two files compare equal (the package's module may be converted already).
    source = tmp_path / "distiller_copy.py"
    with open(distiller_module.__file__) as handle:
        source.write_text("\n" + handle.read())
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("distiller_copy")
    model = module.Distiller(tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(4,))]))
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1))
    x = np.random.default_rng(0).random((16, 4), dtype="float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2
    # The edit of a developer while the run trains: five lines above the class.
    source.write_text(source.read_text().replace("class Distiller(", "\n" * 5 + "class Distiller(", 1))
    model.evaluate(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2


def test_train_stop_after_ends_on_an_epoch_boundary_and_a_rerun_continues(tmp_path, monkeypatch, capsys):
    """``larq-bcd train --stop-after MINUTES``: no epoch starts after the budget; exit code 75,
    the state kept; the same command without the flag then finishes the run."""
    import itertools
    import types

    from larq_bcd import cli
    from larq_bcd.training import recipe as recipe_module

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"model: resnet20\ndataset: sample\noutput: {tmp_path / 'run'}\nbatch_size: 32\nepochs: 2\n"
        f"train_limit: 64\ntest_limit: 32\nstate_dir: {tmp_path / 'state'}\n"
    )
    ticks = itertools.count(0.0, 60.0)  # each look at the clock: one minute later
    monkeypatch.setattr(recipe_module, "time", types.SimpleNamespace(time=time.time, monotonic=lambda: next(ticks)))
    assert cli.main(["train", str(recipe), "--stop-after", "1.5"]) == cli.EXIT_STOPPED_EARLY
    err = capsys.readouterr().err
    assert "train: stopped after epoch 1 of 2 (time budget reached)" in err and "rerun the same command" in err
    assert len((tmp_path / "state" / "history_train.csv").read_text().splitlines()) == 2  # header + epoch 1
    assert not (tmp_path / "run" / "model.keras").exists() and not (tmp_path / "state" / "results.json").exists()
    assert cli.main(["train", str(recipe)]) == 0
    assert "train: resuming at epoch 2 of 2" in capsys.readouterr().out
    assert len((tmp_path / "state" / "history_train.csv").read_text().splitlines()) == 3
    assert (tmp_path / "run" / "model.keras").exists()
    # The finished run's results also sit in its state folder (``report --in-progress`` reads them).
    assert (tmp_path / "state" / "results.json").read_text() == (tmp_path / "run" / "results.json").read_text()
    with pytest.raises(SystemExit) as exit_info:  # argparse: one line naming the flag
        cli.main(["train", str(recipe), "--stop-after", "soon"])
    assert exit_info.value.code == 2 and "--stop-after: must be a number >= 0, got 'soon'" in capsys.readouterr().err


def test_training_throughput_side_by_side_writes_json_md_png(tmp_path):
    from larq_bcd.training import throughput

    before = tf.keras.mixed_precision.global_policy().name
    results = throughput.measure(
        ["reactnet_resnet18", "resnet20:float@bf16"],
        width_multiplier=0.125,
        batch_size=4,
        steps=1,
        rounds=2,
        warmup=1,
        profile=True,
    )
    assert [(r["quantization"], r["mode"]) for r in results] == [("binary", "plain"), ("float", "bf16")]
    assert tf.keras.mixed_precision.global_policy().name == before  # the bf16 build leaves the policy
    assert all(0 < r["convolution_share"] < 1 and r["op_ms_per_step"] > 0 for r in results)
    assert results[0]["time_per_image_to_first"] == 1.0
    assert all(r["p10"] <= r["images_per_second"] <= r["p90"] and r["images_per_second"] > 0 for r in results)
    paths = throughput.write(results, str(tmp_path), command="test")
    assert [os.path.basename(p) for p in paths] == [f"train_throughput_32.{e}" for e in ("json", "md", "png")]
    assert "| resnet20:float@bf16 |" in open(paths[1]).read()
    assert throughput.write(results, str(tmp_path), name="modes")[0].endswith("modes.json")
    assert "bound: 1 / convolution share" in open(paths[1]).read()
    # each model's op time by its own layers' classes, largest first (the binary convs), never
    # by another model's: ReAct-ResNet-18 has no HardTanh, ResNet-20 no RPReLU
    react, resnet = (r["largest_layers"] for r in results)
    assert 0 < len(react) <= throughput.LAYERS and sum(share for _, share in react) <= 1
    assert react == sorted(react, key=lambda item: -item[1]) and react[0][0] == "BinaryConv2D"
    assert "HardTanh" not in dict(react) and "RPReLU" not in dict(resnet)
    assert "| reactnet_resnet18 | " in open(paths[1]).read().split("largest layer classes")[1]
    assert json.load(open(paths[0]))["machine"]["cores"] >= 1  # timings say which CPU they ran on
    assert open(paths[1]).read().splitlines()[-1].startswith("Measured on ")
    with pytest.raises(ValueError, match="unknown model 'resnet9000'"):
        throughput.parse_model("resnet9000")
    with pytest.raises(ValueError, match="quantization must be one of"):
        throughput.parse_model("bcdnet_a:ternary")
    assert throughput.parse_model("bcdnet_a:float@xla") == ("bcdnet_a", "float", "xla")
    with pytest.raises(ValueError, match="bcdnet_a@fp8: the mode after @ must be one of"):
        throughput.parse_model("bcdnet_a@fp8")


def test_throughput_measures_every_model_at_each_batch_size_side_by_side(tmp_path, capsys):
    from larq_bcd import cli
    from larq_bcd.training import throughput

    results = throughput.measure(["resnet20"], batch_size=(2, 4), steps=1, rounds=1, warmup=1)
    assert [(r["name"], r["batch_size"]) for r in results] == [("resnet20 (batch 2)", 2), ("resnet20 (batch 4)", 4)]
    assert results[0]["time_per_image_to_first"] == 1.0 and results[1]["images_per_second"] > 0
    assert "batch 2, 4 (" in throughput.markdown(results).splitlines()[0]
    # One batch size as the command line gives it (a list of one): the names stay plain.
    (single,) = throughput.measure(["resnet20"], batch_size=[2], steps=1, rounds=1, warmup=1)
    assert (single["name"], single["batch_size"]) == ("resnet20", 2)
    with pytest.raises(ValueError, match="batch sizes must be integers > 0, got \\(4, 0\\)"):
        throughput.measure(["resnet20"], batch_size=(4, 0))
    # A bad batch size on the command line: one line naming the flag, nothing written.
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["throughput", "resnet20", "--output", str(tmp_path), "--batch-size", "128", "0"])
    assert exit_info.value.code == 2 and "--batch-size" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


@pytest.mark.slow  # XLA compiles the training step for a minute or more
def test_throughput_measures_the_step_compiled_by_xla():
    from larq_bcd.training import throughput

    (result,) = throughput.measure(["resnet20@xla"], batch_size=4, steps=1, rounds=1, warmup=1)
    assert result["mode"] == "xla" and result["images_per_second"] > 0


def test_op_profile_groups_a_training_steps_op_time():
    from larq_bcd.layers import RPReLU
    from larq_bcd.training import op_profile

    assert op_profile.group("_MklNativeConv2DBackpropFilter") == "convolution"
    assert op_profile.group("FusedBatchNormGradV3") == "batch_norm"
    assert op_profile.group("SelectV2") == "other"
    inputs = tf.keras.Input((8, 8, 3))
    x = tf.keras.layers.Conv2D(16, 3, padding="same", name="conv")(inputs)
    x = tf.keras.layers.BatchNormalization(name="bn")(x)
    x = RPReLU(name="act")(x)
    outputs = tf.keras.layers.Dense(2)(tf.keras.layers.GlobalAveragePooling2D()(x))
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 8, 8, 3), np.float32), np.zeros((4, 2), np.float32)
    model.train_on_batch(x, y)
    ops = op_profile.profile(lambda: model.train_on_batch(x, y), steps=2)
    times = op_profile.by_type(ops)
    assert sum(times.values()) == pytest.approx(sum(ops.values()))
    layer_times = op_profile.by_layer(ops, model)
    assert sum(layer_times.values()) == pytest.approx(sum(ops.values()))  # every op counted once
    # each layer's forward and gradient ops by its class: the conv's (and no other's) in Conv2D
    assert {"Conv2D", "BatchNormalization", "RPReLU", "Dense"} <= set(layer_times)
    conv_ops = sum(t for (op_type, _), t in ops.items() if op_profile.group(op_type) == "convolution")
    assert layer_times["Conv2D"] >= conv_ops > 0
    assert "SGD" in {scope for _, name in ops for scope in name.split("/")}  # the optimizer's ops
    assert layer_times[op_profile.OPTIMIZER] > 0
    fake = {("Mul", "gradient_tape/model/act/mul"): 2.0, ("AddN", "AddN"): 1.0, ("Sub", "SGD/sub"): 0.5}
    assert op_profile.by_layer(fake, model) == {"RPReLU": 2.0, op_profile.UNATTRIBUTED: 1.0, op_profile.OPTIMIZER: 0.5}
    assert op_profile.largest_layers(fake, model, count=2) == [("RPReLU", 2 / 3.5), (op_profile.UNATTRIBUTED, 1 / 3.5)]
    shares = op_profile.shares(times)
    assert set(shares) == set(op_profile.GROUPS)
    assert shares["convolution"] > 0 and shares["batch_norm"] > 0 and shares["other"] > 0
    assert sum(shares.values()) == pytest.approx(1.0)
    largest = op_profile.largest(times, count=2)
    assert len(largest) == 2 and largest[0][1] >= largest[1][1] > 0
    assert all(op_profile.group(op) == "other" for op, _ in largest)
    assert not any(name.startswith("__inference") or name in ("Process", "Run") for name in times)
    with pytest.raises(ValueError, match="no op time"):
        op_profile.shares({})


def test_throughput_against_a_git_ref_is_relative_to_the_control_and_absolute(tmp_path):
    from larq_bcd.training import against_ref

    def run(control, model):  # images/s; time per image relative to the control
        return [
            {"name": "reactnet_a", "images_per_second": control, "time_per_image_to_first": 1.0},
            {"name": "resnet20", "images_per_second": model, "time_per_image_to_first": control / model},
        ]

    # The machine got twice as slow for the second repeat: the ratio to the control still holds.
    summary = against_ref.summarize("old", [run(200, 100), run(100, 50)], [run(200, 200), run(100, 100)])
    [control, model] = summary["rows"]
    assert control["speedup"] == pytest.approx(1.0) and model["speedups"] == pytest.approx([2.0, 2.0])
    table = against_ref.markdown(summary, "cmd")
    assert "| resnet20 | 2.00 2.00 | 1.00 1.00 | 2.00x 2.00x | 2.00x | 100 50 | 200 100 | 2.00x |" in table
    # A change that speeds up the control too shows only in the absolute speed-up.
    faster = against_ref.summarize("old", [run(100, 50)], [run(150, 75)])
    assert faster["rows"][1]["speedup"] == pytest.approx(1.0)
    assert [r["absolute_speedup"] for r in faster["rows"]] == pytest.approx([1.5, 1.5])
    with pytest.raises(ValueError, match="control model first"):
        against_ref.measure("HEAD", ["resnet20"], str(tmp_path))
    with pytest.raises(ValueError, match="--against-ref .no-such-ref.: not a commit"):
        against_ref.measure("no-such-ref", ["reactnet_a", "resnet20"], str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_against_ref_times_a_code_with_this_codes_harness(tmp_path):
    from larq_bcd.training import against_ref

    options = {"batch_size": 2, "steps": 1, "rounds": 1, "warmup": 1}
    output = str(tmp_path / "run.json")
    (result,) = against_ref._throughput(against_ref.REPOSITORY, ["resnet20"], output, options)
    assert result["name"] == "resnet20" and result["batch_size"] == 2 and result["images_per_second"] > 0
    # The child is the larq-bcd command to the code under test: this code turns on oneDNN there.
    assert result["onednn"] == (os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") == "1")
    # A code too old for the harness: a clear error, not a traceback from the child.
    old = tmp_path / "old"
    (old / "larq_bcd").mkdir(parents=True)
    (old / "larq_bcd" / "__init__.py").write_text("")
    with pytest.raises(RuntimeError, match="this code's harness cannot run on that code: .*zoo"):
        against_ref._throughput(str(old), ["resnet20"], str(tmp_path / "old.json"), options)


def test_report_table_curves_and_best_binary_model(tmp_path):
    from larq_bcd.training import report

    def fake_run(name, quantization, top1, curve):
        run_dir = tmp_path / name
        run_dir.mkdir()
        args = {"width_multiplier": 0.25, **({"quantization": quantization} if quantization else {})}
        steps = {"train": {"epochs": len(curve), "seconds": 60.0, "images_per_second": 99.0}}
        (run_dir / "results.json").write_text(
            json.dumps(
                {
                    "recipe": {"model": name, "model_args": args},
                    "steps": steps,
                    "top1": top1,
                    "test_examples": 10000,
                    "command": f"larq-bcd train {name}.yaml",
                }
            )
        )
        rows = "".join(f"{i},0.5,1.0,{a},1.0\n" for i, a in enumerate(curve))
        (run_dir / "history_train.csv").write_text("epoch,accuracy,loss,val_accuracy,val_loss\n" + rows)
        (run_dir / "model.keras").write_bytes(name.encode())
        return str(run_dir)

    runs = [
        fake_run("reactnet_a", None, 0.47, [0.31, 0.43, 0.47]),
        fake_run("reactnet_resnet18", "float", 0.70, [0.52, 0.70]),
    ]
    # A notes file that does not exist is named, and nothing is written.
    with pytest.raises(FileNotFoundError, match="--notes .*missing.md: no such file"):
        report.write(report.collect(runs), str(tmp_path / "zoo"), "cifar10", str(tmp_path / "missing.md"))
    assert not (tmp_path / "zoo").exists()
    notes = tmp_path / "notes.md"
    notes.write_text("A paragraph written by hand.\n")
    report.write(report.collect(runs), str(tmp_path / "zoo"), "cifar10", str(notes))
    table = (tmp_path / "zoo" / "cifar10.md").read_text()
    # The hand-written notes survive a regeneration: appended last, named in the command.
    assert table.endswith("\n\nA paragraph written by hand.\n")
    assert f"--name cifar10 --notes {notes}`." in table
    assert "| reactnet_a | binary | 0.25 | 47.00% | 3 | 31.0 43.0 47.0 | 1.0 | 99.0 |" in table
    assert "| reactnet_resnet18 | float twin |" in table
    # The best *binary* run is copied, even though the float twin scores higher.
    assert (tmp_path / "zoo" / "reactnet_a_cifar10.keras").read_bytes() == b"reactnet_a"
    assert (tmp_path / "zoo" / "cifar10_curves.png").stat().st_size > 0


def test_runs_under_way_are_compared_at_the_longest_equal_budget(tmp_path, capsys):
    from larq_bcd.training import report

    def fake_state(model, curve, quantization="binary", command=None, epochs=600, train=0.5):
        state = tmp_path / f"{model}_{quantization}_{epochs}"
        state.mkdir()
        if command:
            (state / "command.txt").write_text(command + "\n")
        recipe = {"model": model, "epochs": epochs, "model_args": {"quantization": quantization}}
        (state / "recipe.json").write_text(json.dumps(recipe))
        rows = "".join(f"{i},{train},1.0,1800,{a},1.0\n" for i, a in enumerate(curve))
        (state / "history_train.csv").write_text("epoch,accuracy,loss,seconds,val_accuracy,val_loss\n" + rows)
        return str(state)

    states = [
        fake_state("resnet20", [0.3, 0.4, 0.5, 0.6], command="larq-bcd train recu.yaml threads=1"),
        fake_state("rep_resnet20", [0.35, 0.45]),
        fake_state("reactnet_a", [0.4, 0.5]),
        fake_state("reactnet_resnet18", [0.6, 0.7], quantization="float"),
    ]
    notes = tmp_path / "recu_notes.md"
    notes.write_text("Why the runs differ.")
    report.write_progress(report.progress(states), str(tmp_path), "recu", "larq-bcd report --in-progress", str(notes))
    table = (tmp_path / "recu.md").read_text()
    assert "at least **2 epochs**" in table and "Made by `larq-bcd report --in-progress`." in table
    assert table.endswith("`larq-bcd report --in-progress`.\n\nWhy the runs differ.\n")
    assert table.startswith("# recu: runs under way") and "still short of their planned epochs: 4 of 4." in table
    row = "| resnet20 | 4 / 600 | 40.00% | 35.00% | 60.00% | 60.00% | – | 2.0 | 298.0 | 87.5% (CIFAR-10) | `larq-bcd train recu.yaml threads=1` |"
    assert row in table
    assert (
        "| rep_resnet20 | 2 / 600 | 45.00% | 40.00% | 45.00% | 45.00% | – | 1.0 | 299.0 | 88.97% (CIFAR-10) | – |"
        in table
    )
    assert (
        "| reactnet_a | 2 / 600 | 50.00% | 45.00% | 50.00% | 50.00% | – | 1.0 | 299.0 | 69.4% (ImageNet) | – |" in table
    )
    # the paper's number is the binary model's: none for a float twin
    assert (
        "| reactnet_resnet18 (float twin) | 2 / 600 | 70.00% | 65.00% | 70.00% | 70.00% | – | 1.0 | 299.0 | – | – |"
        in table
    )
    # Each run against the first, epoch by epoch (epochs 1-2 here).
    assert "| model | mean difference, epochs 1-2 (points) | ahead in |" in table
    assert "| rep_resnet20 | +5.00 | 2 of 2 epochs | +0.00 |" in table
    assert "| reactnet_a | +10.00 | 2 of 2 epochs | +0.00 |" in table
    assert "| reactnet_resnet18 (float twin) | +30.00 | 2 of 2 epochs | +0.00 |" in table
    (tmp_path / "zoo").mkdir()
    with pytest.raises(FileNotFoundError, match="no recipe.json"):
        report.progress([str(tmp_path / "zoo")])
    with pytest.raises(FileNotFoundError, match="nowhere: no such folder"):
        report.progress([str(tmp_path / "nowhere")])
    with pytest.raises(FileNotFoundError, match="nowhere: no such folder"):
        report.collect([str(tmp_path / "nowhere")])

    # A set budget keeps the finished rows at it; a run short of it shows – there.
    report.write_progress(report.progress(states[:2]), str(tmp_path), "at4", command="c", budget=4)
    table = (tmp_path / "at4.md").read_text()
    assert "after **4 epochs**" in table and "has not reached it shows –: 1 of 2)" in table
    assert "| resnet20 | 4 / 600 | 60.00% | 45.00% |" in table and "| rep_resnet20 | 2 / 600 | – | – |" in table
    assert "mean difference" not in table  # nothing to pair the first run with at that budget
    # The paired window is the last 20 epochs up to the budget (6-25 of 25); a tie is not ahead.
    base = fake_state("resnet20", [0.5] * 25, epochs=800)
    other = fake_state("es_resnet20", [0.9] * 5 + [0.6] * 10 + [0.5] * 4 + [0.3] * 6, epochs=800, train=0.525)
    report.write_progress(report.progress([base, other]), str(tmp_path), "paired", command="c")
    table = (tmp_path / "paired.md").read_text()
    assert "| es_resnet20 | -1.00 | 10 of 20 epochs | +2.50 |" in table and "epoch by epoch over epochs 6-25" in table
    assert "| ahead in | training top-1, mean difference (points) |" in table
    # A log without the training top-1 column: the paired table keeps its test columns only.
    history = tmp_path / "es_resnet20_binary_800" / "history_train.csv"
    history.write_text(
        "\n".join(",".join(line.split(",")[:1] + line.split(",")[2:]) for line in history.read_text().split("\n"))
    )
    report.write_progress(report.progress([base, other]), str(tmp_path), "paired", command="c")
    table = (tmp_path / "paired.md").read_text()
    assert "| es_resnet20 | -1.00 | 10 of 20 epochs |\n" in table and "training top-1" not in table
    # The same comparison at every 25 epochs below the budget (25 and 50 of 51; 50 itself: 25 only).
    base = fake_state("resnet20", [0.5] * 51, epochs=900)
    other = fake_state("es_resnet20", [0.6] * 25 + [0.4] * 26, epochs=900, train=0.525)
    report.write_progress(report.progress([base, other]), str(tmp_path), "history", command="c")
    table = (tmp_path / "history.md").read_text()
    assert "| budget | resnet20 | es_resnet20 | es_resnet20 - resnet20 |" in table
    assert (
        "| 25 | 50.00% | 60.00% | +10.00 (20/20) / +2.50 |\n| 50 | 50.00% | 40.00% | -10.00 (0/20) / +2.50 |\n" in table
    )
    report.write_progress(report.progress([base, other]), str(tmp_path), "history", command="c", budget=50)
    table = (tmp_path / "history.md").read_text()
    assert "| 25 | 50.00% | 60.00% |" in table and "| 50 |" not in table
    assert "earlier budgets" not in (tmp_path / "paired.md").read_text()  # 25 epochs: none earlier
    # The mean column averages the last five epochs up to the budget (epochs 3-7 of 7).
    long = fake_state("resnet20", [0.1, 0.1, 0.5, 0.7, 0.5, 0.7, 0.4], epochs=700)
    report.write_progress(report.progress([long]), str(tmp_path), "mean", command="c", budget=7)
    table = (tmp_path / "mean.md").read_text()
    assert "| top-1 at epoch 7 | mean, epochs 3-7 |" in table and "| 7 / 700 | 40.00% | 56.00% | 70.00% |" in table
    # Hours to go: epochs left x the median seconds of the last 10 epochs (two slow early ones ignored).
    seconds = [90000, 90000, 300, 320, 310, 900, 330, 290, 305, 315, 325, 295]
    rows = "".join(f"{i},0.5,1.0,{t},0.5,1.0\n" for i, t in enumerate(seconds))
    (tmp_path / "paced").mkdir()
    (tmp_path / "paced" / "history_train.csv").write_text("epoch,accuracy,loss,seconds,val_accuracy,val_loss\n" + rows)
    assert report.hours_to_go(str(tmp_path / "paced"), 600) == pytest.approx(588 * 312.5 / 3600)
    assert report.hours_to_go(str(tmp_path / "paced"), 12) == 0 and report.hours_to_go(str(tmp_path), 600) is None
    with pytest.raises(ValueError, match="`--budget` must be a positive integer, got 0"):
        report.write_progress(report.progress(states[:2]), str(tmp_path), "at0", command="c", budget=0)
    assert not (tmp_path / "at0.md").exists()
    from larq_bcd import cli

    assert cli.main(["report", *states[:2], "--budget", "4", "--output", str(tmp_path)]) == 2  # needs --in-progress
    assert cli.main(["report", "--in-progress", *states[:2], "--notes", str(tmp_path / "none.md")]) == 2
    errors = capsys.readouterr().err
    assert "--budget compares runs under way: use it with --in-progress" in errors
    assert "none.md: no such file" in errors and "Traceback" not in errors

    # The caveat about unfinished schedules names only the runs still under way ...
    finished = [fake_state("reactnet_a", [0.4, 0.5], epochs=2), fake_state("rep_resnet20", [0.4, 0.5, 0.6], epochs=3)]
    report.write_progress(report.progress(finished[:1] + states[1:2]), str(tmp_path), "mixed", command="c")
    assert "still short of their planned epochs: 1 of 2." in (tmp_path / "mixed.md").read_text()
    # ... and disappears once every run has finished its planned epochs.
    # A finished run's state folder holds train's results.json: the saved model's top-1.
    (tmp_path / "reactnet_a_binary_2" / "results.json").write_text(json.dumps({"top1": 0.5123}))
    report.write_progress(report.progress(finished), str(tmp_path), "done", command="c")
    table = (tmp_path / "done.md").read_text()
    assert "| reactnet_a | 2 / 2 | 50.00% | 45.00% | 50.00% | 50.00% | 51.23% | 1.0 | 0.0 |" in table
    assert table.startswith("# done: finished runs") and "not final" not in table
    assert "these are their final test accuracies" in table
    (tmp_path / "reactnet_a_binary_2" / "results.json").write_text("{}")  # cut short: one line naming it
    with pytest.raises(ValueError, match="reactnet_a_binary_2/results.json: not a results.json"):
        report.progress(finished)


def test_progress_chart_smooths_like_the_table_and_draws_papers_on_their_dataset(tmp_path):
    from larq_bcd.training import report

    # The thick curve is the table's mean column: epoch e averages epochs max(1, e - 4)..e.
    assert report.trailing_mean([1, 2, 3, 4, 5, 6], 5) == [1, 1.5, 2, 2.5, 3, 4]
    assert report.trailing_mean([], 5) == []
    assert report.same_dataset("data/cifar10/", "CIFAR-10") and report.same_dataset("cifar10", "CIFAR-10")
    assert not report.same_dataset("data/cifar10", "ImageNet") and not report.same_dataset("sample", "CIFAR-10")
    states = []
    for model, dataset in [("resnet20", "data/cifar10"), ("reactnet_a", "data/cifar10"), ("rep_resnet20", "sample")]:
        state = tmp_path / model
        state.mkdir()
        (state / "recipe.json").write_text(json.dumps({"model": model, "epochs": 600, "dataset": dataset}))
        rows = "".join(f"{i},0.5,1.0,60,{0.3 + i / 100},1.0\n" for i in range(40))  # past SMOOTH_AFTER
        (state / "history_train.csv").write_text("epoch,accuracy,loss,seconds,val_accuracy,val_loss\n" + rows)
        states.append(str(state))
    rows = report.progress(states)
    # ReCU's 87.5% is a CIFAR-10 number: drawn for the CIFAR-10 run only, not ReActNet-A's ImageNet one
    assert [r["paper_dataset"] for r in rows] == [True, False, False]
    report.write_progress(rows, str(tmp_path), "chart", command="c")
    assert (tmp_path / "chart_curves.png").stat().st_size > 0
    # a run that has not finished an epoch: no equal budget (no "epoch 0", no "epochs 1-0")
    (tmp_path / "vgg_small").mkdir()
    (tmp_path / "vgg_small" / "recipe.json").write_text(json.dumps({"model": "vgg_small", "epochs": 600}))
    report.write_progress(report.progress([*states, str(tmp_path / "vgg_small")]), str(tmp_path), "new", command="c")
    table = (tmp_path / "new.md").read_text()
    assert "No equal budget yet: 1 of 4 runs (vgg_small) have not finished an" in table
    assert "epoch 0" not in table and "1-0" not in table and "| vgg_small | 0 / 600 | – | – |" in table


def test_read_history_skips_the_row_a_run_is_writing(tmp_path):
    from larq_bcd.training.recipe import read_history

    log = tmp_path / "history_train.csv"
    whole = "epoch,accuracy,val_accuracy\r\n0,0.5,0.3\r\n1,0.6,0.4\r\n"
    for written in ("2", "2,0.7", "2,0.7,0.4"):  # a report reading while the logger writes epoch 2
        log.write_text(whole + written, newline="")
        assert [row["epoch"] for row in read_history(str(log), columns=("val_accuracy",))] == ["0", "1"]
    log.write_text(whole + "2,0.7,0.45\r\n", newline="")
    assert read_history(str(log))[-1]["val_accuracy"] == "0.45"


@pytest.mark.parametrize(
    "text,first_epoch,kept,dropped",
    [
        ("", 0, "", []),
        ("epo", 0, "", []),  # killed while writing the header: the logger writes it again
        ("epoch,loss\r\n0,1.0\r\n1,0.9\r\n", 2, "epoch,loss\r\n0,1.0\r\n1,0.9\r\n", []),
        ("epoch,loss\r\n0,1.0\r\n1,0.9\r\n1,0.", 2, "epoch,loss\r\n0,1.0\r\n1,0.9\r\n", []),
        ("epoch,loss\r\n0,1.0\r\n1,0.9\r\n2,0.8\r\n", 1, "epoch,loss\r\n0,1.0\r\n", [1, 2]),
        ("epoch,loss\r\n0,1.0\r\n", 0, "epoch,loss\r\n", [0]),
    ],
)
def test_a_resumed_log_keeps_only_the_backed_up_epochs(tmp_path, text, first_epoch, kept, dropped):
    from larq_bcd.training.recipe import _trim_log

    path = tmp_path / "history_train.csv"
    path.write_bytes(text.encode())
    assert _trim_log(str(path), first_epoch) == dropped
    assert path.read_bytes() == kept.encode()
    assert _trim_log(str(tmp_path / "none.csv"), 3) == []
    path.write_bytes(b"epoch,loss\r\n0,1.0\r\nx,0.9\r\n")
    with pytest.raises(ValueError, match="history_train.csv: line 3 is not a row of a training log"):
        _trim_log(str(path), 1)
    path.write_bytes(b"loss,epoch\r\n1.0,0\r\n")
    with pytest.raises(ValueError, match="history_train.csv: not the CSV log of a training run"):
        _trim_log(str(path), 1)
    assert path.read_bytes() == b"loss,epoch\r\n1.0,0\r\n"  # refused, not emptied


def test_report_names_the_file_and_line_of_a_broken_log_or_recipe(tmp_path, capsys):
    from larq_bcd import cli

    state = tmp_path / "run"
    state.mkdir()
    (state / "recipe.json").write_text(json.dumps({"model": "resnet20", "epochs": 600}))
    broken = {
        "epoch,accuracy,val_accuracy\n0,0.5,0.3\n1,0.5\n": "history_train.csv, line 3: not a row",  # cut short
        "epoch,accuracy\n0,0.5\n": "history_train.csv, line 2: not a row",  # no test top-1
        "garbage\n\x00\x01\n": "history_train.csv, line 2: not a row",
    }
    for text, error in broken.items():
        (state / "history_train.csv").write_text(text)
        for command in (["report", "--in-progress"], ["tradeoff"]):
            assert cli.main([*command, str(state), "--output", str(tmp_path / "out")]) == 2
            assert error in capsys.readouterr().err
    (state / "history_train.csv").write_text("epoch,accuracy,val_accuracy,seconds\n0,0.5,0.3,60\n")
    for text, error in [
        ("{", "not a run's recipe.json (Expecting"),
        ("[]", "not a run's recipe.json (not a JSON object)"),
        ('{"model": "resnet20"}', "not a run's recipe.json (no 'epochs')"),
        # hand-edited: a model this version does not have, a value no recipe may hold
        (
            '{"model": "nosuchnet", "epochs": 600}',
            "not a recipe this version can read (recipe key `model`: 'nosuchnet'",
        ),
        ('{"model": "resnet20", "epochs": "600 epochs"}', "not a recipe this version can read (recipe key `epochs`"),
    ]:
        (state / "recipe.json").write_text(text)
        for command in (["report", "--in-progress"], ["tradeoff"]):
            assert cli.main([*command, str(state), "--output", str(tmp_path / "out")]) == 2
            errors = capsys.readouterr().err
            assert f"recipe.json: {error}" in errors and "Traceback" not in errors
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")


def test_tradeoff_chart_labels_never_overlap_and_stay_by_their_point():
    from larq_bcd.training.tradeoff import place_labels

    # three points on one spot, one close above them, one far away, one at the right edge
    points = [(100, 100), (100, 100), (100, 100), (100, 104), (400, 300), (590, 200)]
    widths = [10, 10, 20, 10, 10, 30]
    markers = [(x - 3, x + 3, y - 3, y + 3) for x, y in points]
    places = place_labels(points, widths, 8, pad=3, bounds=(0, 600), obstacles=markers)
    boxes = []
    for (x, y), width, (side, rise) in zip(points, widths, places):
        left, right = sorted((x + side * 3, x + side * (3 + width)))
        boxes.append((left, right, y + rise, y + rise + 8))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :] + markers:
            assert not (a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]), (a, b)
    assert places[4] == (1, 3)  # alone: above right, where it starts
    assert places[5][0] == -1  # no room on the right: drawn to the left
    assert places[0][1] == -11  # the lowest of the pile goes below, away from the point above it


def test_tradeoff_costs_runs_on_their_flatbuffer_and_charts_them(tmp_path):
    from larq_bcd.training import tradeoff

    state = tmp_path / "recu_resnet20"
    state.mkdir()
    recipe = Recipe(model="resnet20", dataset="sample", output=str(state), epochs=600)
    (state / "recipe.json").write_text(json.dumps(dataclasses.asdict(recipe)))
    (state / "history_train.csv").write_text(
        "epoch,accuracy,loss,seconds,val_accuracy,val_loss\n0,0.3,2,9,0.25,2\n1,0.4,2,9,0.5,2\n"
    )
    [entry] = tradeoff.measure([str(state)], runs=2, log=lambda line: None)
    # under way: plotted at the mean of its last MEAN_EPOCHS (here both) epochs, not its last one
    assert (entry["top1"], entry["last_epoch_top1"], entry["epochs"], entry["planned_epochs"]) == (0.375, 0.5, 2, 600)
    assert entry["lce_bconv2d"] == 18  # ResNet-20's binary convs, all bit-packed
    assert entry["ops"] == pytest.approx(entry["bops"] / 64 + entry["flops"])
    assert entry["bops"] > 30 * entry["flops"] and entry["latency_ms"] > 0
    paths = tradeoff.write([entry], str(tmp_path / "zoo"), "tradeoff", command="test")
    assert [os.path.basename(p) for p in paths] == [f"tradeoff.{e}" for e in ("json", "md", "png")]
    assert "| 1 | recu_resnet20 | 37.50% | 2 / 600 |" in open(paths[1]).read()
    recipe = dataclasses.replace(recipe, epochs=2)  # finished: its last epoch's top-1
    (state / "recipe.json").write_text(json.dumps(dataclasses.asdict(recipe)))
    entry, _ = tradeoff.point(str(state))
    assert (entry["top1"], entry["last_epoch_top1"], entry["epochs"], entry["planned_epochs"]) == (0.5, 0.5, 2, 2)

    saved = tmp_path / "model.keras"
    inputs = tf.keras.Input((32, 32, 3))
    logits = tf.keras.layers.Dense(10)(tf.keras.layers.GlobalAveragePooling2D()(inputs))
    tf.keras.Model(inputs, logits).save(saved)
    entry, _ = tradeoff.point(str(saved), dataset="sample")
    assert 0 <= entry["top1"] <= 1 and entry["epochs"] is None
    with pytest.raises(ValueError, match="give --dataset"):
        tradeoff.point(str(saved))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="neither results.json"):
        tradeoff.point(str(tmp_path / "empty"))
    (state / "history_train.csv").write_text("epoch,accuracy,loss,seconds,val_accuracy,val_loss\n")
    with pytest.raises(ValueError, match="not completed an epoch"):
        tradeoff.point(str(state))


def test_a_finished_step_saved_by_another_architecture_is_named_not_loaded(tmp_path):
    """A run folder from before the layers changed: one clear error, not a shape traceback."""
    recipe = Recipe(
        model="resnet20", dataset="sample", output=str(tmp_path / "run"), epochs=1, train_limit=32, test_limit=32
    )
    other = zoo.VGGSmall(num_classes=10, classifier_activation=None)
    (tmp_path / "run").mkdir()
    other.save_weights(str(tmp_path / "run" / "train.weights.h5"))
    with pytest.raises(ValueError, match="does not fit the model this recipe builds now.*--overwrite"):
        run(recipe, command="test", log=lambda *_: None)


def test_dtype_policy_sets_and_gives_back_the_global_policy():
    from larq_bcd.training.recipe import dtype_policy

    with dtype_policy("mixed_bfloat16"):
        assert tf.keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        with dtype_policy(None):  # None leaves it as it is
            assert tf.keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    tf.keras.backend.set_floatx("float64")  # given back as "follow floatx", not pinned to float32
    try:
        assert tf.keras.mixed_precision.global_policy().name == "float64"
    finally:
        tf.keras.backend.set_floatx("float32")


def test_one_train_per_run_folder_at_a_time(tmp_path, capsys):
    """A second ``train`` of a run that is training stops at once with one line naming the
    folder and the process; ``--overwrite`` does not delete the folder from under it; the
    lock goes when its holder ends, and each worker of a multi-worker run has its own."""
    from larq_bcd import cli
    from larq_bcd.training.run_lock import RunLocked, lock_name, run_lock

    state = tmp_path / "state"
    state.mkdir()
    with run_lock(str(state)):
        assert (state / "train.lock").read_text() == f"{os.getpid()}\n"
        message = f"{state}: another `larq-bcd train` is training this run (process {os.getpid()})"
        with pytest.raises(RunLocked, match=re.escape(message)):
            with run_lock(str(state)):
                pass
    assert not (state / "train.lock").exists()
    with run_lock(str(state)):  # free again
        pass

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"model: resnet20\ndataset: sample\noutput: {tmp_path / 'run'}\nbatch_size: 32\nepochs: 1\n"
        f"train_limit: 32\ntest_limit: 32\nstate_dir: {state}\n"
    )
    parsed = Recipe.from_file(str(recipe), [])
    (state / "recipe.json").write_text(json.dumps(dataclasses.asdict(parsed)))  # a run under way
    lines = []
    with run_lock(str(state)):
        with pytest.raises(RunLocked):
            run(parsed, log=lines.append)
        assert lines == []  # stopped before reading the data
        assert cli.main(["train", str(recipe)]) == 2
        assert "another `larq-bcd train` is training this run" in capsys.readouterr().err
        assert cli.main(["train", str(recipe), "--overwrite"]) == 2
        assert (state / "recipe.json").exists()
    assert cli.main(["train", str(recipe)]) == 0  # the holder has gone: the run goes on
    assert not (state / "train.lock").exists()

    tf_config = json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}})
    assert lock_name("multiworker", tf_config) == "train-worker1.lock"
    assert lock_name("default", tf_config) == lock_name() == "train.lock"
    with pytest.raises(ValueError, match="TF_CONFIG is not a JSON object"):
        lock_name("multiworker", "worker1")


def test_a_killed_train_leaves_no_stale_lock(tmp_path):
    """The lock is the kernel's (``flock``): SIGKILL its holder and the run folder is free."""
    import signal
    import subprocess
    import sys

    from larq_bcd.training import run_lock as module

    holder = (
        "import importlib.util, sys, time\n"
        f"spec = importlib.util.spec_from_file_location('run_lock', {module.__file__!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"with m.run_lock({str(tmp_path)!r}):\n"
        "    print('held', flush=True); time.sleep(600)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "held"
        with pytest.raises(module.RunLocked, match=f"process {process.pid}"):
            with module.run_lock(str(tmp_path)):
                pass
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert (tmp_path / "train.lock").exists()  # left behind by the kill, but not held
    with module.run_lock(str(tmp_path)):
        assert (tmp_path / "train.lock").read_text() == f"{os.getpid()}\n"


def test_a_read_only_run_folder_is_named_before_any_work(tmp_path, monkeypatch, capsys):
    """A state folder ``train`` cannot write in stops it at once with one line naming the
    key and the folder (it was a PermissionError traceback, and a new run's only after the
    data was read). ``os.access`` is denied for it: the tests may run as root."""
    from larq_bcd import cli

    state = tmp_path / "state"
    state.mkdir()
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: access(path, mode) and os.fspath(path) != str(state))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: resnet20\ndataset: sample\noutput: {tmp_path / 'run'}\nepochs: 1\nstate_dir: {state}\n")
    lines = []
    with pytest.raises(
        ValueError, match=re.escape(f"recipe key `state_dir`: cannot write in {state}: {state} is not writable")
    ):
        run(Recipe.from_file(str(recipe), []), log=lines.append)
    assert lines == [] and os.listdir(state) == [] and not (tmp_path / "run").exists()
    assert cli.main(["train", str(recipe)]) == 2
    assert "`state_dir`: cannot write in" in capsys.readouterr().err
