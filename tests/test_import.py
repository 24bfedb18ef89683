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


def test_our_commands_turn_on_onednn_unless_the_environment_chose():
    # sys.argv[0] is what tells a larq-bcd process from a user's script.
    code = (
        "import sys; sys.argv = [{argv!r}]; import os, larq_bcd; "
        "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'), larq_bcd.ONEDNN_SET_HERE)"
    )
    clean = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    for argv, env, expected in (
        ("/usr/bin/larq-bcd", {}, "1 True"),
        ("/usr/bin/larq-bcd", {"TF_ENABLE_ONEDNN_OPTS": "0"}, "0 False"),
        ("my_script.py", {}, "None False"),  # a user's own script keeps TensorFlow's default
    ):
        out = subprocess.run(
            [sys.executable, "-c", code.format(argv=argv)], capture_output=True, text=True, env={**clean, **env}
        )
        assert out.returncode == 0, out.stderr[-500:]
        assert out.stdout.split()[-2:] == expected.split()
