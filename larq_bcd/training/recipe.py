"""Recipes: a YAML file per model and dataset, overridable from the command line, and ``run``.

    larq-bcd train zoo/recipes/bcdnet_b_cifar10.yaml epochs=2 model_args.width_multiplier=0.5

A run writes into ``output``: ``results.json`` (top-1, epochs, wall time, images/s, the
command), ``history*.csv``, TensorBoard logs and ``model.keras`` (float32, takes raw 0-255
RGB, outputs logits). Its resumable state (the last epoch's weights, optimizer and schedule
position, the per-epoch CSV log with each epoch's seconds, the recipe, the command) lives in
``state_dir`` (default: ``output``). Point ``state_dir`` into the repository (e.g.
``zoo/checkpoints/NAME``) and a long run continues on a fresh machine from its last
completed epoch: rerun the same command. A rerun with a different recipe is refused.
"""

import contextlib
import csv
import dataclasses
import io
import json
import os
import shutil
import time

from larq_bcd import zoo
from larq_bcd._utils import atomic_output, atomic_path, load_keras_model, read_json, unwritable_reason
from larq_bcd.data import batches, decoded, load
from larq_bcd.data.sources import naming_bad_images
from larq_bcd.training.distiller import Distiller
from larq_bcd.training.precision import bfloat16_binary_convs
from larq_bcd.training.recu import ReCUTauSchedule, recu_quantizers
from larq_bcd.training.run_lock import lock_name, run_lock
from larq_bcd.training.schedules import WarmupDecay
from larq_bcd.training.strategy import get_strategy

import tensorflow as tf
import yaml

#: The keys ``step1`` / ``step2`` may set for their step.
STEP_KEYS = ("learning_rate", "warmup_epochs", "decay", "optimizer", "momentum", "weight_decay")


@dataclasses.dataclass
class Recipe:
    """Every knob of a training run (the YAML keys)."""

    model: str
    dataset: str = "sample"
    output: str = "runs/unnamed"
    #: The zoo builder's keyword arguments (``zoo.arguments(model)``), e.g. ``{width_multiplier:
    #: 0.25}``; not those the recipe sets (``NOT_MODEL_ARGS``: input shape, classes, heads).
    model_args: dict = dataclasses.field(default_factory=dict)
    image_size: int = 32
    batch_size: int = 128
    epochs: int = 10
    two_step: bool = False
    step1_epochs: int = 0
    #: Per-step settings of a two-step recipe, e.g. ``step1: {learning_rate: 4.0e-3,
    #: weight_decay: 0.01}``, ``step2: {learning_rate: 5.0e-4}`` (keys: STEP_KEYS).
    step1: dict = dataclasses.field(default_factory=dict)
    step2: dict = dataclasses.field(default_factory=dict)
    learning_rate: float = 2e-3
    warmup_epochs: float = 0.0
    decay: str = "cosine"
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    recu_tau: tuple = (0.85, 0.99)
    label_smoothing: float = 0.1
    augmentation: str = "crop_flip"
    teacher: str | None = None
    temperature: float = 1.0
    kd_alpha: float = 1.0
    #: false (float32), true (every layer under ``mixed_bfloat16``) or ``binary_convs``
    #: (only the binary convolutions in bfloat16: ``precision.bfloat16_binary_convs``).
    mixed_precision: bool | str = False
    strategy: str = "default"
    train_limit: int | None = None
    test_limit: int | None = None
    #: Keep the decoded training images in memory (CIFAR); false for ImageNet-size data.
    cache: bool = True
    #: tfds' data folder (for ``dataset: imagenet2012`` its ``manual_dir`` is inside it).
    data_dir: str | None = None
    seed: int = 0
    state_dir: str | None = None
    threads: int = 0
    safe_mode: bool = True

    def __post_init__(self):
        _validate(self)

    @property
    def state(self):
        """Where the resumable state lives: ``state_dir``, or ``output``."""
        return self.state_dir or self.output

    @classmethod
    def from_file(cls, path, overrides=()):
        """Read ``path`` (YAML) and apply ``key=value`` overrides (dotted keys for dicts)."""
        if not os.path.exists(path):
            raise FileNotFoundError(f"recipe not found: {path}")
        if os.path.isdir(path):
            raise ValueError(f"{path} is a folder: give a recipe file (e.g. zoo/recipes/recu_resnet20_cifar10.yaml)")
        try:
            with open(path) as handle:
                config = yaml.safe_load(handle) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
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
                if not isinstance(target, dict):
                    raise ValueError(f"override {item!r}: `{parent}` is not a mapping")
            try:
                target[leaf] = yaml.safe_load(value)
            except yaml.YAMLError:
                raise ValueError(f"override {item!r}: the value is not valid YAML") from None
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"{path}: unknown recipe keys {unknown}; known: {sorted(known)}")
        if "model" not in config:
            raise ValueError(f"{path}: a recipe needs `model` (one of {zoo.available()}).")
        # One recipe for several models (an equal-budget comparison): "{model}" in the
        # run's folders is the model's name, e.g. `output: runs/rank30_{model}_cifar10`.
        for key in ("output", "state_dir"):
            if isinstance(config.get(key), str) and isinstance(config["model"], str):
                config[key] = config[key].replace("{model}", config["model"])
        return cls(**config)

    @classmethod
    def from_saved(cls, config, source):
        """The recipe a run saved (its ``recipe.json``, or ``results.json``'s ``recipe``), or a
        ValueError naming ``source`` when it is not one this version can run (an unknown key, a
        bad value, e.g. a hand-edited file)."""
        try:
            return cls(**config)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{source}: not a recipe this version can read ({error})") from None

    @classmethod
    def from_state(cls, path):
        """The recipe in a run's ``recipe.json`` (written by ``train`` into its state folder),
        or a ValueError naming the file."""
        return cls.from_saved(read_json(path, "a run's recipe.json", keys=("model", "epochs")), path)


