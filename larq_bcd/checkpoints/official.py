"""Map the official PyTorch checkpoints of ReActNet-A and BCDNet-A onto the zoo's Keras models.

Official code: liuzechun/ReActNet ``mobilenet/*/reactnet.py`` (saved as
``{'state_dict': ..., 'epoch': ...}``, binary conv weights flattened as ``weights``) and
Sense-GVT/BCDNet ``prototype/model/a_3.py`` (saved as ``{'model': ...}``, conv weights as
``weight``, two classifiers ``fc`` and ``fc_dist``). ``module.`` prefixes (DataParallel)
are stripped. Layer by layer, the Keras name says which official module it is:

====================================  ==============================================
Keras layer                            official module (``feature.i`` = ``block{i}``)
====================================  ==============================================
``stem_conv``, ``stem_bn``             ``feature.0.conv1``, ``feature.0.bn1``
``block{i}_3x3_sign_bias``             ``move11``
``block{i}_3x3_conv`` / ``_bn``         ``binary_3x3`` / ``bn1``
``block{i}_3x3_rprelu``                ``move12``, ``prelu1``, ``move13``
``block{i}_1x1_sign_bias``             ``move21``
``block{i}_1x1[_a|_b]_conv`` / ``_bn``  ``binary_pw[_down1|_down2]`` / ``bn2[_1|_2]``
``block{i}_1x1_rprelu``                ``move22``, ``prelu2``, ``move23``
``mlp{g}_shift{j}_*``                  ``mlp_layer.{g-1}.mlp_layer.{j-1}`` (ShiftBlock)
``mlp{g}_point_*``                     ``mlp_layer.{g-1}.mlp_layer.3`` (PointBlock)
``fc``, ``fc_dist``                    ``fc``, ``fc_dist``
====================================  ==============================================

ReAct-ResNet-18 (liuzechun/ReActNet ``resnet/*/birealnet.py``, ``birealnet18``): ``stem_conv``,
``stem_bn`` = ``conv1``, ``bn1``; ``stage{s}_block{b}_`` = ``layer{s}.{b-1}.``: ``3x3_sign_bias``
= ``move0``, ``3x3_conv`` = ``binary_conv``, ``bn`` = ``bn1``, ``downsample`` / ``downsample_bn``
= ``downsample.1`` / ``.2``, ``rprelu`` = ``move1``, ``prelu``, ``move2``.
"""

import logging
import re

from larq_bcd.checkpoints import torch_pickle
from larq_bcd.checkpoints.torch_pickle import is_torch_checkpoint  # noqa: F401  (re-exported)
from larq_bcd.zoo.registry import MODELS, official_names

import numpy as np
import tensorflow as tf

_BLOCK = {
    "3x3_sign_bias": ["move11"],
    "3x3_conv": ["binary_3x3"],
    "3x3_bn": ["bn1"],
    "3x3_rprelu": ["move12", "prelu1", "move13"],
    "1x1_sign_bias": ["move21"],
    "1x1_conv": ["binary_pw"],
    "1x1_a_conv": ["binary_pw_down1"],
    "1x1_b_conv": ["binary_pw_down2"],
    "1x1_bn": ["bn2"],
    "1x1_a_bn": ["bn2_1"],
    "1x1_b_bn": ["bn2_2"],
    "1x1_rprelu": ["move22", "prelu2", "move23"],
}
_RESNET_BLOCK = {
    "3x3_sign_bias": ["move0"],
    "3x3_conv": ["binary_conv"],
    "bn": ["bn1"],
    "downsample": ["downsample.1"],
    "downsample_bn": ["downsample.2"],
    "rprelu": ["move1", "prelu", "move2"],
}
_MLP = {
    "mlp_sign_bias": ["move0"],
    "mlp_identity_conv": ["binary_conv"],
    "mlp_short_conv": ["binary_conv1"],
    "mlp_long_conv": ["binary_conv2"],
    "bn": ["bn1"],
    "rprelu": ["move1", "prelu", "move2"],
}


