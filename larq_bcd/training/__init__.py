"""Training: distillation losses, learning-rate schedules, two-step training and recipes."""

from larq_bcd.training.distiller import Distiller, distillation_loss
from larq_bcd.training.recipe import Recipe, StoppedEarly, run, train
from larq_bcd.training.schedules import WarmupDecay

__all__ = ["Distiller", "Recipe", "StoppedEarly", "WarmupDecay", "distillation_loss", "run", "train"]