def _check(key, value, ok, allowed):
    if not ok:
        raise ValueError(f"recipe key `{key}`: {value!r} is not allowed; expected {allowed}.")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _validate(recipe):
    """Refuse bad recipe values before any work, naming the key (one line)."""
    from larq_bcd.data.augment import AUGMENTATIONS

    r = recipe
    _check(
        "model",
        r.model,
        isinstance(r.model, str) and r.model.lower().replace("-", "_") in zoo.available(),
        f"one of {zoo.available()}",
    )
    for key in ("dataset", "output"):
        _check(key, getattr(r, key), isinstance(getattr(r, key), str) and getattr(r, key), "a non-empty string")
    _check("model_args", r.model_args, isinstance(r.model_args, dict), "a mapping of builder arguments")
    takes = sorted(set(zoo.arguments(r.model.lower().replace("-", "_"))) - set(NOT_MODEL_ARGS))
    unknown = {key: value for key, value in r.model_args.items() if key not in takes}
    _check("model_args", unknown, not unknown, f"arguments of the {r.model} builder: {takes}")
    _check("image_size", r.image_size, _is_int(r.image_size) and r.image_size >= 8, "an integer >= 8")
    for key in ("batch_size", "epochs"):
        _check(key, getattr(r, key), _is_int(getattr(r, key)) and getattr(r, key) >= 1, "a positive integer")
    _check(
        "step1_epochs",
        r.step1_epochs,
        _is_int(r.step1_epochs) and r.step1_epochs >= (1 if r.two_step else 0),
        "a positive integer when two_step" if r.two_step else "an integer >= 0",
    )
    _check("learning_rate", r.learning_rate, _is_number(r.learning_rate) and r.learning_rate > 0, "a number > 0")
    _check(
        "warmup_epochs",
        r.warmup_epochs,
        _is_number(r.warmup_epochs) and 0 <= r.warmup_epochs < r.epochs,
        f"a number in [0, epochs={r.epochs})",
    )
    _check("decay", r.decay, r.decay in ("cosine", "linear"), "'cosine' or 'linear'")
    _check("optimizer", r.optimizer, r.optimizer in ("adam", "sgd"), "'adam' or 'sgd'")
    _check("momentum", r.momentum, _is_number(r.momentum) and 0 <= r.momentum < 1, "a number in [0, 1)")
    _check("weight_decay", r.weight_decay, _is_number(r.weight_decay) and r.weight_decay >= 0, "a number >= 0")
    tau = r.recu_tau
    _check(
        "recu_tau",
        tau,
        isinstance(tau, (list, tuple))
        and len(tau) == 2
        and all(_is_number(t) for t in tau)
        and 0.5 < tau[0] <= tau[1] < 1,
        "[tau_min, tau_max] with 0.5 < tau_min <= tau_max < 1",
    )
    _check(
        "label_smoothing",
        r.label_smoothing,
        _is_number(r.label_smoothing) and 0 <= r.label_smoothing < 1,
        "a number in [0, 1)",
    )
    _check("augmentation", r.augmentation, r.augmentation in AUGMENTATIONS, f"one of {list(AUGMENTATIONS)}")
    _check("teacher", r.teacher, r.teacher is None or isinstance(r.teacher, str), "a model path or null")
    _check("temperature", r.temperature, _is_number(r.temperature) and r.temperature > 0, "a number > 0")
    _check("kd_alpha", r.kd_alpha, _is_number(r.kd_alpha) and 0 <= r.kd_alpha <= 1, "a number in [0, 1]")
    _check(
        "data_dir", r.data_dir, r.data_dir is None or (isinstance(r.data_dir, str) and r.data_dir), "a folder or null"
    )
    for key in ("two_step", "safe_mode", "cache"):
        _check(key, getattr(r, key), isinstance(getattr(r, key), bool), "true or false")
    _check(
        "mixed_precision",
        r.mixed_precision,
        isinstance(r.mixed_precision, bool) or r.mixed_precision == "binary_convs",
        "true, false or binary_convs",
    )
    _check(
        "strategy",
        r.strategy,
        r.strategy in ("default", "mirrored", "multiworker", "tpu"),
        "default, mirrored, multiworker or tpu",
    )
    for key in ("train_limit", "test_limit"):
        value = getattr(r, key)
        _check(key, value, value is None or (_is_int(value) and value >= 1), "a positive integer or null")
    _check("seed", r.seed, _is_int(r.seed) and r.seed >= 0, "an integer >= 0")
    for key in ("step1", "step2"):
        value = getattr(r, key)
        _check(
            key,
            value,
            isinstance(value, dict) and set(value) <= set(STEP_KEYS),
            f"a mapping with keys from {list(STEP_KEYS)}",
        )
    _check(
        "state_dir",
        r.state_dir,
        r.state_dir is None or (isinstance(r.state_dir, str) and r.state_dir),
        "a folder or null",
    )
    _check("threads", r.threads, _is_int(r.threads) and r.threads >= 0, "an integer >= 0 (0: TensorFlow's default)")


