import os
import subprocess
import sys


def python(code, **env):
    clean = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    clean.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean)


def test_import_selects_tf_keras_before_tensorflow():
    code = "import larq_bcd, tensorflow as tf, os; print(os.environ['TF_USE_LEGACY_KERAS'], tf.keras.Model.__module__)"
    for env in ({}, {"TF_USE_LEGACY_KERAS": "1"}):
        out = python(code, **env)
        assert out.returncode == 0, out.stderr[-500:]
        flag, module = out.stdout.split()
        assert flag == "1" and module.startswith("tf_keras")


def test_tensorflow_imported_first_with_keras_3_gives_a_clear_import_error():
    out = python("import tensorflow as tf; import larq_bcd")
    assert out.returncode != 0
    assert "ImportError: TensorFlow was imported with Keras 3" in out.stderr
    assert "Import larq_bcd before tensorflow" in out.stderr


def test_environment_asking_for_keras_3_gives_a_clear_import_error():
    out = python("import larq_bcd", TF_USE_LEGACY_KERAS="0")
    assert "ImportError: TF_USE_LEGACY_KERAS='0' selects Keras 3" in out.stderr
    # With the variable set before Python starts, TensorFlow may come first.
    out = python("import tensorflow, larq_bcd; import larq", TF_USE_LEGACY_KERAS="1")
    assert out.returncode == 0, out.stderr[-500:]
