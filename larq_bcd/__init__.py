"""larq-bcd: accurate binary neural networks (BCDNet, DySign, RepBNN, ES-BNN) for Keras + Larq.

Importing this package selects tf-keras (Keras 2): larq only works with it, so
``TF_USE_LEGACY_KERAS=1`` is set here before TensorFlow is imported.
"""

import os
import sys

__version__ = "0.1.0"

_LEGACY_HELP = (
    "larq_bcd needs tf-keras (Keras 2), which larq requires. Import larq_bcd before "
    "tensorflow, or set TF_USE_LEGACY_KERAS=1 in the environment before Python starts "
    "(and `pip install tf-keras`)."
)

_preset = os.environ.get("TF_USE_LEGACY_KERAS")
if _preset is not None and _preset.lower() not in ("1", "true"):
    raise ImportError(f"TF_USE_LEGACY_KERAS={_preset!r} selects Keras 3. " + _LEGACY_HELP)
if "tensorflow" in sys.modules and _preset is None:
    # TensorFlow binds its Keras at import time: setting the variable now is too late.
    raise ImportError("TensorFlow was imported with Keras 3 before larq_bcd. " + _LEGACY_HELP)
os.environ["TF_USE_LEGACY_KERAS"] = "1"


def _is_our_command():
    """Whether this process is ``larq-bcd``/``lce_convert`` (or ``python -m larq_bcd[.x]``)."""
    if os.path.basename(sys.argv[0] if sys.argv else "") in ("larq-bcd", "lce_convert"):
        return True
    argv = getattr(sys, "orig_argv", [])
    return len(argv) > 2 and argv[1] == "-m" and argv[2].split(".")[0] == "larq_bcd"


if _is_our_command() and "--verbose" not in sys.argv:
    # Our console scripts are quiet by default: TensorFlow's C++ start-up messages (CUDA
    # factory registration on CPU machines) are noise there; --verbose keeps them.
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: Whether this process turned on oneDNN itself (``--against-ref`` then runs the old code without it).
ONEDNN_SET_HERE = _is_our_command() and "TF_ENABLE_ONEDNN_OPTS" not in os.environ
if ONEDNN_SET_HERE:
    # TensorFlow 2.16 turns its oneDNN kernels on only for CPUs with AVX512-VNNI, BF16 or AMX.
    # On the AVX2 machines we train on they make a binary model's training step 1.3-1.5x
    # faster (the convolutions' backward passes most; zoo/benchmarks/train_throughput_fit_step.md).
    # Our commands turn them on unless the environment says otherwise (TF_ENABLE_ONEDNN_OPTS=0).
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"

from larq_bcd import layers, quantizers  # noqa: E402
from larq_bcd.quantizers import (  # noqa: E402
    ApproxSign,
    DySign,
    ReActWeightSign,
    ReCU,
    StandardizedApproxSign,
)

__all__ = [
    "layers",
    "quantizers",
    "zoo",
    "ApproxSign",
    "DySign",
    "ReActWeightSign",
    "ReCU",
    "StandardizedApproxSign",
]


def __getattr__(name):
    # Submodules that import more (the zoo, conversion, training) load on first use.
    if name in ("zoo", "convert", "benchmark", "data", "training", "device", "demo", "cli"):
        import importlib

        return importlib.import_module(f"larq_bcd.{name}")
    raise AttributeError(f"module 'larq_bcd' has no attribute {name!r}")