def _optimizer(recipe, steps_per_epoch, epochs, weight_decay):
    """Adam (AdamW: decoupled decay on conv kernels) or SGD with momentum (the L2 decay of
    PyTorch's SGD on every weight is added to the loss by the ``Distiller``)."""
    warmup_steps = int(recipe.warmup_epochs * steps_per_epoch)
    schedule = WarmupDecay(
        recipe.learning_rate,
        total_steps=max(steps_per_epoch * epochs, warmup_steps + 1, 2),
        warmup_steps=warmup_steps,
        # SGD recipes (ReCU) warm up linearly from lr / 5, as ReCU's lr * (epoch + 1) / 5.
        initial=recipe.learning_rate / 5 if recipe.optimizer == "sgd" else None,
        decay=recipe.decay,
    )
    if recipe.optimizer == "sgd":
        return tf.keras.optimizers.SGD(schedule, momentum=recipe.momentum)
    if recipe.optimizer != "adam":
        raise ValueError(f"`optimizer` must be 'adam' or 'sgd', got {recipe.optimizer!r}.")
    if weight_decay:
        return tf.keras.optimizers.AdamW(schedule, weight_decay=weight_decay)
    return tf.keras.optimizers.Adam(schedule)


def _conv_kernels_only(optimizer, model):
    """Weight decay on conv kernels only (ReActNet/BCDNet step 1)."""
    if isinstance(optimizer, tf.keras.optimizers.AdamW):
        keep = {id(layer.kernel) for layer in model.layers if isinstance(layer, tf.keras.layers.Conv2D)}
        optimizer.exclude_from_weight_decay(var_list=[v for v in model.trainable_variables if id(v) not in keep])


