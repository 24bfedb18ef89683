"""The cost of a Keras model as larq counts it: binary MACs, float MACs, parameters, size."""

import larq as lq


def costs(model):
    """``lq.models.ModelProfile`` totals of ``model``.

    MACs are counted on conv/dense layers only (attention matmuls and the small dense layers
    inside DySign/CDE are not); ``convert.inspect`` counts on the converted flatbuffer.
    ``size_bytes`` is larq's estimate: 1 bit per binary weight, 32 per float one.
    """
    profile = lq.models.ModelProfile(model)
    return {
        "binary_macs": int(profile.op_count("mac", 1)),
        "float_macs": int(profile.op_count("mac", 32)),
        "params": int(model.count_params()),
        "size_bytes": int(profile.memory // 8),
    }
