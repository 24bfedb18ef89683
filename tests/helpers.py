"""Helpers shared by the tests."""

import numpy as np


def randomize(model, seed=0):
    """Give every weight random non-trivial values (zero-initialised ones included)."""
    rng = np.random.default_rng(seed)
    model.set_weights(
        [
            rng.uniform(0.5, 1.5, w.shape) if "variance" in v.name else rng.normal(0, 0.5, w.shape)
            for v, w in zip(model.weights, model.get_weights())
        ]
    )
    return model