#: Builder arguments a recipe's ``model_args`` may not hold: ``build_model`` sets them from the
#: recipe and the model's name (a training model has its classifier and gives logits).
NOT_MODEL_ARGS = (
    "architecture",
    "classifier_activation",
    "dual_head",
    "include_top",
    "input_shape",
    "input_tensor",
    "name",
    "num_classes",
)


def build_model(recipe, num_classes, quantization="binary", dual_head=False):
    """The recipe's zoo model (logits out) for one step: ``quantization`` "binary",
    "activations" (step 1) or "float"; ``dual_head`` for BCDNet's distillation heads."""
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


class EpochSeconds(tf.keras.callbacks.Callback):
    """Adds each epoch's wall time to the logs as ``seconds`` (before the CSV logger)."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.time() - self._start


def read_history(path, columns=()):
    """The per-epoch rows of a run's CSV log, one per epoch (a rerun epoch keeps its last row);
    a ValueError naming the file and line when a row has no epoch number or no number in one
    of ``columns``. A last line without its newline is skipped: the logger ends every row it
    finishes with one, so that row is being written (a run in progress) or was cut by a kill."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        text = handle.read()
    rows = {}
    reader = csv.DictReader(io.StringIO(text[: text.rfind("\n") + 1]))
    for row in reader:
        try:
            epoch = int(row["epoch"])
            for column in columns:
                float(row[column])
        except (KeyError, TypeError, ValueError):
            needed = ", ".join(["epoch", *columns])
            raise ValueError(
                f"{path}, line {reader.line_num}: not a row of a `larq-bcd train` log (needs numbers in: {needed})"
            ) from None
        rows[epoch] = row
    return [rows[epoch] for epoch in sorted(rows)]


def _trim_log(path, first_epoch):
    """Cut a CSV log back to the epochs the backup holds (whole rows of epochs before
    ``first_epoch``); returns the epochs of the rows it dropped. A process killed while the
    logger wrote a row leaves part of it, which the resumed run's first row would extend; one
    killed after logging an epoch but before backing it up leaves the row of an epoch that is
    trained again, which would be logged twice."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as handle:
        lines = handle.read().splitlines(keepends=True)

    def epoch(number):
        try:
            return int(lines[number].split(b",", 1)[0])
        except ValueError:
            raise ValueError(f"{path}: line {number + 1} is not a row of a training log") from None

    keep, dropped = [], []
    for number, line in enumerate(lines):
        whole = line.endswith(b"\n")
        if number == 0:  # the header; the logger writes it again if it was cut
            if not whole:
                break
            if not line.startswith(b"epoch,"):
                raise ValueError(f"{path}: not the CSV log of a training run (its header: {line.strip()[:80]!r})")
        elif not whole or epoch(number) >= first_epoch:
            dropped += [epoch(n) for n in range(number, len(lines)) if lines[n].endswith(b"\n")]
            break
        keep.append(line)
    if len(keep) < len(lines):
        with open(path, "rb+") as handle:
            handle.truncate(sum(len(line) for line in keep))
    return dropped


def _summary(history, num_examples):
    """A step's results from its whole CSV log (every epoch, across resumes)."""
    seconds = sum(float(row.get("seconds") or 0.0) for row in history)
    return {
        "epochs": len(history),
        "seconds": round(seconds, 1),
        "images_per_second": round(num_examples * len(history) / seconds, 1) if seconds else None,
        "val_accuracy": [round(float(row["val_accuracy"]), 4) for row in history if row.get("val_accuracy")],
    }


class StoppedEarly(Exception):
    """``train`` stopped at an epoch boundary because its time budget (``stop_after``) ran
    out; the run's state is kept and rerunning the same command continues it."""

    def __init__(self, tag, epoch, epochs, state):
        super().__init__(
            f"{tag}: stopped after epoch {epoch} of {epochs} (time budget reached); "
            f"the state in {state} is kept: rerun the same command to continue"
        )
        self.tag, self.epoch, self.epochs, self.state = tag, epoch, epochs, state


