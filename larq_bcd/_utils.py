"""Small shared helpers: Keras registration and argument validation."""

import argparse
import contextlib
import json
import numbers
import os
import platform
import tempfile

import larq as lq
import tensorflow as tf


def register(cls):
    """Make ``tf.keras.models.load_model`` find ``cls`` without custom_objects.

    Registered as ``larq_bcd>Name`` (the .keras format) and, with larq's own helper, by its
    bare name (the legacy .h5 / SavedModel configs look it up that way).
    """
    cls = tf.keras.utils.register_keras_serializable(package="larq_bcd")(cls)
    return lq.utils.register_keras_custom_object(cls)


#: Also make a class reachable by a short string (like larq's ``"approx_sign"``).
register_alias = lq.utils.register_alias


def positive_int(name, value):
    """Return ``value`` as an int, or raise ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return int(value)


def choice(name, value, allowed):
    """Return ``value`` if it is one of ``allowed``, or raise ValueError naming the argument."""
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {sorted(allowed)}, got {value!r}.")
    return value


def build_sublayer(layer, input_shape):
    """Build a sublayer in its own name scope, as Keras' ``__call__`` would (unique weight names)."""
    with tf.name_scope(layer.name):
        layer.build(input_shape)


def static_channels(layer, input_shape):
    """The static channel count of a 4-D NHWC input, or a ValueError naming the layer."""
    shape = tf.TensorShape(input_shape)
    if shape.rank != 4 or shape[-1] is None:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' expects a 4-D NHWC input with a known "
            f"channel count, got shape {shape}."
        )
    return int(shape[-1])


