r"""The binary convolution of ReActNet/BCDNet (``HardBinaryConv`` + sign) as a Larq layer."""

import contextlib
import logging

from larq_bcd._utils import register

import larq as lq
import tensorflow as tf


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

    def _conv(self, inputs):
        """The binary convolution itself (``QuantConv2D.call``), for subclasses that add ops
        around it and so have another ``compute_output_shape``: Keras' ``Conv.call`` sets
        its output's static shape from ``compute_output_shape``, so while it runs that is
        the conv's own (the way larq swaps ``padding`` during its call)."""
        self.compute_output_shape = super().compute_output_shape
        try:
            return super().call(inputs)
        finally:
            del self.compute_output_shape


@contextlib.contextmanager
def _quiet_larq():
    logger = logging.getLogger("larq.layers_base")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@register
class TorchPaddingBinaryConv2D(BinaryConv2D):
    r"""A ``BinaryConv2D`` padded as PyTorch pads: \(p = \lfloor k/2 \rfloor\) zeros on every
    side of the *binarised* input, at any stride (the official ReActNet/BCDNet convs).

    Keras "same" at stride 2 pads bottom/right only, so its sampling grid is one pixel off
    PyTorch's, and ``pad_values=0`` only fixes the value. This layer is exact at any stride
    and still bit-packs: it pads the real-valued input with 0, which the sign turns into
    +1, runs a "valid" binary conv (LCE's ``LceBconv2d``), and subtracts what the +1
    border added:
    \[
    y = \mathrm{BinConv}_{valid}\big(\mathrm{sign}(\mathrm{pad}_p(x))\big)
        - \mathrm{Conv}_{valid}(M, q(W)),
    \]
    where \(M\) is 1 on the padded border and 0 inside. \(\mathrm{Conv}(M, q(W))\) depends on
    the weights only: at conversion it folds into one constant (a ``SUB`` after the bconv,
    between two ``RESHAPE``\ s).
    The input quantizer must be a plain sign of the input (e.g. ``approx_sign``), since it
    sees the padded tensor.
    """

    def __init__(self, filters, kernel_size=3, strides=1, **kwargs):
        for key, allowed in (("padding", "valid"), ("pad_values", 0.0)):
            if kwargs.pop(key, allowed) not in (allowed, "same"):
                raise ValueError(f"TorchPaddingBinaryConv2D sets `{key}` itself.")
        super().__init__(filters, kernel_size, strides=strides, padding="valid", pad_values=0.0, **kwargs)

    def _pads(self):
        return [(k // 2, k // 2) for k in self.kernel_size]

    def _padded(self, shape):
        shape = tf.TensorShape(shape).as_list()
        for axis, (before, after) in zip((1, 2), self._pads()):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tf.TensorShape(shape)

    def build(self, input_shape):
        shape = tf.TensorShape(input_shape)
        if shape.rank != 4 or None in shape[1:]:
            raise ValueError(f"TorchPaddingBinaryConv2D '{self.name}' needs a static NHWC input shape, got {shape}.")
        super().build(self._padded(shape))
        self.input_spec = tf.keras.layers.InputSpec(ndim=4, axes={-1: int(shape[-1])})

    def compute_output_shape(self, input_shape):
        return super().compute_output_shape(self._padded(input_shape))

    def call(self, inputs):
        pads = [(0, 0), *self._pads(), (0, 0)]
        outputs = self._conv(tf.pad(inputs, pads))
        _, height, width, _ = inputs.shape
        # The border is the same in every input channel: one channel against the kernel
        # summed over input channels gives the same correction, C_in times cheaper.
        border = 1 - tf.pad(tf.ones([1, height, width, 1], inputs.dtype), pads)
        kernel = self.kernel if self.kernel_quantizer is None else self.kernel_quantizer(self.kernel)
        kernel = tf.reduce_sum(tf.cast(kernel, inputs.dtype), axis=2, keepdims=True)
        correction = tf.nn.conv2d(border, kernel, self.strides, "VALID")
        # Subtracted on the flattened map: LCE would fold a SUB right after the bconv into its
        # per-channel output bias, which cannot hold this per-pixel constant.
        _, out_h, out_w, out_c = outputs.shape
        flat = tf.reshape(outputs, [-1, out_h * out_w, out_c]) - tf.reshape(correction, [1, out_h * out_w, out_c])
        return tf.reshape(flat, [-1, out_h, out_w, out_c])