def _resume_epoch(backup):
    """The first epoch still to train: one past the epoch of the last backup (0 if none)."""
    path = tf.train.latest_checkpoint(os.path.join(backup, "chief"))
    if not path:
        return 0
    return int(tf.train.load_variable(path, "ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE")) + 1


def _restore_backup(distiller, backup):
    """Load the last ``BackupAndRestore`` checkpoint of ``backup`` into ``distiller`` (its
    ``model`` entry: the student's weights and the optimizer's state)."""
    path = tf.train.latest_checkpoint(os.path.join(backup, "chief"))
    status = tf.train.Checkpoint(model=distiller).read(path)
    status.expect_partial().assert_existing_objects_matched()


class ScheduleDrift(RuntimeError):
    """The optimizer's step count left ``epochs x steps per epoch``: the learning-rate
    schedule (a function of that count) no longer matches the recipe."""


class ScheduleCheck(tf.keras.callbacks.Callback):
    """Stops a run whose optimizer did not take exactly ``steps_per_epoch`` steps per epoch.

    After epoch ``e`` (0-based) the count must be ``(e + 1) * steps_per_epoch``. More means
    something stepped the optimizer outside the training batches (e.g. an evaluation that
    trained on the test set): the schedule and the test numbers would both be wrong. Put
    before the CSV logger and ``BackupAndRestore``: the bad epoch is neither logged nor
    saved, so the state on disk stays the last good epoch.
    """

    def __init__(self, tag, steps_per_epoch):
        super().__init__()
        self.tag, self.steps_per_epoch = tag, int(steps_per_epoch)

    def on_epoch_end(self, epoch, logs=None):
        expected = (epoch + 1) * self.steps_per_epoch
        taken = int(self.model.optimizer.iterations.numpy())
        if taken != expected:
            raise ScheduleDrift(
                f"{self.tag}: after epoch {epoch + 1} the optimizer has taken {taken} steps, expected "
                f"{expected} ({self.steps_per_epoch} per epoch): the learning-rate schedule has drifted. "
                "The run stops; its state is the last good epoch."
            )


def _fit_step(
    recipe,
    tag,
    model,
    teacher,
    load_train,
    test,
    epochs,
    weight_decay,
    strategy,
    log,
    extra_callbacks=(),
    deadline=None,
):
    os.makedirs(recipe.output, exist_ok=True)
    os.makedirs(recipe.state, exist_ok=True)
    done = os.path.join(recipe.state, f"{tag}.weights.h5")
    history_path = os.path.join(recipe.state, f"history_{tag}.csv")
    backup = os.path.join(recipe.state, f"backup_{tag}")
    first_epoch = 0 if os.path.exists(done) else _resume_epoch(backup)
    if first_epoch >= epochs:  # stopped after the last backup, before the weights were saved
        log(f"{tag}: all {epochs} epochs trained; taking the weights of the last backup in {backup}")
    elif first_epoch:
        log(f"{tag}: resuming at epoch {first_epoch + 1} of {epochs}")
    train = load_train(first_epoch)  # the data of one epoch (seeded by the epoch)
    sgd = recipe.optimizer == "sgd"
    with strategy.scope():
        distiller = Distiller(
            model,
            teacher,
            temperature=recipe.temperature,
            alpha=recipe.kd_alpha,
            label_smoothing=recipe.label_smoothing,
            l2=weight_decay if sgd else 0.0,
        )
        steps_per_epoch = train.steps(recipe.batch_size)
        optimizer = _optimizer(recipe, steps_per_epoch, epochs, weight_decay)
        _conv_kernels_only(optimizer, model)
        distiller.compile(optimizer=optimizer)
    if os.path.exists(done):
        log(f"{tag}: already trained, loading {done}")
        try:
            model.load_weights(done)
        except ValueError as error:  # e.g. the layers changed since that run
            raise ValueError(
                f"{done} does not fit the model this recipe builds now ({str(error).splitlines()[0]}); "
                "rerun with --overwrite (or a new `output`) to train it again."
            ) from None
    else:
        callbacks = [EpochSeconds(), ScheduleCheck(tag, steps_per_epoch)]
        if recu_quantizers(model):
            callbacks.append(ReCUTauSchedule(model, epochs, *recipe.recu_tau))
        dropped = _trim_log(history_path, first_epoch)
        if dropped:
            named = ", ".join(str(epoch + 1) for epoch in dropped)
            log(f"{tag}: epoch{'s' * (len(dropped) > 1)} {named} logged but not backed up: trained again")
        callbacks += [
            tf.keras.callbacks.CSVLogger(history_path, append=True),
            # Kept between the one-epoch fits below; removed once the step is done.
            tf.keras.callbacks.BackupAndRestore(backup, delete_checkpoint=False),
            tf.keras.callbacks.TensorBoard(os.path.join(recipe.output, "logs", tag)),
            *extra_callbacks,
        ]
        # One fit per epoch, each on the data of that epoch: a resumed run sees the same
        # order and augmentation as an uninterrupted one.
        for epoch in range(first_epoch, epochs):
            if deadline is not None and time.monotonic() >= deadline:
                raise StoppedEarly(tag, epoch, epochs, recipe.state)
            data = train if epoch == first_epoch else load_train(epoch)
            log(f"{tag}: epoch {epoch + 1} of {epochs}")  # Keras' own line says "Epoch k/k"
            distiller.fit(
                data.data,
                validation_data=test.data,
                initial_epoch=epoch,
                epochs=epoch + 1,
                callbacks=callbacks,
                verbose=1,
            )
        if first_epoch >= epochs:  # no fit ran, so none restored the backup's weights
            _restore_backup(distiller, backup)
        with atomic_path(done) as partial:  # a kill mid-write leaves no half file to load
            model.save_weights(partial)
        shutil.rmtree(backup, ignore_errors=True)
    if os.path.abspath(recipe.state) != os.path.abspath(recipe.output):
        shutil.copy(history_path, os.path.join(recipe.output, f"history_{tag}.csv"))
    return _summary(read_history(history_path), train.num_examples)


