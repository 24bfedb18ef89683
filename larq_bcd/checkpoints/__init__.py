"""Official PyTorch checkpoints of the papers, read safely and mapped onto the zoo models."""

from larq_bcd.checkpoints.official import load_official, state_dict
from larq_bcd.checkpoints.torch_pickle import UnsafeCheckpointError, read

__all__ = ["UnsafeCheckpointError", "load_official", "read", "state_dict"]