def state_dict(checkpoint, ema=False):
    """The model weights inside a loaded checkpoint: ``checkpoint['model']`` (BCDNet),
    ``['state_dict']`` (ReActNet), ``['ema']`` if ``ema``, or the dict itself; without
    ``module.`` prefixes."""
    if not isinstance(checkpoint, dict):
        raise ValueError(f"a checkpoint holds a dict of weights, got {type(checkpoint).__name__}.")
    if ema:
        if "ema" not in checkpoint:
            raise ValueError("the checkpoint has no 'ema' entry.")
        return state_dict(checkpoint["ema"])
    for key in ("model", "state_dict"):
        if key in checkpoint and isinstance(checkpoint[key], dict):
            return state_dict(checkpoint[key])
    weights = {}
    for key, value in checkpoint.items():
        if isinstance(value, np.ndarray):
            weights[key[len("module.") :] if key.startswith("module.") else key] = value
    if not weights:
        raise ValueError("the checkpoint holds no tensors ('model' or 'state_dict' entry expected).")
    return weights


def _modules(layer_name, resnet=False):
    """The official module names of a Keras layer, or None if it has no counterpart."""
    if layer_name in ("stem_conv", "stem_bn"):
        prefix = "" if resnet else "feature.0."
        return [prefix + {"stem_conv": "conv1", "stem_bn": "bn1"}[layer_name]]
    match = re.fullmatch(r"stage(\d+)_block(\d+)_(.+)", layer_name)
    if resnet and match and match.group(3) in _RESNET_BLOCK:
        prefix = f"layer{match.group(1)}.{int(match.group(2)) - 1}"
        return [f"{prefix}.{m}" for m in _RESNET_BLOCK[match.group(3)]]
    if layer_name in ("fc", "fc_dist"):
        return [layer_name]
    match = re.fullmatch(r"block(\d+)_(.+)", layer_name)
    if match and match.group(2) in _BLOCK:
        return [f"feature.{match.group(1)}.{m}" for m in _BLOCK[match.group(2)]]
    match = re.fullmatch(r"mlp(\d+)_(shift(\d)|point)_(.+)", layer_name)
    if match and match.group(4) in _MLP:
        position = 3 if match.group(2) == "point" else int(match.group(3)) - 1
        prefix = f"mlp_layer.{int(match.group(1)) - 1}.mlp_layer.{position}"
        return [f"{prefix}.{m}" for m in _MLP[match.group(4)]]
    return None


def _conv(weights, key, shape):
    """A conv kernel OIHW (or ReActNet's flat ``weights``) as Keras HWIO ``shape``."""
    for name in (f"{key}.weight", f"{key}.weights"):
        if name in weights:
            h, w, i, o = shape
            value = weights[name]
            if value.size != h * w * i * o:
                return name, value, None
            return name, value, value.reshape(o, i, h, w).transpose(2, 3, 1, 0)
    return f"{key}.weight", None, None


def _targets(model):
    """For every Keras weight: (variable, official key, array transform from the state dict)."""
    plan, unmapped = [], []
    resnet = any(layer.name.startswith("stage1_block1") for layer in model.layers)
    for layer in model.layers:
        if not layer.weights or isinstance(layer, tf.keras.layers.Normalization):
            continue
        modules = _modules(layer.name, resnet)
        if modules is None:
            unmapped.append(layer.name)
            continue
        variables = layer.weights
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            keys = [f"{modules[0]}.{k}" for k in ("weight", "bias", "running_mean", "running_var")]
            plan += [(v, k, None) for v, k in zip(variables, keys)]
        elif isinstance(layer, tf.keras.layers.Dense):
            plan += [(variables[0], f"{modules[0]}.weight", np.transpose), (variables[1], f"{modules[0]}.bias", None)]
        elif isinstance(layer, tf.keras.layers.Conv2D):
            binary = getattr(layer, "kernel_quantizer", None) is not None
            plan.append((variables[0], modules[0], "binary" if binary else "conv"))
        else:  # LearnableBias (bias), RPReLU (shift_in, alpha, shift_out)
            suffixes = ["bias", "weight", "bias"] if len(modules) == 3 else ["bias"]
            plan += [(v, f"{m}.{s}", "flat") for v, m, s in zip(variables, modules, suffixes)]
    return plan, unmapped


