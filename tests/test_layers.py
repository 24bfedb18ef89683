from larq_bcd import layers
from larq_bcd.zoo import blocks
from larq_bcd.zoo.blocks import BinaryOptions

import numpy as np
import pytest
import tensorflow as tf

RNG = np.random.default_rng(0)


def sign(x):
    return np.where(x >= 0, 1.0, -1.0)


def test_learnable_bias_adds_a_per_channel_bias():
    layer = layers.LearnableBias()
    x = RNG.normal(0, 1, (2, 3, 3, 4)).astype(np.float32)
    layer.build(x.shape)
    layer.set_weights([np.arange(4, dtype=np.float32)])
    np.testing.assert_allclose(layer(x), x + np.arange(4))


def test_rprelu_is_shift_prelu_shift_with_slope_025():
    layer = layers.RPReLU()
    x = RNG.normal(0, 1, (2, 3, 3, 4)).astype(np.float32)
    layer.build(x.shape)
    np.testing.assert_allclose(layer.alpha.numpy(), 0.25)
    gamma, zeta = np.full(4, 0.3, np.float32), np.full(4, -0.2, np.float32)
    slope = np.array([0.25, 0.5, 1.0, 0.0], np.float32)
    layer.set_weights([gamma, slope, zeta])
    z = x + gamma
    np.testing.assert_allclose(layer(x), np.maximum(z, 0) + slope * np.minimum(z, 0) + zeta, atol=1e-6)


def numpy_shift(group, shift, axis, wrap):
    if wrap:
        return np.roll(group, shift, axis=axis)
    out = np.zeros_like(group)
    src = [slice(None)] * 4
    dst = [slice(None)] * 4
    if shift > 0:
        src[axis], dst[axis] = slice(0, -shift), slice(shift, None)
    else:
        src[axis], dst[axis] = slice(-shift, None), slice(0, shift)
    out[tuple(dst)] = group[tuple(src)]
    return out


@pytest.mark.parametrize("padding", ["wrap", "zero"])
@pytest.mark.parametrize("mode,size", [("short", 5), ("long", 7), ("long", 8)])
def test_shift_sampling_moves_exactly_the_right_pixels(mode, size, padding):
    x = RNG.normal(0, 1, (2, size, size + 2, 8)).astype(np.float32)
    y = layers.ShiftSampling(mode, padding)(x).numpy()
    s_h, s_w = (1, 1) if mode == "short" else (size // 2, (size + 2) // 2)
    moves = [(s_h, 1), (-s_h, 1), (s_w, 2), (-s_w, 2)]  # official: roll +-H, then +-W
    for g, (shift, axis) in enumerate(moves):
        group = x[..., 2 * g : 2 * g + 2]
        np.testing.assert_array_equal(y[..., 2 * g : 2 * g + 2], numpy_shift(group, shift, axis, padding == "wrap"))


def test_shift_sampling_first_group_moves_down_by_one():
    x = np.zeros((1, 4, 4, 4), np.float32)
    x[0, 0, 0, 0] = 1.0
    y = layers.ShiftSampling("short")(x).numpy()
    assert y[0, 1, 0, 0] == 1.0 and y.sum() == 1.0  # torch.roll(x, 1, dims=H)


def test_shift_sampling_commutes_with_sign():
    x = RNG.normal(0, 1, (1, 7, 7, 8)).astype(np.float32)
    shift = layers.ShiftSampling("long")
    np.testing.assert_array_equal(shift(sign(x)), sign(shift(x).numpy()))


@pytest.mark.parametrize(
    "make,shape,match",
    [
        (lambda: layers.ShiftSampling("short"), (1, 4, 4, 6), "divisible by 4"),
        (lambda: layers.ShiftSampling("long"), (1, 3, 3, 8), "at least 4x4"),
        (lambda: layers.ShiftSampling("short"), (1, 1, 4, 8), "at least 2x2"),
        (lambda: layers.RepConv(8, 3, beta=2), (1, 4, 4, 5), "divisible by the replication"),
    ],
)
def test_bad_shapes_raise_at_build_time(make, shape, match):
    with pytest.raises(ValueError, match=match):
        make()(tf.keras.Input(shape[1:]))


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: layers.ShiftSampling("medium"), "mode"),
        (lambda: layers.ShiftSampling("short", padding="reflect"), "padding"),
        (lambda: layers.RepConv(8, beta=0), "beta"),
        (lambda: layers.RepConv(8, beta=1.5), "beta"),
        (lambda: layers.RepConv(9, beta=2), "must divide `filters`"),
        (lambda: layers.ExpandShrink(8, tau=-1), "tau"),
        (lambda: layers.ExpandShrink(9, tau=2), "must divide `filters`"),
        (lambda: layers.ChannelReplicate(0), "factor"),
        (lambda: layers.TokenWiseBinaryMLP(8, kernel_size=3), "kernel_size"),
        (lambda: BinaryOptions(threshold="static"), "threshold"),
        (lambda: BinaryOptions(quantization="ternary"), "quantization"),
        (lambda: blocks.react_block(tf.keras.Input((8, 8, 8)), 8, strides=3), "strides"),
        (lambda: BinaryOptions(beta=2, official=True), "official"),
        (lambda: layers.ContextualDynamicEmbedding(0), "out_channels"),
    ],
)
def test_bad_configuration_names_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_react_block_rejects_a_width_it_cannot_make():
    with pytest.raises(ValueError, match="filters"):
        blocks.react_block(tf.keras.Input((8, 8, 8)), 24)


