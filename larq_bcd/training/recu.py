r"""ReCU's \(\tau\) schedule: the clamp of every ``ReCU`` kernel quantizer loosens over training."""

import math

from larq_bcd.quantizers import ReCU

import tensorflow as tf


def recu_tau(epoch, epochs, tau_min=0.85, tau_max=0.99):
    r"""ReCU's exponential schedule (z-hXu/ReCU ``cpt_tau``):

    \[ \tau(e) = A\, \mathrm{e}^{e / E} + B,\quad A = \frac{\tau_{max} - \tau_{min}}{\mathrm{e} - 1},
       \quad B = \tau_{min} - A \]
    so \(\tau(0) = \tau_{min}\) and \(\tau(E) = \tau_{max}\).
    """
    a = (tau_max - tau_min) / (math.e - 1)
    return a * math.exp(epoch / epochs) + tau_min - a


def recu_quantizers(model):
    """Every ``ReCU`` kernel quantizer in ``model`` (a conv's ``kernel_quantizer``)."""
    found = []
    for layer in model.submodules:
        quantizer = getattr(layer, "kernel_quantizer", None)
        if isinstance(quantizer, ReCU):
            found.append(quantizer)
    return found


class ReCUTauSchedule(tf.keras.callbacks.Callback):
    """Sets \\(\\tau\\) of every ``ReCU`` quantizer of ``model`` at the start of each epoch."""

    def __init__(self, model, epochs, tau_min=0.85, tau_max=0.99):
        super().__init__()
        if not 0.5 < tau_min <= tau_max < 1:
            raise ValueError(f"`recu_tau` needs 0.5 < tau_min <= tau_max < 1, got {tau_min}, {tau_max}.")
        self.student = model
        self.epochs = int(epochs)
        self.tau_min, self.tau_max = float(tau_min), float(tau_max)
        self.quantizers = recu_quantizers(model)

    def on_epoch_begin(self, epoch, logs=None):
        tau = recu_tau(epoch, self.epochs, self.tau_min, self.tau_max)
        for quantizer in self.quantizers:
            quantizer.tau.assign(tau)