def _temporary_beside(path):
    """``mkstemp`` in ``path``'s folder (made if missing); a ValueError naming ``path`` if it cannot."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        return tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    except OSError as error:
        raise ValueError(f"cannot write {path}: {error.strerror or error}") from None


@contextlib.contextmanager
def atomic_output(path, mode="wb"):
    """Write to a temporary file beside ``path`` and move it in place only on success."""
    fd, tmp = _temporary_beside(path)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for secrets, not results
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path):
    """A temporary path beside ``path`` (same suffix) for writers that take a file name
    (``model.save``); moved to ``path`` only on success."""
    fd, tmp = _temporary_beside(path)
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for secrets, not results
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def positive_int_arg(text):
    """argparse ``type``: a positive integer (the flag is named in argparse's error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def unwritable_reason(folder):
    """Why files cannot be made in ``folder`` (created if missing), or ``None``; nothing is left.

    The nearest existing folder is probed with a nameless temporary file: ``os.access`` says
    yes to root where the file system still refuses (``/proc``, some network mounts)."""
    folder = os.path.abspath(folder)
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        return f"{existing} is not writable ({error.strerror or error})"
    return None


def output_file_arg(text):
    """argparse ``type``: a file path the command can write, checked before any work."""
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder: give a file name")
    problem = unwritable_reason(os.path.dirname(os.path.abspath(text)))
    if problem:
        raise argparse.ArgumentTypeError(f"cannot write {text}: {problem}")
    return text


def output_folder_arg(text):
    """argparse ``type``: a folder the command can write its files in (made if missing)."""
    problem = unwritable_reason(text)
    if problem:
        raise argparse.ArgumentTypeError(f"cannot write in {text}: {problem}")
    return text


def nonnegative_float_arg(text):
    """argparse ``type``: a number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def code_carrying_layers(path):
    """Names of layers in a saved Keras model (.h5 or SavedModel folder) that carry Python
    code (``Lambda``): loading them runs that code. Read from the config, nothing is loaded."""
    if os.path.isdir(path):
        metadata = os.path.join(path, "keras_metadata.pb")
        if not os.path.exists(metadata):
            return []
        with open(metadata, "rb") as handle:
            raw = handle.read()
        return ["Lambda"] if b'"class_name": "Lambda"' in raw else []
    import h5py

    with h5py.File(path, "r") as handle:
        config = handle.attrs.get("model_config")
    if config is None:
        return []
    if isinstance(config, bytes):
        config = config.decode("utf-8")
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("class_name") == "Lambda":
                found.append(node.get("config", {}).get("name", "Lambda"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(config))
    return found


def load_keras_model(path, *, unsafe=False):
    """``tf.keras.models.load_model(path, compile=False)`` that runs no code from the file
    unless ``unsafe``: ``.keras`` with Keras' ``safe_mode``, ``.h5`` and SavedModel folders
    refused if they hold ``Lambda`` layers."""
    if path.endswith(".keras"):
        return tf.keras.models.load_model(path, compile=False, safe_mode=not unsafe)
    if not unsafe:
        layers = code_carrying_layers(path)
        if layers:
            raise ValueError(
                f"{path} holds Lambda layers ({', '.join(layers[:3])}) whose Python code would run "
                "when loaded; pass --unsafe (safe_mode=False) only for a file you trust."
            )
    return tf.keras.models.load_model(path, compile=False)


def read_json(path, what, keys=()):
    """The JSON object in ``path``, or a ValueError that names the file when it is not ``what``
    (not JSON, e.g. cut short; not an object; or without one of ``keys``)."""
    with open(path, "rb") as handle:
        try:
            data = json.load(handle)
        except ValueError as error:  # json.JSONDecodeError, UnicodeDecodeError
            raise ValueError(f"{path}: not {what} ({error})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not {what} (not a JSON object)")
    missing = [key for key in keys if key not in data]
    if missing:
        raise ValueError(f"{path}: not {what} (no {', '.join(repr(key) for key in missing)})")
    return data


#: The CPU features that decide which kernels TensorFlow (oneDNN) and LCE run.
CPU_FEATURES = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "asimd", "asimddp")


def host_machine():
    """What a timing on this host depends on: ``{"cpu", "cores", "features", "tensorflow"}``.

    ``cpu`` is the model name in /proc/cpuinfo (else ``platform.processor()``), ``cores`` the
    cores this process may run on, ``features`` those of ``CPU_FEATURES`` the CPU has.
    """
    cpu, flags = "", set()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                key, _, value = (part.strip() for part in line.partition(":"))
                if key in ("model name", "Model") and not cpu:
                    cpu = value
                elif key in ("flags", "Features"):
                    flags.update(value.split())
    except OSError:  # not Linux
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu or platform.processor() or platform.machine() or "unknown CPU",
        "cores": cores,
        "features": [feature for feature in CPU_FEATURES if feature in flags],
        "tensorflow": tf.__version__,
    }


def describe_machine(info):
    """One line for a report: ``Measured on AMD EPYC, 2 cores (avx2, avx512f); TensorFlow 2.16.2.``"""
    features = f" ({', '.join(info['features'])})" if info["features"] else ""
    return f"Measured on {info['cpu']}, {info['cores']} cores{features}; TensorFlow {info['tensorflow']}."


def write_report(output, stem, payload, markdown, plot=None, on_this_host=False):
    """The report files of a measurement, each written atomically into ``output``:
    ``stem``.json (``payload``), ``stem``.md (``markdown``) and, when ``plot`` (a function of
    a file name) is given, ``stem``.png. Returns their paths.

    ``on_this_host``: the payload holds timings made on this host, so ``host_machine()`` is stored
    in the JSON (``machine``) and described on the markdown's last line: timings differ by CPU.
    """
    paths = [os.path.join(output, f"{stem}.{ext}") for ext in ("json", "md", "png")[: 3 if plot else 2]]
    if on_this_host:
        machine = host_machine()
        payload = {**payload, "machine": machine}
        markdown = f"{markdown.rstrip()}\n\n{describe_machine(machine)}\n"
    with atomic_output(paths[0], "w") as handle:
        json.dump(payload, handle, indent=2)
    with atomic_output(paths[1], "w") as handle:
        handle.write(markdown)
    if plot:
        plot(paths[2])
    return paths
