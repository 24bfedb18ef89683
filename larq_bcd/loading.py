"""Load a model from what a user has: a saved Keras model, an official PyTorch checkpoint,
or a zoo name; and spot BCDNet's dual head (``zoo.fold_dual_head`` folds it)."""

import os

from larq_bcd._utils import load_keras_model
from larq_bcd.checkpoints.torch_pickle import is_torch_checkpoint

#: The saved-model formats ``load_model`` reads (besides SavedModel folders).
KERAS_SUFFIXES = (".keras", ".h5")


def load_model(source, *, image_size=224, checkpoint_model=None, unsafe=False):
    """A ``tf.keras.Model`` from ``source``:

    - a saved Keras model (.keras, .h5 or a SavedModel folder; Lambda layers only with
      ``unsafe=True``, since loading them runs their code);
    - an official PyTorch checkpoint (.pth, .pth.tar, .pt, .tar), whose zoo model
      ``checkpoint_model`` names (``larq_bcd.checkpoints.OFFICIAL_MODELS``);
    - a zoo name (random weights, ``image_size`` x ``image_size`` input).

    Raises ``FileNotFoundError`` or ``ValueError`` with a one-line message naming the problem.
    """
    from larq_bcd import checkpoints, zoo

    if is_torch_checkpoint(source):
        if not checkpoint_model:
            raise ValueError(
                f"{source} is a PyTorch checkpoint: name its model with --model "
                f"({', '.join(checkpoints.OFFICIAL_MODELS)})."
            )
        return checkpoints.build(checkpoint_model, source, image_size=image_size)
    if os.path.exists(source):
        check_saved_model(source)
        try:
            return load_keras_model(source, unsafe=unsafe)
        except Exception as error:  # noqa: BLE001 - any loader failure is the file's problem
            raise ValueError(f"could not load {source}: {type(error).__name__}: {error}") from None
    if os.path.sep in source or source.endswith(KERAS_SUFFIXES):
        raise FileNotFoundError(f"model file not found: {source}")
    if source.lower().replace("-", "_") not in zoo.available():
        raise ValueError(f"{source!r} is neither a model file nor a zoo model ({', '.join(zoo.available())}).")
    return zoo.get(source, input_shape=(image_size, image_size, 3))


def check_saved_model(source):
    """A ValueError naming ``source`` (which exists) unless it is a .keras/.h5 file or a SavedModel dir."""
    if os.path.isdir(source) and not os.path.exists(os.path.join(source, "saved_model.pb")):
        raise ValueError(f"{source} is a directory but not a SavedModel (no saved_model.pb).")
    if not os.path.isdir(source) and not source.endswith(KERAS_SUFFIXES):
        raise ValueError(f"{source}: unknown model format (expected .keras, .h5 or a SavedModel dir).")


def has_dual_head(model):
    """Whether ``model`` has BCDNet's two classifiers (``fc``, ``fc_dist``) as its outputs."""
    return len(model.outputs) == 2 and {"fc", "fc_dist"} <= {layer.name for layer in model.layers}