def test_token_wise_binary_mlp_is_a_binary_linear_map_per_token():
    x = RNG.normal(0, 1, (2, 3, 3, 8)).astype(np.float32)
    mlp = layers.TokenWiseBinaryMLP(4)
    mlp.build(x.shape)
    w = RNG.normal(0, 0.3, (1, 1, 8, 4)).astype(np.float32)
    mlp.set_weights([w])
    w_b = np.abs(w).mean(axis=(0, 1, 2)) * sign(w)
    np.testing.assert_allclose(mlp(x), sign(x) @ w_b[0, 0], rtol=1e-5, atol=1e-5)


def test_rep_conv_keeps_the_parameter_count_and_replicates_the_output():
    plain = layers.BinaryConv2D(16, 3)
    rep = layers.RepConv(16, 3, beta=2)
    x_plain = tf.keras.Input((8, 8, 8))
    x_wide = tf.keras.Input((8, 8, 16))
    plain(x_plain)
    y = rep(x_wide)
    assert plain.count_params() == rep.count_params() == 3 * 3 * 8 * 16
    assert y.shape[-1] == 32  # beta * c_out
    out = rep(RNG.normal(0, 1, (1, 8, 8, 16)).astype(np.float32)).numpy()
    for k in range(1, 4):
        np.testing.assert_array_equal(out[..., :8], out[..., 8 * k : 8 * (k + 1)])


def test_expand_shrink_is_rep_conv_on_the_expanded_input():
    x = RNG.normal(0, 1, (1, 6, 6, 8)).astype(np.float32)
    es = layers.ExpandShrink(16, 3, tau=2)
    y = es(x)
    rep = layers.RepConv(16, 3, beta=2)
    rep.build((1, 6, 6, 16))
    rep.set_weights(es.get_weights())
    np.testing.assert_allclose(y, rep(np.tile(x, [1, 1, 1, 2])), atol=1e-5)
    assert y.shape[-1] == 32 and es.count_params() == 3 * 3 * 8 * 16
    assert es.tau == 2


