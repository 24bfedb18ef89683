import larq_bcd  # noqa: F401  (selects tf-keras before TensorFlow loads)

import pytest
import tensorflow as tf


@pytest.fixture(autouse=True)
def _seed():
    tf.keras.utils.set_random_seed(0)
    yield
    tf.keras.backend.clear_session()