#: Recipe keys a resumed run may change: they do not change what is trained.
NOT_RECORDED = ("threads", "safe_mode")


def _record(recipe):
    """What ``recipe.json`` holds: the recipe without ``NOT_RECORDED``."""
    return {k: v for k, v in json.loads(json.dumps(dataclasses.asdict(recipe))).items() if k not in NOT_RECORDED}


def _check_same_recipe(recipe):
    """A run folder belongs to one recipe: whether there is one to resume (a ValueError if it
    is another recipe's). Reads only: ``_claim_state`` writes the recipe of a new run."""
    path = os.path.join(recipe.state, "recipe.json")
    mine = _record(recipe)
    if os.path.exists(path):
        theirs = {k: v for k, v in read_json(path, "a run's recipe.json").items() if k not in NOT_RECORDED}
        # Keys added to recipes after that run started hold their defaults there.
        for field in dataclasses.fields(Recipe):
            if field.name not in theirs and field.name in mine:
                default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
                theirs[field.name] = json.loads(json.dumps(default))
        changed = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        if changed:
            raise ValueError(
                f"{recipe.state} holds a run of a different recipe (changed: {', '.join(changed)}); "
                "give a new `output`/`state_dir`, or delete the folder to start over."
            )
        return True
    return False


def _claim_state(recipe):
    """Make the state folder of a new run and write its ``recipe.json``."""
    os.makedirs(recipe.state, exist_ok=True)
    with atomic_output(os.path.join(recipe.state, "recipe.json"), "w") as handle:
        json.dump(_record(recipe), handle, indent=2)


@contextlib.contextmanager
def dtype_policy(name):
    """Build layers under the global dtype policy ``name`` (``None``: leave it as it is),
    then set it back. A policy that only followed floatx goes back to following it instead
    of being pinned, so a later ``set_floatx("float64")`` still takes effect."""
    policy = tf.keras.mixed_precision.global_policy()
    if name is not None:
        tf.keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        if name is not None:
            following_floatx = policy.name == tf.keras.backend.floatx()
            tf.keras.mixed_precision.set_global_policy(None if following_floatx else policy)


def _float32_copy(recipe, model, num_classes, dual_head):
    """The trained weights in a float32 model (LCE refuses mixed precision)."""
    with dtype_policy("float32"):
        copy = build_model(recipe, num_classes, "binary", dual_head)
        copy.set_weights(model.get_weights())
    return zoo.fold_dual_head(copy, classifier_activation=None) if dual_head else copy


