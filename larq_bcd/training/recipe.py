"""Recipes: a YAML file per model and dataset, overridable from the command line, and ``run``.

    larq-bcd train zoo/recipes/bcdnet_b_cifar10.yaml epochs=2 model_args.width_multiplier=0.5

A run writes into ``output``: ``results.json`` (top-1, epochs, wall time, images/s, the
command), ``history*.csv``, TensorBoard logs, per-epoch backups (an interrupted run resumes
where it stopped) and ``model.keras`` (float32, takes raw 0-255 RGB, outputs logits).
"""

import dataclasses
import json
import os
import sys
import time

import tensorflow as tf
import yaml

from larq_bcd import zoo
from larq_bcd.data import load
from larq_bcd.training.distiller import Distiller
from larq_bcd.training.schedules import WarmupDecay
from larq_bcd.training.strategy import get_strategy


#: Models with BCDNet's DeiT-style two classifiers, used when a teacher is given.
DUAL_HEAD_MODELS = ("bcdnet_a", "bcdnet_b")


@dataclasses.dataclass
class Recipe:
    """Every knob of a training run (the YAML keys)."""

    model: str
    dataset: str = "sample"
    output: str = "runs/unnamed"
    model_args: dict = dataclasses.field(default_factory=dict)
    image_size: int = 32
    batch_size: int = 128
    epochs: int = 10
    two_step: bool = False
    step1_epochs: int = 0
    learning_rate: float = 2e-3
    warmup_epochs: float = 0.0
    decay: str = "cosine"
    weight_decay: float = 0.0
    label_smoothing: float = 0.1
    augmentation: str = "crop_flip"
    teacher: str | None = None
    temperature: float = 1.0
    kd_alpha: float = 1.0
    mixed_precision: bool = False
    strategy: str = "default"
    train_limit: int | None = None
    test_limit: int | None = None
    seed: int = 0

    @classmethod
    def from_file(cls, path, overrides=()):
        """Read ``path`` (YAML) and apply ``key=value`` overrides (dotted keys for dicts)."""
        if not os.path.exists(path):
            raise FileNotFoundError(f"recipe not found: {path}")
        with open(path) as handle:
            config = yaml.safe_load(handle) or {}
        if not isinstance(config, dict):
            raise ValueError(f"{path}: a recipe is a YAML mapping of keys to values.")
        for item in overrides:
            if "=" not in item:
                raise ValueError(f"override {item!r} is not key=value")
            key, value = item.split("=", 1)
            target = config
            *parents, leaf = key.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = yaml.safe_load(value)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"{path}: unknown recipe keys {unknown}; known: {sorted(known)}")
        if "model" not in config:
            raise ValueError(f"{path}: a recipe needs `model` (one of {zoo.available()}).")
        return cls(**config)


def _optimizer(recipe, steps_per_epoch, epochs, weight_decay):
    schedule = WarmupDecay(
        recipe.learning_rate,
        total_steps=max(steps_per_epoch * epochs, 2),
        warmup_steps=int(recipe.warmup_epochs * steps_per_epoch),
        decay=recipe.decay,
    )
    if weight_decay:
        return tf.keras.optimizers.AdamW(schedule, weight_decay=weight_decay)
    return tf.keras.optimizers.Adam(schedule)


def _conv_kernels_only(optimizer, model):
    """Weight decay on conv kernels only (ReActNet/BCDNet step 1)."""
    if isinstance(optimizer, tf.keras.optimizers.AdamW):
        keep = {id(layer.kernel) for layer in model.layers if isinstance(layer, tf.keras.layers.Conv2D)}
        optimizer.exclude_from_weight_decay(
            var_list=[v for v in model.trainable_variables if id(v) not in keep]
        )


def _build(recipe, num_classes, quantization, dual_head):
    kwargs = dict(recipe.model_args)
    kwargs.update(
        input_shape=(recipe.image_size, recipe.image_size, 3),
        num_classes=num_classes,
        classifier_activation=None,
    )
    if quantization != "binary":
        kwargs["quantization"] = quantization
    if dual_head:
        kwargs["dual_head"] = True
    return zoo.get(recipe.model, **kwargs)


