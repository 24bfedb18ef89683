"""Learning-rate schedules of the papers: linear warm-up, then cosine or linear decay."""

import math

from larq_bcd._utils import choice, register

import tensorflow as tf


@register
class WarmupDecay(tf.keras.optimizers.schedules.LearningRateSchedule):
    r"""Linear warm-up from ``initial`` to ``peak`` over ``warmup_steps``, then decay to 0.

    \[
    \eta(t) = \begin{cases}
      \eta_0 + (\eta_{peak} - \eta_0)\, t / T_w & t < T_w \\
      \eta_{peak} \cdot d\big((t - T_w) / (T - T_w)\big) & t \ge T_w
    \end{cases},\quad
    d(u) = \tfrac12(1 + \cos \pi u) \text{ (cosine, BCDNet) or } 1 - u \text{ (linear, ReActNet)}
    \]
    """

    def __init__(self, peak, total_steps, warmup_steps=0, initial=None, decay="cosine"):
        self.peak = float(peak)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.initial = self.peak / 4 if initial is None else float(initial)
        self.decay = choice("decay", decay, {"cosine", "linear"})
        if self.total_steps <= self.warmup_steps:
            raise ValueError(f"`total_steps` ({total_steps}) must exceed `warmup_steps` ({warmup_steps}).")

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.initial + (self.peak - self.initial) * step / max(self.warmup_steps, 1)
        u = tf.clip_by_value((step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0)
        factor = 0.5 * (1 + tf.cos(math.pi * u)) if self.decay == "cosine" else 1.0 - u
        return tf.where(step < self.warmup_steps, warm, self.peak * factor)

    def get_config(self):
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "initial": self.initial,
            "decay": self.decay,
        }
