r"""BCDNet's shift sampling: short-range and long-range shifts of four channel groups."""

from larq_bcd._utils import choice, register

import tensorflow as tf


@register
class ShiftSampling(tf.keras.layers.Layer):
    r"""Shifts four equal channel groups of a feature map along H and W (BCDNet, Sec. 3.2).

    The channels are split into four groups \(A_1..A_4\) and each is moved by
    \(S(+s_h, 0)\), \(S(-s_h, 0)\), \(S(0, +s_w)\), \(S(0, -s_w)\):
    \(y_{i,j} = x_{i - s_h, j}\) for the first group, and so on (``torch.roll`` /
    ``tf.roll`` semantics). ``mode="short"`` uses \(s = 1\) (the 3x3 neighbourhood);
    ``mode="long"`` uses \(s_h = \lfloor h/2 \rfloor\), \(s_w = \lfloor w/2 \rfloor\) (3 at
    7x7, as the official code hard-codes).

    ``padding="wrap"`` rolls circularly like the official code; ``padding="zero"`` fills
    the vacated rows/columns with 0 (the poster's "paddings when out of the range"). Placed
    before a sign, a 0 becomes +1, as LCE's ``pad_values=1``.

    A shift is a permutation, so it commutes with an element-wise sign: shifting the
    real-valued input of a binary conv equals shifting its binarized input.

    Args:
        mode: ``"short"`` or ``"long"``.
        padding: ``"wrap"`` or ``"zero"``.

    Reference: Xing et al., "Towards Accurate Binary Neural Networks via Modeling
    Contextual Dependencies" (BCDNet), ECCV 2022.
    """

    def __init__(self, mode="short", padding="wrap", **kwargs):
        super().__init__(**kwargs)
        self.mode = choice("mode", mode, {"short", "long"})
        self.padding = choice("padding", padding, {"wrap", "zero"})

    def build(self, input_shape):
        shape = tf.TensorShape(input_shape)
        if shape.rank != 4 or None in shape[1:]:
            raise ValueError(
                f"ShiftSampling '{self.name}' needs a 4-D NHWC input with static height, "
                f"width and channels, got shape {shape}."
            )
        height, width, channels = (int(d) for d in shape[1:])
        if channels % 4:
            raise ValueError(
                f"ShiftSampling '{self.name}': channels must be divisible by 4 (four shift groups), got {channels}."
            )
        if self.mode == "short":
            if min(height, width) < 2:
                raise ValueError(
                    f"ShiftSampling '{self.name}': a short-range shift needs a feature map "
                    f"of at least 2x2, got {height}x{width}."
                )
            self.shift_h = self.shift_w = 1
        else:
            if min(height, width) < 4:
                raise ValueError(
                    f"ShiftSampling '{self.name}': a long-range shift (h/2, w/2) needs a "
                    f"feature map of at least 4x4 to differ from the short-range one, got "
                    f"{height}x{width}."
                )
            self.shift_h, self.shift_w = height // 2, width // 2
        super().build(input_shape)

    def _shift(self, x, shift, axis):
        if self.padding == "wrap":
            return tf.roll(x, shift=shift, axis=axis)
        size = x.shape[axis]
        paddings = [[0, 0]] * 4
        paddings[axis] = [shift, 0] if shift > 0 else [0, -shift]
        padded = tf.pad(x, paddings)
        begin, sizes = [0, 0, 0, 0], [-1, -1, -1, -1]
        begin[axis], sizes[axis] = (0 if shift > 0 else -shift), size
        return tf.slice(padded, begin, sizes)

    def call(self, inputs):
        groups = tf.split(inputs, 4, axis=-1)
        moves = [(self.shift_h, 1), (-self.shift_h, 1), (self.shift_w, 2), (-self.shift_w, 2)]
        shifted = [self._shift(g, s, axis) for g, (s, axis) in zip(groups, moves)]
        return tf.concat(shifted, axis=-1)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "padding": self.padding}