@dataclasses.dataclass
class Step:
    """One step of a recipe: its tag (``train``, ``step1``, ``step2``), model, epochs and
    settings (the recipe with the step's own ``step1:``/``step2:`` values)."""

    tag: str
    model: tf.keras.Model
    epochs: int
    settings: Recipe


@dataclasses.dataclass
class Data:
    """A run's data: ``train(epoch)`` gives the training batches of one epoch (decoded once,
    shuffled and augmented from (seed, epoch)); ``test`` the evaluation batches."""

    train: object
    test: object
    num_examples: int
    num_classes: int


def load_data(recipe):
    """The recipe's training and test data."""
    args = {"limit": recipe.train_limit, "cache": recipe.cache, "data_dir": recipe.data_dir}
    examples = decoded(recipe.dataset, "train", **args)

    def train(epoch):
        return batches(
            examples,
            image_size=recipe.image_size,
            batch_size=recipe.batch_size,
            training=True,
            augmentation=recipe.augmentation,
            seed=recipe.seed,
            epoch=epoch,
        )

    test = load(
        recipe.dataset,
        "test",
        image_size=recipe.image_size,
        batch_size=recipe.batch_size,
        limit=recipe.test_limit,
        cache=recipe.cache,
        data_dir=recipe.data_dir,
    )
    return Data(train, test, examples.num_examples, len(examples.class_names))


def build(recipe, num_classes, dual_head=False, strategy=None):
    """The steps of ``recipe``: one (``train``), or ``step1`` (binary activations, real
    weights) and ``step2`` (binary). Two-step recipes decay weights in step 1 only
    (ReActNet/BCDNet) unless ``step2`` says otherwise; one step decays throughout."""
    strategy = strategy or tf.distribute.get_strategy()

    def model(quantization):
        built = build_model(recipe, num_classes, quantization, dual_head)
        return bfloat16_binary_convs(built) if recipe.mixed_precision == "binary_convs" else built

    steps = []
    with strategy.scope():
        if recipe.two_step:
            settings = dataclasses.replace(recipe, **recipe.step1)
            steps.append(Step("step1", model("activations"), recipe.step1_epochs, settings))
            settings = dataclasses.replace(recipe, **{"weight_decay": 0.0, **recipe.step2})
            steps.append(Step("step2", model("binary"), recipe.epochs, settings))
        else:
            steps.append(Step("train", model("binary"), recipe.epochs, recipe))
    return steps


def fit(recipe, steps, data, teacher=None, strategy=None, log=print, callbacks=(), deadline=None):
    """Train the steps in order (step 2 starts from step 1's weights), each resumable from
    its last completed epoch; returns ``(model, {tag: step results})``. Raises
    ``StoppedEarly`` before an epoch that would start after ``deadline`` (``time.monotonic``)."""
    strategy = strategy or tf.distribute.get_strategy()
    results, previous = {}, None
    for step in steps:
        if previous is not None:
            step.model.set_weights(previous.get_weights())
        with naming_bad_images(recipe.dataset):
            results[step.tag] = _fit_step(
                step.settings,
                step.tag,
                step.model,
                teacher,
                data.train,
                data.test,
                step.epochs,
                step.settings.weight_decay,
                strategy,
                log,
                callbacks,
                deadline,
            )
        previous = step.model
    return previous, results


