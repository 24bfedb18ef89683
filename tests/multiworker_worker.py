"""One worker of test_multiworker: trains a tiny zoo model a few steps, saves its weights."""

import json
import os
import sys

import larq_bcd  # noqa: F401
from larq_bcd import zoo
from larq_bcd.training.strategy import get_strategy

import numpy as np
import tensorflow as tf

output = sys.argv[1]
strategy = get_strategy("multiworker")
index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
with strategy.scope():
    model = zoo.BCDNetA(
        input_shape=(32, 32, 3), num_classes=10, width_multiplier=0.125, mlp_blocks=3, classifier_activation=None
    )
    model.compile(tf.keras.optimizers.Adam(1e-3), tf.keras.losses.CategoricalCrossentropy(from_logits=True))
rng = np.random.default_rng(index)  # each worker its own data: gradients must be all-reduced
x = rng.uniform(0, 255, (32, 32, 32, 3)).astype(np.float32)
y = tf.one_hot(rng.integers(0, 10, 32), 10)
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()
options = tf.data.Options()
options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
np.savez(os.path.join(output, f"initial{index}.npz"), *model.get_weights())
model.fit(ds.with_options(options), steps_per_epoch=3, epochs=1, verbose=0)
np.savez(os.path.join(output, f"worker{index}.npz"), *model.get_weights())
