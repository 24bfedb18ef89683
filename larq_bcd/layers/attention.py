r"""Transformer pieces for binary CCT on NHWC token maps: attention, positions, pooling.

Tokens stay (batch, H, W, C) maps so that every projection is a 1x1 binary conv
(``TokenWiseBinaryMLP``) that LCE bit-packs.
"""

from larq_bcd._utils import positive_int, register, static_channels

import tensorflow as tf


@register
class TokenAttention(tf.keras.layers.Layer):
    r"""Multi-head scaled dot-product attention over the tokens of NHWC maps.

    \[
    \mathrm{Attn}(Q, K, V) = \mathrm{softmax}\!\big(Q_h K_h^\top / \sqrt{d_h}\big)\,V_h
    \quad\text{per head } h,\ d_h = C / \text{heads}
    \]
    Inputs ``[q, k, v]`` of shape (batch, H, W, C); output (batch, H, W, C). It has no
    weights: the projections are binary 1x1 convs around it. The two matmuls stay float
    (LCE has no binary matmul, and their second operand is not a constant filter).
    """

    def __init__(self, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = positive_int("num_heads", num_heads)

    def build(self, input_shape):
        channels = static_channels(self, input_shape[0])
        if channels % self.num_heads:
            raise ValueError(
                f"TokenAttention '{self.name}': channels ({channels}) must be divisible by "
                f"num_heads ({self.num_heads})."
            )
        super().build(input_shape)

    def _heads(self, x):
        _, height, width, channels = x.shape
        x = tf.reshape(x, [-1, height * width, self.num_heads, channels // self.num_heads])
        return tf.transpose(x, [0, 2, 1, 3])

    def call(self, inputs):
        q, k, v = inputs
        _, height, width, channels = q.shape
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        scale = (channels // self.num_heads) ** -0.5
        weights = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) * scale, axis=-1)
        out = tf.transpose(tf.matmul(weights, v), [0, 2, 1, 3])
        return tf.reshape(out, [-1, height, width, channels])

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads}


@register
class PositionalEmbedding(tf.keras.layers.Layer):
    r"""Adds a learnable embedding per token position: \(y_{ij} = x_{ij} + p_{ij}\) (CCT)."""

    def build(self, input_shape):
        static_channels(self, input_shape)
        self.embedding = self.add_weight(
            name="embedding",
            shape=(1, *input_shape[1:]),
            initializer=tf.keras.initializers.TruncatedNormal(stddev=0.2),
        )
        super().build(input_shape)

    def call(self, inputs):
        return inputs + tf.cast(self.embedding, inputs.dtype)


@register
class SequencePooling(tf.keras.layers.Layer):
    r"""CCT's sequence pooling: an attention-weighted mean of the tokens.

    \[ w = \mathrm{softmax}_{tokens}(x\,g + b),\qquad y = \textstyle\sum_t w_t\,x_t \]
    Output (batch, C). Reference: Hassani et al., "Escaping the Big Data Paradigm with
    Compact Transformers", 2021.
    """

    def build(self, input_shape):
        channels = static_channels(self, input_shape)
        self.score = self.add_weight(name="score", shape=(channels, 1), initializer="glorot_uniform")
        self.score_bias = self.add_weight(name="score_bias", shape=(1,), initializer="zeros")
        super().build(input_shape)

    def call(self, inputs):
        _, height, width, channels = inputs.shape
        tokens = tf.reshape(inputs, [-1, height * width, channels])
        weights = tf.nn.softmax(tf.matmul(tokens, self.score) + self.score_bias, axis=1)
        return tf.reduce_sum(weights * tokens, axis=1)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([input_shape[0], input_shape[-1]])