def export(recipe, model, data, dual_head=False):
    """The trained model as the float32, one-output inference model (raw 0-255 RGB in,
    logits out) and its top-1 on the test data: ``(model, top1)``."""
    final = _float32_copy(recipe, model, data.num_classes, dual_head)
    final.compile(
        metrics=[tf.keras.metrics.CategoricalAccuracy(name="accuracy")],
        loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    _, top1 = final.evaluate(data.test.data, verbose=0)
    return final, float(top1)


def train(recipe, command=None, log=print, callbacks=(), stop_after=None):
    """Train ``recipe`` (two steps if ``two_step``), evaluate and save it into ``output``;
    returns ``(model, results)``: the float32 inference model and the results dict.

    Rerunning the same recipe into the same folder resumes it from its last completed
    epoch, with the same data order and augmentation an uninterrupted run would have had
    (or, if it finished, reports it again from its logs); a different recipe there raises
    ``ValueError``. ``callbacks`` are added to each step's ``fit``.

    ``stop_after`` (minutes) is a time budget: no epoch starts once it has passed since the
    call, and ``StoppedEarly`` is raised instead, the state kept for a rerun to continue
    (a long run spread over sittings stops on an epoch boundary, not mid-epoch).

    One ``train`` per state folder at a time (``run_lock``): a second one raises
    ``RunLocked`` (when it resumes a run: before it reads any data).
    """
    if stop_after is not None and not stop_after >= 0:
        raise ValueError(f"stop_after must be a number of minutes >= 0, got {stop_after!r}")
    deadline = None if stop_after is None else time.monotonic() + 60.0 * stop_after
    for key, folder in {"output": recipe.output, "state_dir": recipe.state}.items():
        problem = unwritable_reason(folder)  # before the data is read, not when fit makes it
        if problem:
            raise ValueError(f"recipe key `{key}`: cannot write in {folder}: {problem}")
    if recipe.threads:
        tf.config.threading.set_intra_op_parallelism_threads(recipe.threads)
        tf.config.threading.set_inter_op_parallelism_threads(recipe.threads)
    tf.keras.utils.set_random_seed(recipe.seed)
    resuming = _check_same_recipe(recipe)  # before minutes of listing an ImageNet folder
    with contextlib.ExitStack() as held:
        lock = lock_name(recipe.strategy)
        if resuming:  # a second `train` of a run stops here, before minutes of reading data
            held.enter_context(run_lock(recipe.state, lock))
        # The data and the teacher before the state folder: a run that cannot start leaves none
        # behind (whose recipe.json would refuse the corrected rerun as "a different recipe").
        strategy = get_strategy(recipe.strategy)
        data = load_data(recipe)
        log(
            f"{recipe.model}: {data.num_examples} train / {data.test.num_examples} test images, {data.num_classes} classes"
        )
        teacher = None
        if recipe.teacher:
            if not os.path.exists(recipe.teacher):
                raise FileNotFoundError(f"teacher model not found: {recipe.teacher}")
            try:
                teacher = load_keras_model(recipe.teacher, unsafe=not recipe.safe_mode)
            except Exception as error:  # noqa: BLE001 - any loader failure is the file's problem
                raise ValueError(f"teacher {recipe.teacher}: not a model Keras can load ({error})") from None
        if resuming:
            log(f"{recipe.model}: resuming the run in {recipe.state}")
        else:
            _claim_state(recipe)
            held.enter_context(run_lock(recipe.state, lock))
        if command:  # how to continue the run; ``report --in-progress`` shows it
            with atomic_output(os.path.join(recipe.state, "command.txt"), "w") as handle:
                handle.write(command + "\n")
        # BCDNet's DeiT-style two classifiers (the record's ``dual_head``) when a teacher is given
        dual_head = zoo.config(recipe.model).dual_head and teacher is not None
        with dtype_policy("mixed_bfloat16" if recipe.mixed_precision is True else None):
            steps = build(recipe, data.num_classes, dual_head, strategy)
            model, step_results = fit(recipe, steps, data, teacher, strategy, log, callbacks, deadline)
        final, top1 = export(recipe, model, data, dual_head)
        results = {
            "recipe": dataclasses.asdict(recipe),
            "command": command,
            "steps": step_results,
            "top1": round(top1, 4),
            "test_examples": data.test.num_examples,
        }
        path = os.path.join(recipe.output, "model.keras")
        with atomic_path(path) as partial:
            final.save(partial)
        for folder in {recipe.output, recipe.state}:  # the state folder, for ``report --in-progress``
            with atomic_output(os.path.join(folder, "results.json"), "w") as handle:
                json.dump(results, handle, indent=2)
        log(f"{recipe.model}: top-1 {top1:.4f} on {data.test.num_examples} test images; saved {path}")
        return final, results


def run(recipe, command=None, log=print, callbacks=(), stop_after=None):
    """``train`` for the command line: the results dict only."""
    return train(recipe, command, log, callbacks, stop_after)[1]
