r"""The binary convolution of ReActNet/BCDNet (``HardBinaryConv`` + sign) as a Larq layer."""

import contextlib
import logging

import larq as lq

from larq_bcd._utils import register


@register
class BinaryConv2D(lq.layers.QuantConv2D):
    r"""A ``QuantConv2D`` with the ReActNet/BCDNet defaults, bit-packed by LCE.

    \[ y = (\alpha \odot \mathrm{sign}(W)) \circledast \mathrm{sign}(x) \]

    Defaults: ``input_quantizer="approx_sign"`` (BCDNet's \(Q_b\)),
    ``kernel_quantizer="react_weight_sign"`` (per-output-channel mean\(|W|\) scale),
    ``use_bias=False`` and ``pad_values=1.0`` (LCE's fast "same-one" padding; the PyTorch
    code pads with 0, which LCE supports on ARM only with a correction).

    For step 1 of two-step training (binary activations, real weights) pass
    ``kernel_quantizer=None``. Any other ``QuantConv2D`` argument is accepted. Like the
    official code there is no ``kernel_constraint`` (larq's warning about it is silenced).
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        strides=1,
        padding="same",
        input_quantizer="approx_sign",
        kernel_quantizer="react_weight_sign",
        use_bias=False,
        pad_values=1.0,
        **kwargs,
    ):
        with _quiet_larq():
            super().__init__(
                filters,
                kernel_size,
                strides=strides,
                padding=padding,
                input_quantizer=input_quantizer,
                kernel_quantizer=kernel_quantizer,
                use_bias=use_bias,
                pad_values=pad_values,
                **kwargs,
            )


@contextlib.contextmanager
def _quiet_larq():
    logger = logging.getLogger("larq.layers_base")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