def _fit_step(recipe, tag, model, teacher, train, test, epochs, weight_decay, strategy, log):
    os.makedirs(recipe.output, exist_ok=True)
    done = os.path.join(recipe.output, f"{tag}.weights.h5")
    with strategy.scope():
        distiller = Distiller(
            model,
            teacher,
            temperature=recipe.temperature,
            alpha=recipe.kd_alpha,
            label_smoothing=recipe.label_smoothing,
        )
        optimizer = _optimizer(recipe, train.steps(recipe.batch_size), epochs, weight_decay)
        _conv_kernels_only(optimizer, model)
        distiller.compile(optimizer=optimizer)
    if os.path.exists(done):
        log(f"{tag}: already trained, loading {done}")
        model.load_weights(done)
        return None
    callbacks = [
        tf.keras.callbacks.BackupAndRestore(os.path.join(recipe.output, f"backup_{tag}")),
        tf.keras.callbacks.CSVLogger(os.path.join(recipe.output, f"history_{tag}.csv"), append=True),
        tf.keras.callbacks.TensorBoard(os.path.join(recipe.output, "logs", tag)),
    ]
    start = time.time()
    history = distiller.fit(
        train.data, validation_data=test.data, epochs=epochs, callbacks=callbacks, verbose=1
    )
    seconds = time.time() - start
    model.save_weights(done)
    return {"seconds": seconds, "epochs": epochs, "history": history.history}


def _float32_copy(recipe, model, num_classes, dual_head):
    """The trained weights in a float32 model (LCE refuses mixed precision)."""
    policy = tf.keras.mixed_precision.global_policy()
    tf.keras.mixed_precision.set_global_policy("float32")
    try:
        copy = _build(recipe, num_classes, "binary", dual_head)
        copy.set_weights(model.get_weights())
    finally:
        tf.keras.mixed_precision.set_global_policy(policy)
    return zoo.fold_dual_head(copy, classifier_activation=None) if dual_head else copy


def run(recipe, command=None, log=print):
    """Train ``recipe`` (two steps if ``two_step``), evaluate, save; return the results dict."""
    tf.keras.utils.set_random_seed(recipe.seed)
    strategy = get_strategy(recipe.strategy)
    data_args = {"image_size": recipe.image_size, "batch_size": recipe.batch_size}
    train = load(recipe.dataset, "train", augmentation=recipe.augmentation, limit=recipe.train_limit, seed=recipe.seed, **data_args)
    test = load(recipe.dataset, "test", limit=recipe.test_limit, **data_args)
    log(f"{recipe.model}: {train.num_examples} train / {test.num_examples} test images, {train.num_classes} classes")
    if recipe.mixed_precision:
        tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
    teacher = None
    if recipe.teacher:
        if not os.path.exists(recipe.teacher):
            raise FileNotFoundError(f"teacher model not found: {recipe.teacher}")
        teacher = tf.keras.models.load_model(recipe.teacher, compile=False)
    dual_head = recipe.model in DUAL_HEAD_MODELS and teacher is not None

    steps = []
    with strategy.scope():
        if recipe.two_step:
            step1 = _build(recipe, train.num_classes, "activations", dual_head)
            steps.append(("step1", step1, recipe.step1_epochs, recipe.weight_decay))
        model = _build(recipe, train.num_classes, "binary", dual_head)
        steps.append(("step2" if recipe.two_step else "train", model, recipe.epochs, 0.0))
    results = {"recipe": dataclasses.asdict(recipe), "command": command, "steps": {}}
    previous = None
    for tag, step_model, epochs, weight_decay in steps:
        if previous is not None:
            step_model.set_weights(previous.get_weights())  # step 2 starts from step 1
        outcome = _fit_step(recipe, tag, step_model, teacher, train, test, epochs, weight_decay, strategy, log)
        if outcome:
            results["steps"][tag] = {
                "epochs": epochs,
                "seconds": round(outcome["seconds"], 1),
                "images_per_second": round(train.num_examples * epochs / outcome["seconds"], 1),
                "val_accuracy": [round(a, 4) for a in outcome["history"].get("val_accuracy", [])],
            }
        previous = step_model
    tf.keras.mixed_precision.set_global_policy("float32")
    final = _float32_copy(recipe, model, train.num_classes, dual_head)
    final.compile(metrics=[tf.keras.metrics.CategoricalAccuracy(name="accuracy")], loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True))
    _, top1 = final.evaluate(test.data, verbose=0)
    results["top1"] = round(float(top1), 4)
    results["test_examples"] = test.num_examples
    path = os.path.join(recipe.output, "model.keras")
    final.save(path)
    with open(os.path.join(recipe.output, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    log(f"{recipe.model}: top-1 {top1:.4f} on {test.num_examples} test images; saved {path}")
    return results


def main_command():
    return " ".join(["larq-bcd", *sys.argv[1:]])