def load_official(model, checkpoint, ema=False):
    """Set ``model``'s weights from an official checkpoint (a path or a loaded dict).

    The model must be built in official mode (``official=True``) as ReActNet-A, BCDNet-A or
    ReAct-ResNet-18
    (either head count: one head gets \\((fc + fc_{dist}) / 2\\), the official inference
    output, folded into one classifier). Missing, unexpected and wrongly shaped keys are all
    listed in one ``ValueError``.
    """
    if isinstance(checkpoint, (str, bytes)):
        checkpoint = torch_pickle.read(checkpoint)
    weights = dict(state_dict(checkpoint, ema=ema))
    names = {layer.name for layer in model.layers}
    if "stem_conv" in names and "stem_pad" not in names:
        raise ValueError(
            f"{model.name}: official checkpoints need the official model (official=True): "
            "PyTorch's padding differs from the default build's."
        )
    if "fc_dist.weight" in weights and "fc_dist" not in names:
        for kind in ("weight", "bias"):  # averaged in float64: exact for float32 checkpoints
            pair = weights[f"fc.{kind}"].astype(np.float64), weights.pop(f"fc_dist.{kind}")
            weights[f"fc.{kind}"] = (pair[0] + pair[1]) / 2
    plan, unmapped = _targets(model)
    used, missing, wrong, values = set(), [], [], []
    for variable, key, transform in plan:
        shape = tuple(variable.shape)
        if transform in ("conv", "binary"):
            key, raw, value = _conv(weights, key, shape)
            if raw is None:
                missing.append(key)
                continue
            used.add(key)
            if value is None:
                wrong.append(f"{key} {tuple(raw.shape)} (Keras {variable.name} {shape})")
                continue
        else:
            if key not in weights:
                missing.append(key)
                continue
            used.add(key)
            value = weights[key]
            value = value.reshape(-1) if transform == "flat" else transform(value) if transform else value
            if tuple(value.shape) != shape:
                wrong.append(f"{key} {tuple(weights[key].shape)} (Keras {variable.name} {shape})")
                continue
        values.append((variable, value, transform == "binary"))
    unexpected = sorted(k for k in weights if k not in used and not k.endswith("num_batches_tracked"))
    problems = []
    for label, items in (
        ("missing", missing),
        ("unexpected", unexpected),
        ("wrong shape", wrong),
        ("Keras layers without an official counterpart", unmapped),
    ):
        if items:
            shown = ", ".join(items[:8]) + (f", ... ({len(items)} in all)" if len(items) > 8 else "")
            problems.append(f"{label}: {shown}")
    if problems:
        raise ValueError(f"{model.name}: the checkpoint does not match this model; " + "; ".join(problems))
    zeros = [variable.name for variable, value, binary in values if binary and not value.all()]
    if zeros:
        logging.getLogger("larq_bcd").warning(
            "%s: %d binary kernels hold exact zeros (%s): PyTorch's sign(0) = 0 drops them, "
            "the bit-packed kernel binarizes them to +1; outputs may differ slightly.",
            model.name,
            len(zeros),
            ", ".join(zeros[:4]),
        )
    for variable, value, _ in values:
        variable.assign(value.astype(variable.dtype.as_numpy_dtype))
    return model


#: Zoo models whose official checkpoints ``build`` reads, and the stem conv's key and
#: full-width channels (from which the width of a checkpoint is read): their records'
#: ``official`` field.
OFFICIAL_MODELS = {name: MODELS[name].official for name in official_names()}


def build(name, checkpoint, *, image_size=224, ema=False, **kwargs):
    """The zoo model ``name`` in official mode with the weights of ``checkpoint`` (a path).

    The class count and width come from the checkpoint (``fc``, the stem conv), so a
    reduced or fine-tuned official model loads as it was saved. ``kwargs`` go to the builder
    (e.g. ``dual_head=True`` for BCDNet-A's two classifiers).
    """
    from larq_bcd import zoo

    key = name.lower().replace("-", "_")
    if key not in OFFICIAL_MODELS:
        raise ValueError(f"no official checkpoint format for {name!r}; known: {', '.join(OFFICIAL_MODELS)}.")
    weights = state_dict(torch_pickle.read(checkpoint), ema=ema)
    stem, channels = OFFICIAL_MODELS[key]
    for needed in ("fc.weight", stem):
        if needed not in weights:
            raise ValueError(f"{checkpoint}: no {needed!r}: not a {key} checkpoint.")
    kwargs.setdefault("num_classes", int(weights["fc.weight"].shape[0]))
    kwargs.setdefault("width_multiplier", weights[stem].shape[0] / channels)
    model = zoo.get(key, input_shape=(image_size, image_size, 3), official=True, **kwargs)
    return load_official(model, {"model": weights})
