"""What every zoo builder shares: input checks, the ImageNet/CIFAR layouts, preprocessing,
the classifier heads, and weight loading."""

import os

from larq_bcd._utils import positive_int
from larq_bcd.checkpoints import torch_pickle
from larq_bcd.layers import ChannelReplicate
from larq_bcd.zoo.blocks import batch_norm

import tensorflow as tf

#: ImageNet statistics of 0-255 RGB images: zoo models take raw images by default.
MEAN_RGB = (0.485 * 255, 0.456 * 255, 0.406 * 255)
STD_RGB = (0.229 * 255, 0.224 * 255, 0.225 * 255)
#: Inputs below this size use the small-image layout (stride-1 stem, overall stride 8).
SMALL_INPUT = 128


def downsampling(size):
    """Overall stride of a model for a square input: 32 (ImageNet layout) or 8 (CIFAR layout).

    At 224x224 the last stage is 7x7 as in the papers. At 32x32 the stem and one
    downsampling keep stride 1, so the last stage is 4x4 (the one before it 8x8): large
    enough for BCDNet's long-range shift (2) to differ from the short one (1).
    """
    return 32 if size >= SMALL_INPUT else 8


def _is_keras_tensor(value):
    try:
        return tf.keras.backend.is_keras_tensor(value)
    except ValueError:  # it raises for what is not a tensor at all (a NumPy array, a number)
        return False


def image_input(model_name, input_shape, input_tensor, default_size=224):
    """Validate the input and return ``(inputs, size)`` for a square RGB image model."""
    if input_tensor is not None:
        if not _is_keras_tensor(input_tensor):
            raise ValueError(
                f"{model_name}: `input_tensor` must be a Keras tensor, e.g. tf.keras.Input((224, 224, 3)), "
                f"got {type(input_tensor).__name__}."
            )
        input_shape = tuple(input_tensor.shape[1:])
    if input_shape is None:
        input_shape = (default_size, default_size, 3)
    if len(input_shape) != 3:
        raise ValueError(f"{model_name}: `input_shape` must be (height, width, 3), got {input_shape}.")
    height, width, channels = input_shape
    if height != width or height is None:
        raise ValueError(f"{model_name}: needs a square input of static size, got {height}x{width}.")
    if channels != 3:
        raise ValueError(f"{model_name}: needs 3 (RGB) input channels, got {channels}.")
    stride = downsampling(height)
    if height < 32 or height % stride:
        raise ValueError(
            f"{model_name}: input size {height} is not supported: use at least 32 and a "
            f"multiple of {stride} (e.g. 32 for CIFAR, 224 for ImageNet)."
        )
    if input_tensor is None:
        inputs = tf.keras.Input(shape=input_shape, name="image")
    else:
        inputs = input_tensor
    return inputs, height


def preprocess(x, include_preprocessing):
    """Normalise raw 0-255 RGB inside the model (``include_preprocessing=True``)."""
    if not include_preprocessing:
        return x
    return tf.keras.layers.Normalization(mean=MEAN_RGB, variance=[s**2 for s in STD_RGB], name="normalize")(x)


def stem(x, filters, strides, beta=1, official=False):
    """The real-valued stem of ReActNet-A: conv 3x3 + BN (no activation); RepTran widens it.

    ``official=True`` pads as PyTorch does (one zero on every side, then a "valid" conv),
    which differs from Keras "same" at stride 2.
    """
    if official:
        x = torch_padded_conv(x, filters, 3, strides, "stem")
    else:
        x = tf.keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name="stem_conv")(x)
    x = batch_norm("stem_bn")(x)
    if beta > 1:
        x = ChannelReplicate(beta, name="stem_replicate")(x)
    return x


