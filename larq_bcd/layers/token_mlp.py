r"""BCDNet's token-wise binary MLP (TW-BiMLP) as a 1x1 binary convolution."""

from larq_bcd._utils import register
from larq_bcd.layers.binary_conv import BinaryConv2D


@register
class TokenWiseBinaryMLP(BinaryConv2D):
    r"""Token-wise binary MLP: the same binary linear map applied to every spatial token.

    \[
    \mathrm{TW\text{-}BiMLP}(A) = \frac{\lVert W \rVert_{\ell_1}}{c_{in}}
    \,\mathrm{popcount}(W_b^\top \oplus A_b)
    \]

    Written as a 1x1 ``QuantConv2D`` (not ``QuantDense``, which LCE leaves in float), so LCE
    bit-packs it into ``LceBconv2d`` and ``lq.models.summary`` counts its binary MACs.

    Args:
        filters: output channels (tokens keep their positions).

    Reference: Xing et al., BCDNet, ECCV 2022, eq. (5).
    """

    def __init__(self, filters, kernel_size=1, strides=1, padding="valid", **kwargs):
        if kernel_size not in (1, (1, 1), [1, 1]) or strides not in (1, (1, 1), [1, 1]):
            raise ValueError(
                "TokenWiseBinaryMLP is token-wise: kernel_size and strides must be 1, got "
                f"kernel_size={kernel_size!r}, strides={strides!r}."
            )
        super().__init__(filters, 1, strides=1, padding=padding, **kwargs)