def test_contextual_dynamic_embedding_follows_its_formula():
    cde = layers.ContextualDynamicEmbedding(out_channels=12, reduction=2)
    x = RNG.normal(0, 1, (3, 5, 5, 16)).astype(np.float32)
    cde.build(x.shape)
    cde.set_weights([RNG.normal(0, 0.5, w.shape) for w in cde.get_weights()])
    w1, b1, w2, b2, w3, b3 = cde.get_weights()
    e = np.maximum(x.mean(axis=(1, 2)) @ w1 + b1, 0)
    alpha, beta = cde(x)
    assert alpha.shape == (3, 1, 1, 16) and beta.shape == (3, 1, 1, 12)
    np.testing.assert_allclose(alpha[:, 0, 0], e @ w2 + b2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(beta[:, 0, 0], e @ w3 + b3, rtol=1e-4, atol=1e-5)


def test_binary_mlp_block_shares_one_threshold_before_the_shifts():
    x = tf.keras.Input((7, 7, 16))
    model = tf.keras.Model(x, blocks.binary_mlp_block(x, name="b"))
    names = [layer.name for layer in model.layers]
    assert names.count("b_mlp_sign_bias") == 1
    assert {"b_shift_short", "b_shift_long"} <= set(names)
    mlps = [l for l in model.layers if isinstance(l, layers.TokenWiseBinaryMLP)]
    assert len(mlps) == 3 and len({id(m.kernel) for m in mlps}) == 3


def test_point_block_has_one_branch():
    x = tf.keras.Input((4, 4, 16))
    model = tf.keras.Model(x, blocks.point_block(x))
    assert sum(isinstance(l, layers.TokenWiseBinaryMLP) for l in model.layers) == 1
    assert not any(isinstance(l, layers.ShiftSampling) for l in model.layers)


# Every exported layer, on a 7x7x16 input (odd: the stride-2 grids differ by padding).
SHAPE_CASES = {
    "BinaryConv2D": lambda: layers.BinaryConv2D(8, 3, strides=2),
    "ChannelReplicate": lambda: layers.ChannelReplicate(3),
    "ContextualDynamicEmbedding": lambda: layers.ContextualDynamicEmbedding(24, reduction=2),
    "ExpandShrink": lambda: layers.ExpandShrink(16, 3, tau=2, strides=2),
    "HardTanh": lambda: layers.HardTanh(),
    "LearnableBias": lambda: layers.LearnableBias(),
    "PositionalEmbedding": lambda: layers.PositionalEmbedding(),
    "RPReLU": lambda: layers.RPReLU(),
    "RepConv": lambda: layers.RepConv(16, 3, beta=2, strides=2),
    "SequencePooling": lambda: layers.SequencePooling(),
    "ShiftSampling": lambda: layers.ShiftSampling("long", "zero"),
    "TokenAttention": lambda: layers.TokenAttention(4),
    "TokenWiseBinaryMLP": lambda: layers.TokenWiseBinaryMLP(24),
    "TorchMaxPool2D": lambda: layers.TorchMaxPool2D(),
    "TorchPaddingBinaryConv2D": lambda: layers.TorchPaddingBinaryConv2D(8, 3, strides=2),
    "ZeroPadChannels": lambda: layers.ZeroPadChannels(24),
}


def test_shape_cases_cover_every_exported_layer():
    assert sorted(SHAPE_CASES) == sorted(layers.__all__)


@pytest.mark.parametrize("name", sorted(SHAPE_CASES))
def test_compute_output_shape_is_the_shape_of_the_output(name):
    shape = (2, 7, 7, 16)
    inputs = tf.keras.Input(shape[1:], batch_size=shape[0])
    x = RNG.normal(0, 1, shape).astype(np.float32)
    layer = SHAPE_CASES[name]()
    if name == "TokenAttention":
        inputs, x, shape = [inputs] * 3, [x] * 3, [shape] * 3
    symbolic = tf.nest.map_structure(lambda t: t.shape, layer(inputs))  # functional (graph) call
    computed = layer.compute_output_shape(shape)
    eager = tf.nest.map_structure(lambda t: t.shape, layer(x))
    assert tf.nest.map_structure(tuple, computed) == tf.nest.map_structure(tuple, eager)
    assert tf.nest.map_structure(tuple, symbolic) == tf.nest.map_structure(tuple, eager)