def torch_padded_conv(x, filters, kernel_size, strides, name):
    """A real-valued conv padded as PyTorch's ``Conv2d(padding=kernel_size // 2)``: zeros on
    every side, then "valid" (layers ``{name}_pad``, ``{name}_conv``, ``{name}_crop``).

    It pads one more row and column at the bottom/right and crops the extra output: LCE's
    converter (0.16) turns a symmetric PAD before a "valid" stride-2 CONV_2D into a "same"
    conv, whose grid is PyTorch's shifted by a pixel; an asymmetric PAD it leaves alone.
    """
    p = kernel_size // 2
    expected = [(d + 2 * p - kernel_size) // strides + 1 for d in x.shape[1:3]]
    x = tf.keras.layers.ZeroPadding2D(((p, p + 1), (p, p + 1)), name=f"{name}_pad")(x)
    x = tf.keras.layers.Conv2D(filters, kernel_size, strides=strides, use_bias=False, name=f"{name}_conv")(x)
    extra = [d - e for d, e in zip(x.shape[1:3], expected)]
    return tf.keras.layers.Cropping2D(((0, extra[0]), (0, extra[1])), name=f"{name}_crop")(x)


def scaled(width, multiplier):
    """A channel width times ``width_multiplier``, rounded to a multiple of 8 (at least 8)."""
    if multiplier <= 0:
        raise ValueError(f"`width_multiplier` must be positive, got {multiplier}.")
    return max(8, int(round(width * multiplier / 8)) * 8)


def head(
    x,
    *,
    num_classes,
    classifier_activation="softmax",
    dual_head=False,
    keep_channels=None,
):
    """Global average pooling and the classifier.

    ``dual_head=True`` gives BCDNet's two classifiers (DeiT style) as two logit outputs,
    ``fc`` (label loss) and ``fc_dist`` (distillation loss); at inference BCDNet averages
    them, which ``fold_dual_head`` turns into one classifier. ``keep_channels`` keeps only
    the first channels before pooling (ES-BNN's head on replicated tensors).
    """
    positive_int("num_classes", num_classes)
    if keep_channels is not None:
        x = x[:, :, :, :keep_channels]
    x = tf.keras.layers.GlobalAveragePooling2D(name="pool")(x)
    if dual_head:
        return [
            tf.keras.layers.Dense(num_classes, name="fc")(x),
            tf.keras.layers.Dense(num_classes, name="fc_dist")(x),
        ]
    x = tf.keras.layers.Dense(num_classes, name="fc")(x)
    if classifier_activation:
        x = tf.keras.layers.Activation(classifier_activation, dtype="float32", name="predictions")(x)
    return x


def fold_dual_head(model, classifier_activation="softmax"):
    r"""One-classifier inference copy of a dual-head model: \((fc(x) + fc_{dist}(x)) / 2\).

    Averaging two linear maps is one linear map with the averaged weights, so the copy has
    a single ``fc`` (as ``dual_head=False`` builds it) and computes exactly the average.
    """
    fc, fc_dist = model.get_layer("fc"), model.get_layer("fc_dist")
    features = fc.input
    folded = tf.keras.layers.Dense(fc.units, name="fc")
    x = folded(features)
    folded.set_weights([(a + b) / 2 for a, b in zip(fc.get_weights(), fc_dist.get_weights())])
    if classifier_activation:
        x = tf.keras.layers.Activation(classifier_activation, dtype="float32", name="predictions")(x)
    return tf.keras.Model(model.inputs, x, name=model.name)


def official_weights(name, weights, official):
    """``(weights, official)``: an official PyTorch checkpoint as ``weights`` implies the
    official mode (PyTorch's padding), which it needs to compute the same function."""
    if torch_pickle.is_torch_checkpoint(weights):
        if not os.path.exists(weights):
            raise FileNotFoundError(f"{name}: checkpoint not found: {weights}")
        return weights, True
    return weights, bool(official)


def finish(inputs, outputs, name, weights, input_tensor):
    """Build the ``tf.keras.Model`` and load ``weights`` (None, a Keras weights path, or an
    official PyTorch checkpoint: ``.pth``, ``.pth.tar``, ``.pt``, ``.tar``)."""
    if input_tensor is not None:
        inputs = tf.keras.utils.get_source_inputs(input_tensor)
    model = tf.keras.Model(inputs, outputs, name=name)
    if torch_pickle.is_torch_checkpoint(weights):
        from larq_bcd.checkpoints.official import load_official  # it reads the zoo's registry

        return load_official(model, weights)
    if weights is not None:
        if weights == "imagenet":
            raise ValueError(
                f"{name}: no pretrained ImageNet weights are published for this model; pass "
                "weights=None or the path of weights you trained (model.save_weights)."
            )
        if not (os.path.exists(weights) or os.path.exists(f"{weights}.index")):
            raise FileNotFoundError(f"{name}: weights file not found: {weights}")
        model.load_weights(weights)
    return model
