"""Proof of parity: the converted model against Keras, on the same inputs or on labelled data.

- ``verify(model, flatbuffer)``: Keras vs the LCE interpreter on the same inputs.
- ``evaluate(flatbuffer, dataset, model)``: top-1 of the .tflite (and of Keras) on labelled data.
"""

import dataclasses

from larq_bcd.flatbuffer import interpreter

import numpy as np

#: Largest |keras - tflite| over the output scale for one layer or block (float rounding).
LAYER_TOLERANCE = 1e-4
#: The same for a whole deep BNN, where a pre-sign value within rounding of its threshold
#: may flip and the flip cascades (the default of ``Parity.ok`` and ``--tolerance``).
MODEL_TOLERANCE = 0.3


@dataclasses.dataclass
class Parity:
    """Keras vs TFLite on the same inputs."""

    max_abs_diff: float
    output_scale: float
    top1_agreement: float
    samples: int
    #: Share of samples whose outputs match within 1e-4 of the output scale. In a deep BNN
    #: the others differ because a pre-sign value within float rounding of its threshold
    #: flipped and the flip cascaded (at 224x224 nearly every sample has one).
    exact_share: float = 0.0

    @property
    def relative_diff(self):
        """Max abs difference over the largest |output| of Keras (the output scale)."""
        return self.max_abs_diff / max(self.output_scale, 1e-12)

    def ok(self, tolerance=MODEL_TOLERANCE):
        """Same top-1 everywhere and ``relative_diff < tolerance``.

        ``LAYER_TOLERANCE`` (1e-4) holds for a single layer or block (float rounding only).
        A deep BNN amplifies rounding: one pre-sign value within ~1e-6 of its threshold
        flips and the flip cascades, so whole models get ``MODEL_TOLERANCE`` (0.3).
        """
        return self.relative_diff < tolerance and self.top1_agreement == 1.0


def verify(model, flatbuffer, inputs=None, *, samples=4, seed=0):
    """Run Keras and the LCE interpreter on the same inputs and compare their outputs.

    Args:
        inputs: an array of inputs (batch first); by default ``samples`` random images
            uniform in [0, 255] (zoo models take raw RGB) of the model's input shape.
    """
    if inputs is None:
        shape = (samples, *model.input_shape[1:])
        if None in shape:
            raise ValueError(f"verify() needs a static input shape, got {model.input_shape}.")
        inputs = np.random.default_rng(seed).uniform(0, 255, shape).astype(np.float32)
    inputs = np.asarray(inputs, dtype=np.float32)
    expected = np.asarray(model(inputs, training=False))
    actual = np.asarray(interpreter(flatbuffer).predict(inputs))
    actual = actual.reshape(expected.shape)
    diff = float(np.max(np.abs(expected - actual)))
    flat_e, flat_a = expected.reshape(len(inputs), -1), actual.reshape(len(inputs), -1)
    agreement = float(np.mean(flat_e.argmax(-1) == flat_a.argmax(-1)))
    scale = float(np.max(np.abs(expected)))
    exact = float(np.mean(np.max(np.abs(flat_e - flat_a), axis=-1) <= 1e-4 * max(scale, 1e-12)))
    return Parity(diff, scale, agreement, len(inputs), exact)


def evaluate(flatbuffer, dataset, model=None):
    """Top-1 of the flatbuffer on the LCE interpreter over labelled batches, beside Keras.

    Args:
        dataset: batches of (images, one-hot labels), e.g. ``larq_bcd.data.load(...).data``.
        model: the Keras model the flatbuffer came from; if given, its top-1 and the share
            of images on which both predict the same class are reported too.

    Returns a dict: ``examples``, ``tflite_top1`` and, with ``model``, ``keras_top1`` and
    ``agreement``.
    """
    runner = interpreter(flatbuffer)
    expected_shape = tuple(runner.input_shapes[0][1:])
    labels, lite, keras = [], [], []
    for images, onehot in dataset:
        images = np.asarray(images, dtype=np.float32)
        if images.shape[1:] != expected_shape:
            raise ValueError(f"the data has images of shape {images.shape[1:]}, the .tflite expects {expected_shape}")
        if runner.input_types[0] != np.float32:
            raise ValueError("the .tflite takes int8 input (--int8); evaluate needs float input (raw 0-255 RGB)")
        labels.append(np.argmax(onehot, -1))
        outputs = np.asarray(runner.predict(images)).reshape(len(images), -1)
        if outputs.shape[-1] != onehot.shape[-1]:
            raise ValueError(f"the .tflite outputs {outputs.shape[-1]} classes, the data has {onehot.shape[-1]}")
        lite.append(outputs.argmax(-1))
        if model is not None:
            keras.append(np.asarray(model(images, training=False)).reshape(len(images), -1).argmax(-1))
    if not labels:
        raise ValueError("evaluate() got an empty dataset")
    labels, lite = np.concatenate(labels), np.concatenate(lite)
    result = {"examples": int(len(labels)), "tflite_top1": float(np.mean(lite == labels))}
    if model is not None:
        keras = np.concatenate(keras)
        result["keras_top1"] = float(np.mean(keras == labels))
        result["agreement"] = float(np.mean(keras == lite))
    return result
