"""Official PyTorch checkpoints of the papers, read safely and mapped onto the zoo models."""

from larq_bcd.checkpoints.official import OFFICIAL_MODELS, build, load_official, state_dict
from larq_bcd.checkpoints.torch_pickle import UnsafeCheckpointError, read

__all__ = ["OFFICIAL_MODELS", "UnsafeCheckpointError", "build", "load_official", "read", "state_dict"]
